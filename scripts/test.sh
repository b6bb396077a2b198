#!/usr/bin/env bash
# `make test`: what CI runs. Builds what is missing, then:
#   1. unit tests (pytest, app environment);
#   2. `rasa data validate`, the conversation test stories (`rasa test core`) and the NLU of
#      every story turn (scripts/nlu_eval.py --check-stories);
#   3. end-to-end: the real stack on free ports, REST messages, checked replies; the widget
#      and the agent console driven by Playwright in Debian's headless Chromium;
#   4. the scaled mode (deploy/local.py): replicas killed mid-run, nothing lost or doubled.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/lib.sh"
kefu_pythonpath  # the repository root on PYTHONPATH for every process below (scripts/lib.sh)
eval "$("$here/scripts/prepare.sh")"
"$here/scripts/servers.sh"  # Postgres, Redis, nginx for the scaled mode (and its unit tests)
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1} RASA_TELEMETRY_ENABLED=false TOKENIZERS_PARALLELISM=false
# bot/endpoints.yml (read by `rasa test`) names the action server's token
kefu_action_token
cd "$here"

echo "== unit tests"
"$KEFU_APP_ENV/bin/python" -m pytest -q -m "not e2e" -o addopts="--strict-markers -ra"

echo "== rasa data validate"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd bot && "$KEFU_RASA_ENV/bin/rasa" data validate --domain domain.yml --data data > "$out/validate.log" 2>&1) \
  || { tail -30 "$out/validate.log"; kefu_die "rasa data validate found errors in bot/ (above)."; }
echo "bot/ training data and domain are valid"

echo "== rasa test (conversation stories)"
# Explicit paths: a bare `rasa test` crawls into .rasa/cache and crashes (rasa 3.6).
# Custom actions are not run here (no action server): the stories check intents and the
# next action; the end-to-end test below runs the actions for real.
(cd bot && "$KEFU_RASA_ENV/bin/rasa" test core --model "$KEFU_BOT_MODEL" --stories tests \
  --out "$out/results" --fail-on-prediction-errors > "$out/rasa-test.log" 2>&1) \
  || { tail -40 "$out/rasa-test.log"; kefu_die "rasa test failed: a conversation story went wrong (above)."; }
echo "all conversation stories passed"
# `rasa test core` takes each turn's intent from the story; this parses every turn's text
# with the trained NLU and checks the labelled intent and entities come out.
PYTHONPATH="$here/bot:${PYTHONPATH:-}" "$KEFU_RASA_ENV/bin/python" scripts/nlu_eval.py "$KEFU_BOT_MODEL" --check-stories bot/tests \
  || kefu_die "a conversation story's message was not understood as labelled (above)."

echo "== end-to-end (REST, and the widget and console in headless Chromium)"
"$here/scripts/browser.sh"
"$KEFU_APP_ENV/bin/python" -m pytest -q -m "e2e and not scaled" -o addopts="--strict-markers -ra" tests/e2e

echo "== scaled mode (2 Rasa replicas, 2 action servers, nginx, Postgres, Redis, Ray Serve)"
"$KEFU_APP_ENV/bin/python" -m pytest -q -m scaled -o addopts="--strict-markers -ra" tests/e2e
