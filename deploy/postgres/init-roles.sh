#!/bin/sh
# Run once by the postgres image on a new data directory (/docker-entrypoint-initdb.d): creates
# the per-service roles of roles.psql with the passwords compose passes in.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner="$POSTGRES_USER" \
  -v rasa_role=tms_rasa -v rasa_password="$RASA_DB_PASSWORD" \
  -v actions_role=tms_actions -v actions_password="$ACTIONS_DB_PASSWORD" \
  -v console_role=tms_console -v console_password="$CONSOLE_DB_PASSWORD" \
  -f /docker-entrypoint-initdb.d/roles.psql
