#!/usr/bin/env bash
# `rasa shell` for clinic staff, with the action server running beside it.
# Secrets come from the environment or owner-only files in var/ (never argv).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/private_var.sh
.venv/bin/python -m actions --port "${ACTIONS_PORT:-5055}" > "$MEDSPA_VAR_DIR/log/actions-shell.log" 2>&1 &
actions_pid=$!
trap 'kill $actions_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:${ACTIONS_PORT:-5055}/health" >/dev/null 2>&1 && break
  sleep 0.5
done
.venv/bin/python scripts/rasa_server.py shell --model models/medspa.tar.gz --endpoints endpoints.yml "$@"
