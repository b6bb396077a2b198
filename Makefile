# kefu — run `make help` for the list of targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
APP_ENV = $$(scripts/env.sh app)
RASA_ENV = $$(scripts/env.sh rasa)
export HF_HUB_OFFLINE ?= 1
export RASA_TELEMETRY_ENABLED = false
export TOKENIZERS_PARALLELISM = false
# kefu's packages are imported from the repository root by both Python environments (nothing is
# pip-installed into the shared cached ones): the root on PYTHONPATH, as scripts/lib.sh's
# kefu_pythonpath does for the scripts.
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: help setup models eval eval-bot eval-nlu eval-logistics eval-recommend index lookups logistics-data plan bot actions run test test-unit screenshots reliability bench bench-capacity bench-pipeline bench-rest bench-scale run-scaled lint lock clean-cache

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

setup: ## build the two Python environments (cached by lock-file hash)
	@scripts/env.sh rasa >/dev/null && scripts/env.sh app >/dev/null && echo "environments ready"

models: setup ## build/train every configured model once (the matcher: ~10 min on 2 cores)
	@$(APP_ENV)/bin/python -m knowledge models && $(APP_ENV)/bin/python -m shop models

eval: models $(if $(STORE),,eval-nlu eval-logistics eval-recommend) ## every evaluation: reports/eval.json (knowledge), nlu, logistics, recommend; STORE=<folder>: that store's questions only
	@$(APP_ENV)/bin/python -m knowledge eval $${STORE:+--store "$$STORE"}

eval-nlu: ## held-out NLU figures per language -> reports/nlu.json, reports/nlu_confusion.png
	@PYTHONPATH=$(CURDIR)/bot:$$PYTHONPATH $(RASA_ENV)/bin/python scripts/nlu_eval.py "$$(scripts/bot_model.sh)"

eval-recommend: setup ## recommender vs popularity (next purchase, wishes) -> reports/recommend.json
	@$(APP_ENV)/bin/python -m shop recommend --evaluate

tune-generator: setup ## tune the local generator on data/copy (≈ 1 h on 2 cores) into the cache; prints the folder for KEFU_GENERATOR_MODEL
	@out="$${KEFU_CACHE:-$$HOME/.cache/kefu}/models/kefu--generator-copy-$$(cat data/copy/train.jsonl shop/generate/tune.py shop/generate/prompt.py | sha256sum | cut -c1-12)"; \
	if [ -f "$$out/kefu-tuned.json" ]; then echo "already tuned: $$out"; \
	else $(APP_ENV)/bin/python -m shop.generate tune data/copy/train.jsonl --out "$$out"; fi; \
	echo "KEFU_GENERATOR_MODEL=$$out KEFU_GENERATOR_USE=marketing/en make run"

eval-logistics: setup ## planner vs naive on a seeded day, ETA accuracy -> reports/logistics.json
	@$(APP_ENV)/bin/python -m shop.logistics report > /dev/null && echo "wrote reports/logistics.json"

plan: setup ## the fulfilment planner on a seeded day (ORDERS=600 SEED=7): the plan, its cost vs naive
	@$(APP_ENV)/bin/python -m shop.logistics plan --orders $${ORDERS:-600} --seed $${SEED:-7}

eval-bot: setup ## held-out store questions through the whole bot (REST channel) -> reports/eval_bot.json, eval_bot_fresh.json (+ .png); STORE=<folder>: a stack on that store
	@$(APP_ENV)/bin/python scripts/eval_bot.py $${STORE:+--store "$$STORE"}

index: setup ## the passage index for the current models (after a data change: make models retrains and re-indexes)
	@$(APP_ENV)/bin/python -m knowledge index

lookups: ## regenerate bot/data/lookups.yml from the catalog and cities (after editing data/)
	@python3 scripts/lookups.py

logistics-data: ## regenerate data/logistics/lanes.csv and stock.csv (after editing cities, warehouses, catalog)
	@python3 scripts/logistics_data.py

bot: setup ## train the Rasa model if bot/ changed
	@scripts/bot_model.sh

