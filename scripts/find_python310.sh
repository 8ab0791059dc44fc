#!/usr/bin/env bash
# Prints a Python 3.10 interpreter (Rasa 3.6 needs 3.8-3.10; the default python3 may be 3.11).
set -euo pipefail
for candidate in "${PYTHON310:-}" python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  [ -n "$candidate" ] || continue
  if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    command -v "$candidate" || echo "$candidate"
    exit 0
  fi
done
echo "No Python 3.10 found: install it (e.g. pyenv install 3.10.13) or set PYTHON310=/path/to/python3.10" >&2
exit 1
