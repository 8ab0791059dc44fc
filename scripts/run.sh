#!/usr/bin/env bash
# Starts the assistant: action server (:5055) and Rasa server (:5005, REST + socket.io).
# Ctrl-C (or SIGTERM) stops every process this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

pids=()
stop() {
  trap - INT TERM EXIT
  echo "Stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

mkdir -p var logs
.venv/bin/rasa run actions --port "$ACTION_PORT" &
pids+=($!)
.venv/bin/rasa run --model models/current.tar.gz --port "$RASA_PORT" --interface "$RASA_INTERFACE" \
  --credentials credentials.yml --endpoints "$RASA_ENDPOINTS" \
  --cors $CORS_ORIGINS --enable-api --auth-token "$RASA_AUTH_TOKEN" &
pids+=($!)

echo "Starting: Rasa on http://$RASA_INTERFACE:$RASA_PORT, actions on :$ACTION_PORT (Ctrl-C stops all)"
wait -n "${pids[@]}"
