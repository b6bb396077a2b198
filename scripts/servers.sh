#!/usr/bin/env bash
# Ensure the servers of the scaled mode are installed (Debian's packages): PostgreSQL (tracker
# and order stores), Redis (Rasa's lock store) and nginx (the balancer). Installs with apt when
# run as root; else says how. Ray Serve comes from PyPI with the app environment.
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
missing=()
command -v nginx >/dev/null || missing+=(nginx-light)
command -v redis-server >/dev/null || missing+=(redis-server)
{ command -v psql >/dev/null && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; } || missing+=(postgresql)
(( ${#missing[@]} == 0 )) && exit 0
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "kefu: installing ${missing[*]} for the scaled mode (once per machine)..." >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } > /tmp/kefu-servers.log 2>&1 \
    || { tail -5 /tmp/kefu-servers.log >&2; kefu_die "installing ${missing[*]} failed (log: /tmp/kefu-servers.log)"; }
  # Debian starts the packaged services; kefu runs its own on free ports, so stop those.
  for unit in nginx redis-server postgresql; do service "$unit" stop >/dev/null 2>&1 || true; done
else
  kefu_die "the scaled mode needs: sudo apt-get install ${missing[*]} (Debian/Ubuntu)."
fi
