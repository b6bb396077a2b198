#!/usr/bin/env bash
# Ensure the widget's front-end dependencies (web/package-lock.json, from npm) are installed in
# the cache and print the folder. Keyed by the lock file's hash, like the Python environments;
# the web server serves socket.io-client from there (/vendor/...), so no CDN is used at run time.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/lib.sh"
lock="$here/web/package-lock.json"
command -v npm >/dev/null || kefu_die "npm is needed for the widget's socket.io client; install Node.js 18+ (e.g. 'apt-get install nodejs npm')."
dir="$(kefu_cache)/envs/web-$(kefu_hash "$lock" "$here/web/package.json")"
mkdir -p "$(kefu_cache)/envs"
exec 9>"$dir.lock"
flock 9
if [[ ! -f $dir/.ok ]]; then
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$lock" "$here/web/package.json" "$dir/"
  echo "kefu: installing the widget's npm packages in $dir..." >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error > "$dir.log" 2>&1) \
    || { tail -5 "$dir.log" >&2; kefu_die "npm ci failed (full log: $dir.log). Check the network to the npm registry, then run the command again."; }
  touch "$dir/.ok"
fi
echo "$dir"
