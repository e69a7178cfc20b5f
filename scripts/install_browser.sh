#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/browser), which drive it
# with Playwright for Python. Playwright's own browser download is not used.
# Quick and idempotent: does nothing when /usr/bin/chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "Chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi

"$(dirname "$0")/apt_install.sh" chromium
echo "Chromium installed: $(/usr/bin/chromium --version)"
