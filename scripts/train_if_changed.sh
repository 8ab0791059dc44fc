#!/usr/bin/env bash
# Trains models/current.tar.gz only when its inputs changed since the last training.
# The inputs' hash is taken before training starts, so an edit made during training
# still triggers the next one (file times alone would miss it).
set -euo pipefail
cd "$(dirname "$0")/.."
# The channels and their helpers run in the server only; the model does not depend on them.
server_only='components/(channels|socketio_channel|message_guard|rate_limit|log_redaction|lock_store)\.py$'
inputs=$( { ls config.yml domain.yml build/spacy_en_tms/meta.json
            find data components -type f \( -name '*.yml' -o -name '*.py' \) | grep -Ev "$server_only"; } | LC_ALL=C sort)
digest=$(cat $inputs | sha256sum | cut -d' ' -f1)
if [ -f models/current.tar.gz ] && [ "$(cat models/current.sha256 2>/dev/null)" = "$digest" ]; then
  echo "model up to date (models/current.tar.gz)"
  exit 0
fi
.venv/bin/rasa train --fixed-model-name current --out models --num-threads 2
echo "$digest" > models/current.sha256
