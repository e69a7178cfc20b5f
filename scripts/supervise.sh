#!/usr/bin/env bash
# Run supervisord in the foreground with deploy/supervisord.conf, as
# scripts/run.sh and the fault tests do: owner-only files (umask 077; supervisord
# applies its own umask only when it daemonizes), the var/ folder made private,
# and the shared secrets generated once before the programs that share them start.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077
export RASA_TELEMETRY_ENABLED=false
export MEDSPA_VAR_DIR=${MEDSPA_VAR_DIR:-$PWD/var}
mkdir -p "$MEDSPA_VAR_DIR/log"
chmod 700 "$MEDSPA_VAR_DIR" "$MEDSPA_VAR_DIR/log"
# Conversations are health data: owner-only, also for files made before.
find "$MEDSPA_VAR_DIR" -type f -exec chmod go= {} +
.venv/bin/python -c 'from medspa.settings import action_secret, auth_token
auth_token(); action_secret()'
exec .venv/bin/supervisord -c deploy/supervisord.conf "$@"
