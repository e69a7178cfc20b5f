#!/usr/bin/env bash
# supervisorctl for the processes `make run` started: scripts/ctl.sh status,
# scripts/ctl.sh restart rasa, scripts/ctl.sh tail -f actions ...
set -euo pipefail
cd "$(dirname "$0")/.."
export MEDSPA_VAR_DIR=${MEDSPA_VAR_DIR:-$PWD/var}
exec .venv/bin/supervisorctl -c deploy/supervisord.conf "$@"
