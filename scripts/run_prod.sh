#!/usr/bin/env bash
# The production profile on one machine (`make run-prod`): PostgreSQL for conversations and
# bookings, Redis for conversation locks and rate limits, RASA_INSTANCES Rasa servers (default
# 2) on RASA_INSTANCE_BASE_PORT+1.. (5011, 5012, ...), the action server on ACTION_PORT and the
# load balancer (nginx, see run_lb) on RASA_PORT (5005) in front. Each part is restarted
# if it dies (supervise); Ctrl-C stops all.
#
#   scripts/run_prod.sh                # everything
#   scripts/run_prod.sh setup          # check PostgreSQL/Redis, create the database, migrate
#   scripts/run_prod.sh actions        # one part in the foreground (tests/reliability uses these)
#   scripts/run_prod.sh rasa I         # Rasa instance I (1..N) on RASA_INSTANCE_BASE_PORT+I
#   scripts/run_prod.sh lb             # the load balancer over instances 1..RASA_INSTANCES
#
# Settings (README "Production and deployment"): TRACKER_DB_URL, BOOKING_DB_URL, REDIS_HOST/PORT/DB/PASSWORD,
# REDIS_LOCK_PREFIX, REDIS_URL, CORS_ORIGINS, LB_BIND, RATE_LIMIT_*,
# CLINIC_FILE (default clinic.yml).
#
# Refuses to start (every part, setup included) while the clinic file holds a placeholder
# contact value (practice/knowledge/clinic_placeholders.py). Tests run it with CLINIC_FILE pointing at a
# copy holding test values; there is no switch to skip the check.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
.venv/bin/python -m practice.knowledge.clinic_placeholders --refuse

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
# Rate-limit counters shared by all instances (rasa_ext/channels/rate_limit.py).
export REDIS_URL="${REDIS_URL:-redis://${REDIS_PASSWORD:+:$REDIS_PASSWORD@}$REDIS_HOST:$REDIS_PORT/$REDIS_DB}"
export RATE_LIMIT_PER_MINUTE="${RATE_LIMIT_PER_MINUTE:-30}"
export RATE_LIMIT_IP_PER_MINUTE="${RATE_LIMIT_IP_PER_MINUTE:-300}"
export RASA_ENDPOINTS="${RASA_PROD_ENDPOINTS:-endpoints.prod.yml}"

run_setup() { .venv/bin/python ops/prod_setup.py; }

run_actions() {
  # rasa_sdk binds to SANIC_HOST (default 0.0.0.0); keep it on loopback unless told otherwise.
  SANIC_HOST="$ACTION_INTERFACE" exec .venv/bin/rasa run actions --port "$ACTION_PORT"
}

# Each instance through the project's entry point (rasa_ext/runtime/main.py: the runtime patches,
# docs/runtime.md); endpoints.prod.yml names the project's SQL tracker store class.
run_rasa() {
  local i="$1"
  exec .venv/bin/python -m rasa_ext.runtime.main run --model "${RASA_MODEL:-models/current.tar.gz}" \
    --port "$((RASA_INSTANCE_BASE_PORT + i))" --interface "$INSTANCE_INTERFACE" \
    --credentials credentials.yml --endpoints "$RASA_ENDPOINTS" --cors $CORS_ORIGINS
}

