#!/usr/bin/env bash
# `make bench`: our assistant against the stock `rasa init` starter bot under the same load
# (scripts/bench.py; options: scripts/bench.sh --help). Ours runs with the settings of env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
mkdir -p results logs build/bench
exec .venv/bin/python scripts/bench.py "$@"
