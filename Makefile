# Thin targets over scripts/. `make run` and `make test` work on a fresh machine:
# they create the venv, build the spaCy pipeline and train only when inputs changed.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
SPACY_DIR := build/spacy_en_tms
MODEL := models/current.tar.gz
.PHONY: run run-prod test test-integration train install spacy validate lint bench eval-safety clean $(MODEL)

run: $(MODEL)
	scripts/run.sh

# Production profile: PostgreSQL + Redis, N Rasa instances behind a load balancer (README "Production and deployment").
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

# Always asks the script, which trains only when the inputs' hash changed.
$(MODEL): $(VENV)/.installed $(SPACY_DIR)/meta.json
	scripts/train_if_changed.sh

# Static checks (settings in pyproject.toml): lint, formatting, types, and the import layers
# (practice/ is Rasa-free; rasa_ext/, actions/ and console/ do not import each other).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	PYTHONPATH=. $(VENV)/bin/lint-imports

validate: $(VENV)/.installed
	$(RASA) data validate --fail-on-warnings

bench: $(MODEL)
	scripts/bench.sh

# Risk handling on the frozen blind sets (tests/safety_eval): the risk model alone and the whole
# assistant, per level (docs/safety.md).
eval-safety: $(MODEL)
	scripts/test_servers.sh sh -c '$(PY) scripts/eval_safety.py --url "$$ASSISTANT_URL"'

clean:
	rm -rf models build results .rasa
