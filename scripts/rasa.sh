#!/usr/bin/env bash
# Run any rasa command from bot/ in kefu's Rasa environment, e.g.
#   scripts/rasa.sh train | test | shell | interactive | data validate
# (bot/endpoints.yml: the action server on port 5055, `make actions`; tracker in bot/tracker.db).
# Equivalent: `source "$(scripts/env.sh rasa)/bin/activate" && export PYTHONPATH=$PWD && cd bot && rasa ...`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/lib.sh"
kefu_pythonpath  # the repository root on PYTHONPATH for every process below (scripts/lib.sh)
rasa_env=$("$here/scripts/env.sh" rasa)
export RASA_TELEMETRY_ENABLED=false
# bot/endpoints.yml sends the action server its token (the one `make run` keeps in the cache)
kefu_action_token
export RASA_CACHE_DIRECTORY=${RASA_CACHE_DIRECTORY:-$(kefu_cache)/rasa-cache}
cd "$here/bot"
exec "$rasa_env/bin/rasa" "$@"
