# The assistant's commands. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Nothing leaves the machine: no usage data to Rasa's telemetry service.
export RASA_TELEMETRY_ENABLED := false

VENV := .venv
BIN := $(VENV)/bin
MODEL := models/medspa.tar.gz
SPACY_MODEL := build/spacy_en/meta.json
WEB_DEPS := web/node_modules/.package-lock.json
TRAINING_INPUTS := config.yml domain.yml knowledge/cues.yml knowledge/treatments.yml medspa/cues.py medspa/sentences.py $(shell find data -name '*.yml') $(wildcard components/*.py)

.PHONY: help install browser train run shell validate lint format test test-unit \
        test-conversations test-browser grade benchmark report lock clean \
        production-servers run-production test-production benchmark-load profile

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-model.txt constraints.txt scripts/install.sh
	scripts/install.sh
	touch $@

$(SPACY_MODEL): $(VENV)/.installed scripts/build_spacy_model.py
	$(BIN)/python scripts/build_spacy_model.py build/spacy_en

$(WEB_DEPS): web/package.json web/package-lock.json scripts/install_web.sh
	scripts/install_web.sh

install: $(VENV)/.installed $(SPACY_MODEL) $(WEB_DEPS) ## create .venv, install the pinned dependencies and the chat widget

browser: ## install Debian's Chromium for the browser tests (root, apt-get)
	scripts/install_browser.sh

$(MODEL): $(TRAINING_INPUTS) $(SPACY_MODEL)
	$(BIN)/rasa train --fixed-model-name medspa --out models
	touch $@

train: install $(MODEL) ## train the model if it is missing or older than its inputs

run: install train ## set up if needed, then start the assistant on this machine
	scripts/run.sh

shell: install train ## talk to the assistant in the terminal (rasa shell)
	scripts/shell.sh

validate: install ## check training data and domain (rasa data validate, warnings fail)
	$(BIN)/python scripts/validate_data.py

lint: install ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install ## format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test-unit: install ## knowledge base and actions, no servers
	$(BIN)/python -m pytest tests/unit

test-conversations: install train ## conversation tests: fail on any prediction error
	$(BIN)/rasa test core --model $(MODEL) --stories tests/stories \
	  --fail-on-prediction-errors --out results/conversations

test-browser: install browser train ## the chat widget in headless Chromium
	$(BIN)/python -m pytest tests/browser

production-servers: ## install PostgreSQL, Redis and HAProxy from Debian (root, apt-get)
	scripts/install_production.sh

run-production: install train production-servers ## the production profile: PostgreSQL, Redis, 2 Rasa servers (a worker per core), HAProxy
	$(BIN)/python -m scripts.production

test-production: install train production-servers ## the production profile's tests (kill -9, outages)
	$(BIN)/python -m pytest tests/production

test: install browser train production-servers validate lint test-conversations ## every test (what CI runs)
	$(BIN)/python -m pytest

grade: install train ## grade on real visitors' questions first, then the self-written sets
	$(BIN)/python -m benchmarks.real_questions tests/realworld/test.yml --show-misses
	$(BIN)/python -m benchmarks.grade_heldout tests/heldout/test.yml \
	  tests/heldout/test_visitors.yml

benchmark: install train ## print NLU accuracy on the held-out questions
	$(BIN)/python -m benchmarks.nlu_accuracy --data tests/heldout/test.yml
	$(BIN)/python -m benchmarks.nlu_accuracy --data tests/heldout/test_visitors.yml

benchmark-load: install train production-servers ## load: the assistant (embedded, production) against a stock rasa init bot
	$(BIN)/python -m benchmarks.load --profiles embedded,production

profile: install train ## where the Rasa server's time goes at saturation (py-spy)
	$(BIN)/python -m benchmarks.load.profile

report: ## what visitors asked: a report for staff from var/conversations.db
	$(BIN)/python scripts/report.py

lock: install ## re-pin every installed version into constraints.txt
	( echo '# Every package version of the tested set (pip freeze). Regenerate with `make lock`.'; \
	  $(BIN)/pip freeze --exclude-editable ) > constraints.txt

clean: ## remove built files (environment, models, caches)
	rm -rf $(VENV) models build results .rasa .pytest_cache .mypy_cache .ruff_cache web/node_modules test-artifacts

# The staff console (console/, README "Staff console").
.PHONY: console staff-user retention export-reviewed

console: install ## serve the staff console alone (make run starts it too)
	$(BIN)/python -m console serve

staff-user: install ## add a console account: make staff-user NAME=alice [ROLE=admin] (asks the password)
	@test -n "$(NAME)" || { echo "usage: make staff-user NAME=alice [ROLE=staff|admin]"; exit 2; }
	$(BIN)/python -m console add-user "$(NAME)" --role "$(or $(ROLE),staff)"

export-reviewed: install ## write the console's reviewed messages into data/nlu/reviewed.yml
	$(BIN)/python -m console export-reviewed

retention: install ## delete conversations older than MEDSPA_RETENTION_DAYS (the console does it too)
	$(BIN)/python -m console retention
