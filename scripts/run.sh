#!/usr/bin/env bash
# Start the action server, the Rasa server (REST, socket.io, HTTP API with a
# token) and the clinic's demo page with the chat widget on this machine, and
# stop them all on Ctrl-C. `make run` calls it after installing and training.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
mkdir -p var

RASA_HOST=${RASA_HOST:-127.0.0.1}
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
WEB_HOST=${WEB_HOST:-127.0.0.1}
WEB_PORT=${WEB_PORT:-8080}
# Where the visitor's browser reaches the Rasa server, and the page origins
# its socket.io channel accepts (channels/socketio.py; never "*").
WIDGET_SOCKET_URL=${WIDGET_SOCKET_URL:-http://127.0.0.1:$RASA_PORT}
export MEDSPA_WIDGET_ORIGINS=${MEDSPA_WIDGET_ORIGINS:-"http://127.0.0.1:$WEB_PORT http://localhost:$WEB_PORT"}

# The HTTP API exposes conversations (health data): it always needs a token.
if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
  if [ ! -s var/auth_token ]; then
    .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))' > var/auth_token
    chmod 600 var/auth_token
  fi
  RASA_AUTH_TOKEN=$(cat var/auth_token)
fi

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

.venv/bin/python -m actions --port "$ACTIONS_PORT" &
pids+=($!)

.venv/bin/rasa run --model models/medspa.tar.gz \
  --enable-api --auth-token "$RASA_AUTH_TOKEN" \
  --endpoints endpoints.yml --credentials credentials.yml \
  --interface "$RASA_HOST" --port "$RASA_PORT" &
pids+=($!)

if [ -f web/node_modules/rasa-webchat/lib/index.js ]; then
  .venv/bin/python web/serve.py --host "$WEB_HOST" --port "$WEB_PORT" \
    --socket-url "$WIDGET_SOCKET_URL" &
  pids+=($!)
  page="http://$WEB_HOST:$WEB_PORT/  (the chat button is at the bottom right)"
else
  page="not served: the chat widget is not installed (scripts/install_web.sh)"
fi

# The staff console (console/), on loopback: accounts with `make staff-user`.
export MEDSPA_CONSOLE_HOST=${MEDSPA_CONSOLE_HOST:-127.0.0.1}
export MEDSPA_CONSOLE_PORT=${MEDSPA_CONSOLE_PORT:-8090}
.venv/bin/python -m console serve &
pids+=($!)

echo "Waiting for the Rasa server to load the model..."
for _ in $(seq 1 240); do
  if curl -fsS "http://127.0.0.1:$RASA_PORT/status?token=$RASA_AUTH_TOKEN" >/dev/null 2>&1; then
    break
  fi
  sleep 1
done
cat <<MSG

  The assistant is running.
  Clinic page:   $page
  REST channel:  POST http://$RASA_HOST:$RASA_PORT/webhooks/rest/webhook  {"sender": "me", "message": "does microneedling hurt?"}
  HTTP API:      http://$RASA_HOST:$RASA_PORT/conversations/<sender>/tracker?token=$RASA_AUTH_TOKEN
  API token:     in var/auth_token (or set RASA_AUTH_TOKEN)
  Telegram:      ${TELEGRAM_WEBHOOK_URL:-off (set the TELEGRAM_* variables, see README)}
  Staff console: http://$MEDSPA_CONSOLE_HOST:$MEDSPA_CONSOLE_PORT/  (first account: make staff-user NAME=you ROLE=admin)
  Stop with Ctrl-C.

MSG
wait -n "${pids[@]}"
