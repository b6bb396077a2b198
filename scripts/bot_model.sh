#!/usr/bin/env bash
# Ensure a trained Rasa model for the current bot/ exists in the cache; print its path.
# Keyed by the hash of bot/config.yml, bot/domain.yml, bot/data/ and the rasa lock file, so
# `rasa train` runs only when the bot changed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/lib.sh"
kefu_pythonpath  # the repository root on PYTHONPATH for every process below (scripts/lib.sh)
rasa_env=$("$here/scripts/env.sh" rasa)
cd "$here/bot"
files=(config.yml domain.yml $(find data components -type f \( -name '*.y*ml' -o -name '*.py' \) | sort) "$here/requirements/rasa.lock")
key=$(kefu_hash "${files[@]}")
out="$(kefu_cache)/rasa-models"
model="$out/bot-$key.tar.gz"
if [[ ! -f $model ]]; then
  mkdir -p "$out"
  echo "kefu: training the Rasa model (bot/ changed; about 2 minutes on 2 cores, 6 with an empty cache)..." >&2
  start=$SECONDS
  if ! RASA_TELEMETRY_ENABLED=false KEFU_CACHE="$(kefu_cache)" RASA_CACHE_DIRECTORY="$(kefu_cache)/rasa-cache" "$rasa_env/bin/rasa" train --config config.yml \
      --domain domain.yml --data data --out "$out" --fixed-model-name "partial-$key" \
      > "$out/train-$key.log" 2>&1; then
    tail -20 "$out/train-$key.log" >&2
    kefu_die "rasa train failed (log: $out/train-$key.log); fix bot/ and run again."
  fi
  mv "$out/partial-$key.tar.gz" "$model"
  echo "kefu: Rasa model trained in $((SECONDS - start)) s" >&2
fi
echo "$model"
