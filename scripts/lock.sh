#!/usr/bin/env bash
# Regenerate a lock file from its .in file: resolve in a throw-away venv, then `pip freeze --all`.
# Usage: scripts/lock.sh rasa|app
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/lib.sh"
name=${1:?usage: scripts/lock.sh rasa|app}
py=$(kefu_python_for "$name")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" -m venv "$tmp/venv"
in="$here/requirements/$name.in"
flags=()
[[ -f $here/requirements/$name.constraints ]] && flags+=(-c "$here/requirements/$name.constraints")
# Lines marked "# ignore-requires-python" go in a second pass with that flag, so that the flag
# never lets the resolver pick, say, a numpy that needs a newer Python for everything else.
grep -v 'ignore-requires-python$' "$in" > "$tmp/main.in"
grep 'ignore-requires-python$' "$in" | sed 's/#.*//' > "$tmp/late.in" || true
"$tmp/venv/bin/pip" install -q "${flags[@]}" -r "$tmp/main.in"
if [[ -s $tmp/late.in ]]; then
  "$tmp/venv/bin/pip" install -q "${flags[@]}" --ignore-requires-python -r "$tmp/late.in"
fi
"$tmp/venv/bin/pip" check
"$tmp/venv/bin/pip" freeze --all | grep -v '^pip==' > "$here/requirements/$name.lock"
echo "wrote requirements/$name.lock ($(wc -l < "$here/requirements/$name.lock") packages)"
