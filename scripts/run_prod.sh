#!/usr/bin/env bash
# The production profile on one machine (`make run-prod`): PostgreSQL for conversations and
# bookings, Redis for conversation locks and rate limits, RASA_INSTANCES Rasa servers (default
# 2) on RASA_INSTANCE_BASE_PORT+1.. (5011, 5012, ...), the action server on ACTION_PORT and the
# load balancer (scripts/lb.py) on RASA_PORT (5005) in front. Ctrl-C stops all.
#
#   scripts/run_prod.sh                # everything
#   scripts/run_prod.sh setup          # check PostgreSQL/Redis, create the database, migrate
#   scripts/run_prod.sh actions        # one part in the foreground (tests/reliability uses these)
#   scripts/run_prod.sh rasa I         # Rasa instance I (1..N) on RASA_INSTANCE_BASE_PORT+I
#   scripts/run_prod.sh lb             # the load balancer over instances 1..RASA_INSTANCES
#
# Settings (README "Production"): TRACKER_DB_URL, BOOKING_DB_URL, REDIS_HOST/PORT/DB/PASSWORD,
# REDIS_LOCK_PREFIX, REDIS_URL, CORS_ORIGINS, LB_BIND, RATE_LIMIT_*.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

export RASA_INSTANCES="${RASA_INSTANCES:-2}"
export RASA_INSTANCE_BASE_PORT="${RASA_INSTANCE_BASE_PORT:-5010}"
# Rasa instances and the action server listen on loopback; only the load balancer is public
# (LB_BIND=0.0.0.0 to accept other machines; put TLS in front of it).
# No `--enable-api` on the instances: production needs none of Rasa's HTTP API (trackers,
# model, events), so a path that slips past the balancer finds nothing there either.
export ACTION_INTERFACE="${ACTION_INTERFACE:-127.0.0.1}" INSTANCE_INTERFACE="${INSTANCE_INTERFACE:-127.0.0.1}"
export CONSOLE_HOST="${CONSOLE_HOST:-127.0.0.1}"
export LB_BIND="${LB_BIND:-$RASA_INTERFACE}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:$ACTION_PORT/webhook}"
# connect_timeout: a database host that stops answering fails a turn in 5 s, not minutes.
export TRACKER_DB_URL="${TRACKER_DB_URL:-postgresql://postgres@127.0.0.1:5432/tms_assistant?connect_timeout=5}"
export BOOKING_DB_URL="${BOOKING_DB_URL:-$TRACKER_DB_URL}"
export REDIS_HOST="${REDIS_HOST:-127.0.0.1}" REDIS_PORT="${REDIS_PORT:-6379}" REDIS_DB="${REDIS_DB:-1}"
export REDIS_PASSWORD="${REDIS_PASSWORD:-}" REDIS_LOCK_PREFIX="${REDIS_LOCK_PREFIX:-tms}"
# Rate-limit counters shared by all instances (components/rate_limit.py).
export REDIS_URL="${REDIS_URL:-redis://${REDIS_PASSWORD:+:$REDIS_PASSWORD@}$REDIS_HOST:$REDIS_PORT/$REDIS_DB}"
export RATE_LIMIT_PER_MINUTE="${RATE_LIMIT_PER_MINUTE:-30}"
export RATE_LIMIT_IP_PER_MINUTE="${RATE_LIMIT_IP_PER_MINUTE:-300}"
export RASA_ENDPOINTS="${RASA_PROD_ENDPOINTS:-endpoints.prod.yml}"

run_setup() { .venv/bin/python scripts/prod_setup.py; }

run_actions() {
  # rasa_sdk binds to SANIC_HOST (default 0.0.0.0); keep it on loopback unless told otherwise.
  SANIC_HOST="$ACTION_INTERFACE" exec .venv/bin/rasa run actions --port "$ACTION_PORT"
}

run_rasa() {
  local i="$1"
  exec .venv/bin/python -m components.rasa_main run --model "${RASA_MODEL:-models/current.tar.gz}" \
    --port "$((RASA_INSTANCE_BASE_PORT + i))" --interface "$INSTANCE_INTERFACE" \
    --credentials credentials.yml --endpoints "$RASA_ENDPOINTS" --cors $CORS_ORIGINS
}

run_lb() {
  local backends=()
  for i in $(seq 1 "$RASA_INSTANCES"); do
    backends+=(--backend "http://127.0.0.1:$((RASA_INSTANCE_BASE_PORT + i))")
  done
  exec .venv/bin/python scripts/lb.py --port "$RASA_PORT" --bind "$LB_BIND" "${backends[@]}"
}

case "${1:-all}" in
  setup) run_setup; exit ;;
  actions) run_actions ;;
  rasa) run_rasa "${2:?usage: run_prod.sh rasa INSTANCE_NUMBER}" ;;
  lb) run_lb ;;
  all) ;;
  *) echo "usage: $0 [setup|actions|rasa I|lb]" >&2; exit 2 ;;
esac

source scripts/processes.sh

mkdir -p var logs
run_setup
"$0" actions &
pids+=($!)
for i in $(seq 1 "$RASA_INSTANCES"); do
  "$0" rasa "$i" &
  pids+=($!)
done
"$0" lb &
pids+=($!)
.venv/bin/python -m console --host "$CONSOLE_HOST" --port "${CONSOLE_PORT:-8081}" &
pids+=($!)

echo "Starting the production profile: load balancer on http://$LB_BIND:$RASA_PORT ->" \
  "$RASA_INSTANCES Rasa instances on :$((RASA_INSTANCE_BASE_PORT + 1))..:$((RASA_INSTANCE_BASE_PORT + RASA_INSTANCES))," \
  "actions on :$ACTION_PORT, staff console on http://$CONSOLE_HOST:${CONSOLE_PORT:-8081} (Ctrl-C stops all)"
wait -n "${pids[@]}"
