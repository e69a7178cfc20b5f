#!/usr/bin/env bash
# Run supervisord in the foreground with deploy/supervisord.conf, as
# scripts/run.sh and the fault tests do, with owner-only files: supervisord
# applies its own umask only when it daemonizes, so scripts/private_var.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/private_var.sh
exec .venv/bin/supervisord -c deploy/supervisord.conf "$@"
