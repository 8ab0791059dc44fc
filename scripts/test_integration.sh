#!/usr/bin/env bash
# The reliability suite (tests/reliability) against the production profile: two Rasa
# instances, the action server and the load balancer of scripts/run_prod.sh on free ports,
# a throw-away PostgreSQL database and Redis keys of its own on the machine's servers
# (127.0.0.1; RELIABILITY_PG_ADMIN_URL, RELIABILITY_REDIS_HOST/PORT/DB to use others).
# Prints the figures at the end and saves them to results/reliability.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
exec .venv/bin/python -m pytest tests/reliability -q -p no:cacheprovider "$@"
