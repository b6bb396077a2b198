# Shared shell helpers for kefu's scripts. Source it; it defines functions only.

kefu_cache() { echo "${KEFU_CACHE:-$HOME/.cache/kefu}"; }

# kefu's packages (common/, knowledge/, shop/, actions/, web/, deploy/) are imported from the
# repository root by both Python environments (the Rasa process too: its tracker store and
# channels import common/): put the root on PYTHONPATH (first), exported to every process started
# after. Nothing is pip-installed into the cached environments, which other clones share.
kefu_pythonpath() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  case ":${PYTHONPATH:-}:" in
    *":$root:"*) ;;
    *) PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" ;;
  esac
  export PYTHONPATH
}

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

# A random secret in hex, made once and kept in the cache (mode 600): kefu_secret FILE BYTES.
kefu_secret() {
  local file
  file="$(kefu_cache)/$1"
  if [[ ! -s $file ]]; then
    mkdir -p "$(kefu_cache)"
    (umask 077 && head -c "$2" /dev/urandom | od -An -tx1 | tr -d ' \n' > "$file")
  fi
  cat "$file"
}

# The token Rasa sends with every action call (the action server refuses calls without it):
# KEFU_ACTION_TOKEN if set, else the one kept in the cache; exported.
kefu_action_token() {
  KEFU_ACTION_TOKEN=${KEFU_ACTION_TOKEN:-$(kefu_secret action-token 24)}
  export KEFU_ACTION_TOKEN
}

# The secrets of a run (needs KEFU_APP_ENV), each made once and kept in the cache unless set:
# Rasa's API token, the action server's token, the shopper-identity secret and the console's
# agents; sets console_login to say where the password is.
kefu_credentials() {
  # Rasa's HTTP API (agents hand conversations back through it) needs this token.
  KEFU_RASA_TOKEN=${KEFU_RASA_TOKEN:-$(kefu_secret rasa-token 24)}
  kefu_action_token
  # The store's backend signs shoppers' ids with this secret; the channels verify the tokens
  # (common/identity.py). Set it to the secret your store's backend signs with.
  # The demo page signs in the demo shoppers only with kefu's own secret, never with a store's.
  if [[ -z ${KEFU_IDENTITY_SECRET:-} ]]; then
    KEFU_IDENTITY_SECRET=$(kefu_secret identity-secret 32)
    KEFU_DEMO_LOGIN=${KEFU_DEMO_LOGIN:-1}
  fi
  export KEFU_RASA_TOKEN KEFU_IDENTITY_SECRET KEFU_DEMO_LOGIN=${KEFU_DEMO_LOGIN:-0}
  # Agents of the console (/console): KEFU_AGENTS="name:hash ..." (hash: python -m web.auth HASH-ME).
  # Unset, one agent "agent" gets a random password, made once and kept in the cache (mode 600).
  if [[ -z ${KEFU_AGENTS:-} ]]; then
    kefu_secret console-password 12 > /dev/null
    password_file="$(kefu_cache)/console-password"
    KEFU_AGENTS="agent:$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && "$KEFU_APP_ENV/bin/python" -c 'import sys; from web.auth import hash_password; print(hash_password(sys.stdin.read().strip()))' < "$password_file")"
    console_login="user 'agent', password in $password_file"
  else
    console_login="agents from KEFU_AGENTS"
  fi
  export KEFU_AGENTS
}
