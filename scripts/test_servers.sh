#!/usr/bin/env bash
# Runs a command while a throw-away assistant (Rasa + action server + the widget's demo page)
# is up on test ports, with its own SQLite database; stops all afterwards whatever the result.
set -euo pipefail
cd "$(dirname "$0")/.."
# Test ports are set before env.sh, whose defaults are the `make run` ports.
export RASA_PORT="${RASA_PORT:-5105}" ACTION_PORT="${ACTION_PORT:-5155}" WEB_PORT="${WEB_PORT:-8180}"
source scripts/env.sh
: "${TEST_DB_DIR:=$(mktemp -d)}"
export ASSISTANT_URL="http://127.0.0.1:$RASA_PORT"
export WEB_URL="http://127.0.0.1:$WEB_PORT"
# The browser origins of the test demo page, for `--cors` and the socket.io channel.
export CORS_ORIGINS="$WEB_URL http://localhost:$WEB_PORT"
export BOOKING_DB_URL="sqlite:///$TEST_DB_DIR/assistant.db"
# Every suite's visitors come from 127.0.0.1: a per-address limit the suites stay under, which
# tests/integration/test_limits.py reaches from addresses of its own (X-Forwarded-For).
export RATE_LIMIT_IP_PER_MINUTE="${RATE_LIMIT_IP_PER_MINUTE:-600}"
export TRACKER_DB_PATH="$TEST_DB_DIR/assistant.db"
ENDPOINTS="$TEST_DB_DIR/endpoints.yml"
cat > "$ENDPOINTS" <<YAML
action_endpoint:
  url: "http://127.0.0.1:$ACTION_PORT/webhook"
tracker_store:
  type: SQL
  dialect: sqlite
  db: "$TEST_DB_DIR/assistant.db"
lock_store:
  type: in_memory
YAML
mkdir -p logs
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

.venv/bin/rasa run actions --port "$ACTION_PORT" > logs/test-actions.log 2>&1 &
pids+=($!)
.venv/bin/python -m rasa_ext.runtime.main run --model models/current.tar.gz --port "$RASA_PORT" --interface 127.0.0.1 \
  --credentials credentials.yml --endpoints "$ENDPOINTS" --enable-api \
  --cors $CORS_ORIGINS > logs/test-rasa.log 2>&1 &
pids+=($!)
.venv/bin/python ops/serve_web.py --port "$WEB_PORT" --bind 127.0.0.1 --assistant-url "$ASSISTANT_URL" \
  > logs/test-web.log 2>&1 &
pids+=($!)
export ACTION_SERVER_PID="${pids[0]}" RASA_SERVER_PID="${pids[1]}"

for _ in $(seq 1 180); do
  if curl -sf "$ASSISTANT_URL/webhooks/rest/" >/dev/null && curl -sf "http://127.0.0.1:$ACTION_PORT/health" >/dev/null \
     && curl -sf "$WEB_URL/demo/" >/dev/null; then
    break
  fi
  sleep 1
done
curl -sf "$ASSISTANT_URL/webhooks/rest/" >/dev/null || { echo "assistant did not start; see logs/test-rasa.log"; tail -30 logs/test-rasa.log; exit 1; }
"$@"
