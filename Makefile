# Thin targets over scripts/. `make run` and `make test` work on a fresh machine:
# they create the venv, build the spaCy pipeline and train only when inputs changed.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
SPACY_DIR := build/spacy_en_tms
MODEL := models/current.tar.gz
# The channels and their helpers run in the server only; the model does not depend on them.
SERVER_ONLY := components/channels.py components/socketio_channel.py components/message_guard.py \
	components/rate_limit.py components/log_redaction.py
TRAIN_INPUTS := config.yml domain.yml $(shell find data -name '*.yml') \
	$(filter-out $(SERVER_ONLY),$(wildcard components/*.py))

.PHONY: run run-prod test test-integration train install spacy validate lint bench clean

run: $(MODEL)
	scripts/run.sh

# Production profile: PostgreSQL + Redis, N Rasa instances behind a load balancer (README).
run-prod: $(MODEL)
	scripts/run_prod.sh

test: $(MODEL)
	scripts/test.sh

# Reliability suite against the production profile (tests/reliability; also run by `make test`).
test-integration: $(MODEL)
	scripts/test_integration.sh

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt scripts/bootstrap.sh
	scripts/bootstrap.sh

spacy: $(SPACY_DIR)/meta.json

$(SPACY_DIR)/meta.json: $(VENV)/.installed scripts/build_spacy_pipeline.py knowledge/medications.yml
	$(PY) scripts/build_spacy_pipeline.py $(SPACY_DIR)

train: $(MODEL)

$(MODEL): $(VENV)/.installed $(SPACY_DIR)/meta.json $(TRAIN_INPUTS)
	$(RASA) train --fixed-model-name current --out models --num-threads 2
	touch $(MODEL)

validate: $(VENV)/.installed
	$(RASA) data validate --fail-on-warnings

bench: $(MODEL)
	scripts/bench.sh

clean:
	rm -rf models build results .rasa
