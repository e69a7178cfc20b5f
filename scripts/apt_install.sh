#!/usr/bin/env bash
# Install Debian packages with apt-get, as root or through sudo:
#   scripts/apt_install.sh PACKAGE...
# The callers check first what is missing, so a machine that has everything
# never reaches this (quick and idempotent).
set -euo pipefail

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "run as root (or with sudo) to apt-get install $*" >&2
  exit 1
fi
"${sudo[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "$@"
