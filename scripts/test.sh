#!/usr/bin/env bash
# The whole test suite, in the order CI runs it. Uses the model `make` trained (once).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# Test servers use their own ports and database so they never touch a running assistant.
export RASA_PORT=5105 ACTION_PORT=5155
export TEST_DB_DIR="${TEST_DB_DIR:-$(mktemp -d)}"
MODEL=models/current.tar.gz

# Each step's header shows the seconds since the suite started (where CI time goes).
step() { printf '\n=== [%ss] %s ===\n' "$SECONDS" "$*"; }

step "lint: ruff check, ruff format --check, mypy, import contracts (make lint)"
make --no-print-directory lint

step "unit tests"
.venv/bin/python -m pytest tests/unit -q

step "rasa data validate"
.venv/bin/rasa data validate --fail-on-warnings

# `rasa test` through the entry point (rasa_ext/runtime/main.py): the held-out NLU set and the
# e2e stories run on the same runtime as `make run` and production (docs/runtime.md).
RASA_RUNTIME=(.venv/bin/python -m rasa_ext.runtime.main)

# Floor: the product's (docs/product_rules.md). Measured 0.961 with the linear classifier (docs/nlu.md).
step "NLU evaluation on the held-out set (tests/nlu, not in training)"
"${RASA_RUNTIME[@]}" test nlu --nlu tests/nlu --model "$MODEL" --out results/nlu >/dev/null
.venv/bin/python scripts/nlu_report.py results/nlu --min-macro-f1 0.95

step "end-to-end test stories"
"${RASA_RUNTIME[@]}" test core --stories tests/stories --model "$MODEL" --out results/core \
  --fail-on-prediction-errors >/dev/null

step "against one throw-away running assistant: integration (REST contract, bad input), staff console, chat widget in Chromium"
scripts/install_browser.sh
# One server start for all three suites; the test that stops the action server runs last.
scripts/test_servers.sh .venv/bin/python -m pytest tests/integration tests/console tests/browser -q

step "reliability: load, faults, fuzz, booking race on the production profile (PostgreSQL + Redis)"
scripts/test_integration.sh

echo; echo "ALL TESTS PASSED in ${SECONDS}s"
