#!/usr/bin/env bash
# Starts the assistant: action server (:5055), Rasa server (:5005, REST + socket.io) and the
# widget's demo page (:8080).
# Ctrl-C (or SIGTERM) stops every process this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

source scripts/processes.sh

# Placeholder contact details (clinic.yml `# EXAMPLE` values, 555 numbers, example.com) are
# what every "contact us" answer gives: say so loudly, then start anyway (development).
.venv/bin/python -m practice.knowledge.clinic_placeholders --warn

mkdir -p var logs
# Bookings schema up to date before the first visitor books (Alembic; idempotent).
.venv/bin/python -m practice.booking.store upgrade
# rasa_sdk listens on SANIC_HOST (default 0.0.0.0). The action server has no authentication:
# it stays on loopback even when RASA_INTERFACE exposes Rasa (ACTION_INTERFACE to change that).
SANIC_HOST="${ACTION_INTERFACE:-127.0.0.1}" .venv/bin/rasa run actions --port "$ACTION_PORT" &
pids+=($!)
# Rasa through the project's entry point: `rasa run` with the runtime patches installed
# (rasa_ext/runtime/patches.py; RASA_PATCHES=0 leaves Rasa as shipped; docs/runtime.md).
.venv/bin/python -m rasa_ext.runtime.main run --model models/current.tar.gz --port "$RASA_PORT" --interface "$RASA_INTERFACE" \
  --credentials credentials.yml --endpoints "$RASA_ENDPOINTS" \
  --cors $CORS_ORIGINS --enable-api &
pids+=($!)

# The widget's demo page (web/) on :8080; the widget talks to Rasa's socket.io channel.
.venv/bin/python ops/serve_web.py --port "${WEB_PORT:-8080}" --bind "$RASA_INTERFACE" \
  --assistant-url "${WIDGET_ASSISTANT_URL:-http://127.0.0.1:$RASA_PORT}" &
pids+=($!)

# Staff console (console/): plain http, so on loopback whatever RASA_INTERFACE says; CONSOLE_HOST
# to expose it, behind HTTPS (its cookies are then Secure).
.venv/bin/python -m console --host "${CONSOLE_HOST:-127.0.0.1}" --port "${CONSOLE_PORT:-8081}" &
pids+=($!)

# Mail (practice/notifications/, docs/notifications.md): without SMTP_HOST, a local SMTP sink keeps each
# message as an .eml file in var/mail/ (the console's Mail page); the delivery worker sends
# what the outbox holds.
console_url="http://${CONSOLE_HOST:-127.0.0.1}:${CONSOLE_PORT:-8081}"
if [ -z "${SMTP_HOST:-}" ]; then
  export SMTP_HOST=127.0.0.1 SMTP_PORT="${SMTP_PORT:-8025}" SMTP_TLS=none
  .venv/bin/python -m practice.notifications.mail_sink --host 127.0.0.1 --port "$SMTP_PORT" &
  pids+=($!)
  mail_note="mail kept locally on $console_url/mail"
else
  mail_note="mail sent through $SMTP_HOST (outbox on $console_url/outbox)"
fi
.venv/bin/python -m practice.notifications.worker &
pids+=($!)

echo "Starting: Rasa on http://$RASA_INTERFACE:$RASA_PORT, actions on :$ACTION_PORT, staff console on $console_url, $mail_note, demo page with the widget on http://localhost:${WEB_PORT:-8080}/ (Ctrl-C stops all)"
wait -n "${pids[@]}"
