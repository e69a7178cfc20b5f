#!/usr/bin/env bash
# Start the assistant on this machine under supervisord (deploy/supervisord.conf):
# the action server, the Rasa server (REST, socket.io, Telegram, HTTP API with a
# token), the clinic's demo page and the staff console (deploy/supervisord.d/).
# A process that crashes is restarted within seconds; Ctrl-C stops them all. `make run` calls it after installing and training.
# Settings come from the environment (README, medspa/settings.py); secrets are
# never put on a command line.
set -euo pipefail
cd "$(dirname "$0")/.."
export MEDSPA_VAR_DIR=${MEDSPA_VAR_DIR:-$PWD/var}
read -r RASA_PORT WEB_HOST WEB_PORT CONSOLE_HOST CONSOLE_PORT < <(.venv/bin/python -c '
from medspa.settings import get_console_settings, get_settings
s, c = get_settings(), get_console_settings()
print(s.rasa_port, s.web_host, s.web_port, c.host, c.port)')

scripts/supervise.sh &
supervisor_pid=$!
stop() {
  kill -TERM "$supervisor_pid" 2>/dev/null || true
  wait "$supervisor_pid" 2>/dev/null || true
}
trap stop INT TERM
trap 'stop; exit' EXIT

echo "Waiting for the Rasa server to load the model..."
for _ in $(seq 1 240); do
  curl -fsS "http://127.0.0.1:$RASA_PORT/" >/dev/null 2>&1 && break
  kill -0 "$supervisor_pid" 2>/dev/null || exit 1
  sleep 1
done
cat <<MSG

  The assistant is running (supervisord restarts whatever stops).
  Clinic page:   http://$WEB_HOST:$WEB_PORT/  (the chat button is at the bottom right)
  REST channel:  POST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook  {"sender": "me", "message": "does microneedling hurt?"}
  HTTP API:      http://127.0.0.1:$RASA_PORT/conversations/<sender>/tracker?token=<token>
  API token:     in $MEDSPA_VAR_DIR/auth_token (or set RASA_AUTH_TOKEN)
  Processes:     scripts/ctl.sh status
  Logs:          $MEDSPA_VAR_DIR/log/
  Telegram:      ${TELEGRAM_WEBHOOK_URL:-off (set the TELEGRAM_* variables, see README)}
  Staff console: http://$CONSOLE_HOST:$CONSOLE_PORT/  (first account: make staff-user NAME=you ROLE=admin)
  Stop with Ctrl-C.

MSG
wait "$supervisor_pid"
