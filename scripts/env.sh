#!/usr/bin/env bash
# Ensure one of kefu's two Python environments exists in the cache and print its path.
# The folder is keyed by the lock file's hash, so a fresh clone reuses it and a lock change
# builds a new one. Usage: scripts/env.sh rasa|app
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/lib.sh"
name=${1:?usage: scripts/env.sh rasa|app}
lock="$here/requirements/$name.lock"
[[ -f $lock ]] || kefu_die "missing $lock; run 'make lock'."
py=$(kefu_python_for "$name")
dir="$(kefu_cache)/envs/$name-$(kefu_hash "$lock" "$("$py" -V 2>&1)")"
mkdir -p "$(kefu_cache)/envs"
exec 9>"$dir.lock"
flock 9
if [[ ! -f $dir/.ok ]]; then
  rm -rf "$dir"
  echo "kefu: building the $name environment in $dir (a few minutes, once per lock file)..." >&2
  "$py" -m venv "$dir" >&2
  flags=(--no-deps --disable-pip-version-check --progress-bar off)
  [[ $name == app ]] && flags+=(--ignore-requires-python)
  start=$SECONDS
  if ! "$dir/bin/pip" install "${flags[@]}" -r "$lock" > "$dir.log" 2>&1; then
    tail -5 "$dir.log" >&2
    kefu_die "installing the $name environment failed (full log: $dir.log). Check the network to PyPI, then run the command again."
  fi
  "$dir/bin/pip" check >> "$dir.log" 2>&1 || echo "kefu: warning: 'pip check' reports conflicts in $name env (see $dir.log)" >&2
  touch "$dir/.ok"
  echo "kefu: $name environment ready in $((SECONDS - start)) s" >&2
fi
echo "$dir"
