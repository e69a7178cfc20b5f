#!/usr/bin/env bash
# Install the chat widget of the clinic's page (web/): rasa-webchat and its
# dependencies, exactly as pinned in web/package-lock.json, into web/node_modules
# (not committed). Needs node and npm. Package install scripts are not run: the
# page only uses the widget's prebuilt bundle.
set -euo pipefail
cd "$(dirname "$0")/../web"

if ! command -v npm >/dev/null; then
  echo "install_web.sh: npm is missing; install Node.js 18 or later" >&2
  exit 1
fi
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "Chat widget installed: web/node_modules/rasa-webchat ($(node -p 'require("rasa-webchat/package.json").version'))"
