#!/usr/bin/env bash
# Trains models/current.tar.gz only when its inputs changed since the last training.
# The inputs' hash is taken before training starts, so an edit made during training
# still triggers the next one (file times alone would miss it).
set -euo pipefail
cd "$(dirname "$0")/.."
# The model depends on the NLU components and policies and on the domain code they use, and on
# the knowledge the NLU reads at training (the crisis lexicon's normalisation is the risk
# model's input; the medication list feeds the extractor); the channels, stores and the
# server's runtime run in the server only.
inputs=$( { ls config.yml domain.yml build/spacy_en_tms/meta.json knowledge/crisis_lexicon.yml knowledge/medications.yml
            find data practice rasa_ext/nlu rasa_ext/policies -type f \( -name '*.yml' -o -name '*.py' \); } | LC_ALL=C sort)
digest=$(cat $inputs | sha256sum | cut -d' ' -f1)
if [ -f models/current.tar.gz ] && [ "$(cat models/current.sha256 2>/dev/null)" = "$digest" ]; then
  echo "model up to date (models/current.tar.gz)"
  exit 0
fi
.venv/bin/rasa train --fixed-model-name current --out models --num-threads 2
echo "$digest" > models/current.sha256
