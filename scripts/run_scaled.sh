#!/usr/bin/env bash
# `make run-scaled`: kefu's scaled mode on this machine, on loopback (deploy/local.py):
# Postgres, Redis, nginx, 2 Rasa replicas, 2 action servers, the knowledge stages on Ray Serve
# and the web page. Builds what is missing first. Ctrl-C stops all.
# KEFU_SCALED_PORT (5080): the balancer; KEFU_WEB_PORT (8080); KEFU_RASA_REPLICAS (2);
# KEFU_ACTION_SERVERS (2); KEFU_SCALED_DIR: logs, configuration, Postgres data (/tmp/kefu-scaled).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/lib.sh"
kefu_pythonpath  # the repository root on PYTHONPATH for every process below (scripts/lib.sh)
"$here/scripts/servers.sh"
eval "$("$here/scripts/prepare.sh")"
kefu_credentials
export KEFU_CORS=${KEFU_CORS:-"http://localhost:${KEFU_WEB_PORT:-8080} http://127.0.0.1:${KEFU_WEB_PORT:-8080}"}
echo "kefu: console login: $console_login" >&2
cd "$here"
exec "$KEFU_APP_ENV/bin/python" -m deploy.local "$@"
