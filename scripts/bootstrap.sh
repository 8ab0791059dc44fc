#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs the pinned requirements (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  "$(scripts/find_python310.sh)" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip==26.3" "wheel==0.45.1"
.venv/bin/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt -c constraints.txt
touch .venv/.installed
