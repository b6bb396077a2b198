#!/usr/bin/env bash
# `make run`: build what is missing, then start rasa, the action server and the web page under
# one supervisor (honcho), wait until each answers, and print the shopper URL. Ctrl-C stops all.
# Ports: KEFU_RASA_PORT (5005), KEFU_ACTIONS_PORT (5055), KEFU_WEB_PORT (8080); host KEFU_HOST.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/lib.sh"
kefu_pythonpath  # the repository root on PYTHONPATH for every process below (scripts/lib.sh)

export KEFU_HOST=${KEFU_HOST:-127.0.0.1}
export KEFU_RASA_PORT=${KEFU_RASA_PORT:-5005}
export KEFU_ACTIONS_PORT=${KEFU_ACTIONS_PORT:-5055}
export KEFU_WEB_PORT=${KEFU_WEB_PORT:-8080}
for port in "$KEFU_RASA_PORT" "$KEFU_ACTIONS_PORT" "$KEFU_WEB_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    kefu_die "port $port is already in use; stop what uses it or choose other ports, e.g. KEFU_RASA_PORT=5006 KEFU_ACTIONS_PORT=5056 KEFU_WEB_PORT=8081 make run"
  fi
done

eval "$("$here/scripts/prepare.sh")"
actions_url="http://127.0.0.1:$KEFU_ACTIONS_PORT/webhook"  # where Rasa calls the action server
export KEFU_TRACKER_DB=${KEFU_TRACKER_DB:-$(kefu_cache)/tracker.db}
kefu_credentials  # KEFU_RASA_TOKEN, KEFU_ACTION_TOKEN, KEFU_IDENTITY_SECRET, KEFU_AGENTS (scripts/lib.sh)
# Rasa's endpoints for this run: the action server on its port, the SQLite tracker store
# (Rasa's SQL store, redacting personal data: bot/stores/redacting.py).
if [[ -z ${KEFU_ENDPOINTS:-} ]]; then
  KEFU_ENDPOINTS="$(kefu_cache)/run/endpoints-$KEFU_RASA_PORT.yml"
  mkdir -p "$(dirname "$KEFU_ENDPOINTS")"
  # The action token is read from the environment by Rasa (${...}), never written here; it
  # travels as a header, so no URL (and no access log) carries it.
  printf 'action_endpoint:\n  url: "%s"\n  headers:\n    Authorization: Bearer ${KEFU_ACTION_TOKEN}\ntracker_store:\n  type: stores.redacting.RedactingSQLTrackerStore\n  dialect: "sqlite"\n  db: "%s"\n' \
    "$actions_url" "$KEFU_TRACKER_DB" > "$KEFU_ENDPOINTS"
fi
export KEFU_ENDPOINTS
export KEFU_PUBLIC_RASA_URL=${KEFU_PUBLIC_RASA_URL:-http://localhost:$KEFU_RASA_PORT}
export KEFU_CORS=${KEFU_CORS:-"http://localhost:$KEFU_WEB_PORT http://127.0.0.1:$KEFU_WEB_PORT"}
export RASA_TELEMETRY_ENABLED=false HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1} TOKENIZERS_PARALLELISM=false
export PYTHONUNBUFFERED=1
# Rasa's listen backlog (its default, 100, resets connections when hundreds of shoppers
# connect at once; the kernel caps it at net.core.somaxconn).
export SANIC_BACKLOG=${SANIC_BACKLOG:-1024}
mkdir -p "$(dirname "$KEFU_TRACKER_DB")"

wait_ready() {
  local start=$SECONDS url
  for url in "http://127.0.0.1:$KEFU_ACTIONS_PORT/health" "http://127.0.0.1:$KEFU_RASA_PORT/" \
      "http://127.0.0.1:$KEFU_WEB_PORT/health"; do
    until curl -fsS -o /dev/null "$url" 2>/dev/null; do
      sleep 1
      if (( SECONDS - start > ${KEFU_START_TIMEOUT:-300} )); then
        echo "kefu: $url did not answer within ${KEFU_START_TIMEOUT:-300} s; see the logs above." >&2
        return 1
      fi
    done
  done
  echo "kefu: ready in $((SECONDS - start)) s. Shopper page: http://localhost:$KEFU_WEB_PORT/  Agent console: http://localhost:$KEFU_WEB_PORT/console ($console_login)  (Ctrl-C stops kefu)" >&2
}
wait_ready &
waiter=$!
trap 'kill $waiter 2>/dev/null || true' EXIT
cd "$here"
"$KEFU_APP_ENV/bin/honcho" -f "$here/Procfile" -d "$here" start