bench: bench-pipeline ## speed figures: Rasa-side latency per turn (reports/bench_rasa.json) and the hot path
	@PYTHONPATH=$(CURDIR)/bot:$$PYTHONPATH $(RASA_ENV)/bin/python -m bench.rasa_turns "$$(scripts/bot_model.sh)"

bench-pipeline: setup ## hot path: naive vs micro-batched vs model-only ceiling -> reports/bench.json, bench.png
	@$(APP_ENV)/bin/python -m knowledge prepare >/dev/null && $(APP_ENV)/bin/python -m bench.pipeline

bench-capacity: setup ## shoppers one machine holds: the whole stack at rising rates (BASELINE=<rev> first) -> reports/capacity.json, .png
	@eval "$$(scripts/prepare.sh)" && "$$KEFU_APP_ENV/bin/python" -m bench.capacity $${BASELINE:+--baseline "$$BASELINE"}

bench-insights: setup ## the console's insights on 100,000 generated conversations: fold, query and page times -> reports/insights.json
	@eval "$$(scripts/prepare.sh)" && scripts/browser.sh && "$$KEFU_APP_ENV/bin/python" -m bench.insights --pages

bench-rest: ## full stack, SHOPPERS=32 through Rasa's REST channel (start it first: make run)
	@$(APP_ENV)/bin/python bench/rasa_rest.py --shoppers $${SHOPPERS:-32}

bench-scale: ## scaled mode: 1 vs 2 replicas per tier, Ray Serve vs in-process batching -> reports/scale.json
	@scripts/servers.sh && eval "$$(scripts/prepare.sh)" && "$$KEFU_APP_ENV/bin/python" -m bench.scale

actions: setup ## run the action server alone on KEFU_ACTIONS_PORT (5055), e.g. for scripts/rasa.sh shell
	@source scripts/lib.sh && kefu_action_token && \
	  $(APP_ENV)/bin/python -m knowledge prepare && $(APP_ENV)/bin/python -m actions.server --port $${KEFU_ACTIONS_PORT:-5055}

run: ## build what is missing, then start rasa + actions + web and print the shopper URL
	@scripts/run.sh

run-scaled: ## the scaled mode on loopback: nginx, Postgres, Redis, 2 Rasa + 2 action servers, Ray Serve
	@scripts/run_scaled.sh

test: ## everything CI runs: unit tests, bot validation and stories, end-to-end
	@scripts/test.sh

screenshots: ## run the browser tests and save screenshots of the widget and console in reports/screenshots
	@eval "$$(scripts/prepare.sh)" && scripts/browser.sh && KEFU_SCREENSHOTS=reports/screenshots \
	  "$$KEFU_APP_ENV/bin/python" -m pytest -q -m e2e -o addopts="--strict-markers -ra" tests/e2e/test_browser.py

reliability: ## bad input, faults and load through the real stack (part of make test) -> reports/reliability.json
	@eval "$$(scripts/prepare.sh)" && scripts/browser.sh && KEFU_REPORTS=1 KEFU_LOAD_CONVERSATIONS=200 "$$KEFU_APP_ENV/bin/python" -m pytest -q -m e2e \
	  -o addopts="--strict-markers -ra" tests/e2e/test_bad_input.py tests/e2e/test_identity.py tests/e2e/test_faults.py tests/e2e/test_load.py

test-unit: setup ## fast unit tests only
	@$(APP_ENV)/bin/python -m pytest -q

lint: setup ## ruff and mypy on knowledge/, shop/, common/, actions/, web/, tests/
	@$(APP_ENV)/bin/ruff check knowledge shop actions web tests common
	@$(APP_ENV)/bin/ruff format --check knowledge shop actions web tests common
	@$(APP_ENV)/bin/mypy

lock: ## regenerate requirements/*.lock from requirements/*.in
	@scripts/lock.sh rasa && scripts/lock.sh app

clean-cache: ## delete kefu's cache (environments, models, indexes, Rasa models)
	rm -rf "$${KEFU_CACHE:-$$HOME/.cache/kefu}"
