#!/usr/bin/env bash
# Install the production profile's servers from Debian: PostgreSQL 15 (tracker
# store), Redis 7 (lock store) and HAProxy (load balancer). supervisord comes
# with the Python environment. Quick and idempotent: does nothing when all
# three are there. `make run-production` and `make test` call it.
set -euo pipefail

missing=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v haproxy >/dev/null || missing+=(haproxy)
if [ ${#missing[@]} -eq 0 ]; then
  echo "PostgreSQL, Redis and HAProxy present"
  exit 0
fi

# the Debian packages start their own system-wide servers; the profile runs its
# own on loopback with data under var/, so those are stopped again
"$(dirname "$0")/apt_install.sh" "${missing[@]}"
for service in postgresql redis-server haproxy; do
  service "$service" stop >/dev/null 2>&1 || true
done
echo "installed: ${missing[*]}"