# The load balancer: Debian's nginx (scripts/install_nginx.sh) with a config written for this
# run's ports (var/lb-PORT/nginx.conf; deploy/nginx.conf is the same for compose, with TLS).
# - Only the chat channels are forwarded, and as the normalised path: `proxy_pass` with a URI
#   sends nginx's normalised, re-escaped path (`..`, `%2e%2e` and `//` resolved before the
#   location match), so /webhooks/../conversations/ID/tracker is /conversations/... -> 404.
# - Retries: a refused or failed connection goes to the next instance (proxy_next_upstream;
#   a POST that reached an instance is never sent twice), and an instance that failed is left
#   out for fail_timeout (passive health checks: the open-source nginx has no active ones).
# - socket.io is sticky by client address (ip_hash): its polling requests and its upgrade must
#   reach the instance holding the engine.io session; if that instance dies the widget
#   reconnects to a live one and resumes its conversation by session id.
# - Bodies over MAX_BODY_BYTES (the channels' cap) get 413 here already.
write_lb_config() {
  local dir="$1" servers="" i
  mkdir -p "$dir"
  for i in $(seq 1 "$RASA_INSTANCES"); do
    servers+="        server 127.0.0.1:$((RASA_INSTANCE_BASE_PORT + i)) max_fails=1 fail_timeout=${LB_FAIL_TIMEOUT:-5s};"$'\n'
  done
  # Workers run as the launching user, the owner of var/ (created owner-only): under root,
  # nginx would otherwise drop its workers to "nobody", who cannot write the body buffers there.
  cat > "$dir/nginx.conf" <<NGINX
user $(id -un);
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
    access_log off;  # URLs and client addresses of patients: not logged
    server_tokens off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    client_max_body_size ${MAX_BODY_BYTES:-1048576};
    upstream rasa_rest {
$servers    }
    upstream rasa_socketio {
        ip_hash;
$servers    }
    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ''      close;
    }
    server {
        listen $LB_BIND:$RASA_PORT;
        default_type application/json;
        proxy_set_header Host \$host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
        proxy_connect_timeout 3s;
        proxy_read_timeout 120s;
        proxy_next_upstream error timeout http_502 http_503;
        proxy_next_upstream_tries $RASA_INSTANCES;
        location /webhooks/ {
            proxy_pass http://rasa_rest/webhooks/;
        }
        location /socket.io/ {
            proxy_pass http://rasa_socketio/socket.io/;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_read_timeout 3600s;
        }
        location = / {
            proxy_pass http://rasa_rest/;
        }
        location / {
            return 404 '{"error": "not found"}';
        }
    }
}
NGINX
}

run_lb() {
  local dir="$PWD/var/lb-$RASA_PORT"
  scripts/install_nginx.sh
  write_lb_config "$dir"
  exec "$(command -v nginx || echo /usr/sbin/nginx)" -p "$dir" -c "$dir/nginx.conf"
}

# `make run-prod` keeps serving when one part dies: each part runs under `supervise`, which
# restarts it with a backoff (1 s, doubling to 30 s; back to 1 s after a minute of running)
# and leaves the other parts alone. Ctrl-C or SIGTERM stops everything.
supervise() {
  local name="$1" delay=1 started code child
  shift
  trap 'kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
  while true; do
    started=$SECONDS
    "$@" &
    child=$!
    code=0
    wait "$child" || code=$?
    if (( SECONDS - started >= 60 )); then delay=1; fi
    echo "run_prod: $name exited with status $code; restarting in ${delay}s" >&2
    sleep "$delay" &
    child=$!
    wait "$child" || true
    delay=$(( delay * 2 > 30 ? 30 : delay * 2 ))
  done
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
scripts/install_nginx.sh
supervise actions "$0" actions &
pids+=($!)
for i in $(seq 1 "$RASA_INSTANCES"); do
  supervise "rasa$i" "$0" rasa "$i" &
  pids+=($!)
done
supervise lb "$0" lb &
pids+=($!)
supervise console .venv/bin/python -m console --host "$CONSOLE_HOST" --port "${CONSOLE_PORT:-8081}" &
pids+=($!)
# Mail delivery (practice/notifications/): NOTIFY_WORKERS workers (1) share the outbox. Without
# SMTP_HOST nothing leaves the machine: the local sink keeps the mail in var/mail/ (console: Mail).
if [ -z "${SMTP_HOST:-}" ]; then
  echo "run_prod: SMTP_HOST is not set: mail is kept in var/mail/, not sent (docs/notifications.md)" >&2
  export SMTP_HOST=127.0.0.1 SMTP_PORT="${SMTP_PORT:-8025}" SMTP_TLS=none
  supervise mail_sink .venv/bin/python -m practice.notifications.mail_sink --host 127.0.0.1 --port "$SMTP_PORT" &
  pids+=($!)
fi
for i in $(seq 1 "${NOTIFY_WORKERS:-1}"); do
  supervise "notify$i" .venv/bin/python -m practice.notifications.worker &
  pids+=($!)
done

echo "Starting the production profile: load balancer on http://$LB_BIND:$RASA_PORT ->" \
  "$RASA_INSTANCES Rasa instances on :$((RASA_INSTANCE_BASE_PORT + 1))..:$((RASA_INSTANCE_BASE_PORT + RASA_INSTANCES))," \
  "actions on :$ACTION_PORT, staff console on http://$CONSOLE_HOST:${CONSOLE_PORT:-8081}," \
  "${NOTIFY_WORKERS:-1} mail worker(s) to $SMTP_HOST (Ctrl-C stops all)"
wait -n "${pids[@]}"
