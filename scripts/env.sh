# Settings shared by the run and test scripts; every value can be overridden from the environment.
# Everything the assistant writes (var/: conversations, bookings, password hashes, the API
# token; logs/) is for its own user only.
umask 077
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export RASA_PORT="${RASA_PORT:-5005}"
export ACTION_PORT="${ACTION_PORT:-5055}"
export RASA_INTERFACE="${RASA_INTERFACE:-127.0.0.1}"
export RASA_ENDPOINTS="${RASA_ENDPOINTS:-endpoints.yml}"
# Origins allowed to talk to the server from a browser (the widget's page).
export CORS_ORIGINS="${CORS_ORIGINS:-http://localhost:8080 http://127.0.0.1:8080}"
# Rasa's HTTP API (/model/parse, trackers; `make run` only) needs this token; the chat channels
# do not. It reaches the server in the environment, never on a command line (rasa_ext/runtime/main.py).
mkdir -p var && chmod 700 var
if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
  [ -s var/rasa_auth_token ] || (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > var/rasa_auth_token)
  RASA_AUTH_TOKEN="$(cat var/rasa_auth_token)"
fi
export RASA_AUTH_TOKEN
# Key for the hashed client addresses stored with bookings (practice/client_key.py): shared
# by every instance and kept across restarts, so the per-address booking cap holds.
if [ -z "${ADDRESS_HASH_KEY:-}" ]; then
  [ -s var/address_hash_key ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > var/address_hash_key
  ADDRESS_HASH_KEY="$(cat var/address_hash_key)"
fi
export ADDRESS_HASH_KEY
