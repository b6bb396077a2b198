# Shared shell helpers for kefu's scripts. Source it; it defines functions only.

kefu_cache() { echo "${KEFU_CACHE:-$HOME/.cache/kefu}"; }

kefu_die() { echo "kefu: $*" >&2; exit 1; }

# Short content hash of files (and literal strings given as -s STRING).
kefu_hash() {
  { for a in "$@"; do if [[ -f $a ]]; then cat "$a"; else echo "$a"; fi; done; } | sha256sum | cut -c1-12
}

# The interpreter for an environment: rasa -> Python 3.10, app -> Python 3.11.
kefu_python_for() {
  local want
  case $1 in
    rasa) want=3.10 ;;
    app) want=3.11 ;;
    *) kefu_die "unknown environment '$1' (valid: rasa, app)" ;;
  esac
  local var="KEFU_PYTHON${want/./}" cand
  for cand in "${!var:-}" "$(command -v "python$want" 2>/dev/null)" \
      "$(pyenv root 2>/dev/null)"/versions/"$want".*/bin/python"$want" \
      "$HOME"/.pyenv/versions/"$want".*/bin/python"$want"; do
    [[ -n $cand && -x $cand ]] || continue
    if "$cand" -c "import sys; assert '%d.%d' % sys.version_info[:2] == '$want'" 2>/dev/null; then
      echo "$cand"; return 0
    fi
  done
  kefu_die "Python $want is needed for the $1 environment but was not found; install it (e.g. 'pyenv install $want') or set $var to its path."
}
