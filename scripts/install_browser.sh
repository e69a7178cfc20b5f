#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/browser), which drive it
# with Playwright for Python. Playwright's own browser download is not used.
# Quick and idempotent: does nothing when /usr/bin/chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "Chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "install_browser.sh: run as root (or with sudo) to apt-get install chromium" >&2
  exit 1
fi
"${sudo[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends chromium
echo "Chromium installed: $(/usr/bin/chromium --version)"
