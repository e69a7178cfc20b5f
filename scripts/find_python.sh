#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 runs on 3.8-3.10 only).
set -u
candidates=("${PYTHON:-}" python3.10)
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null)
  candidates+=("$root"/versions/3.10*/bin/python3.10)
fi
candidates+=(/root/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10)
for py in "${candidates[@]}"; do
  [ -n "$py" ] || continue
  if "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; then
    command -v "$py" 2>/dev/null || echo "$py"
    exit 0
  fi
done
echo "No Python 3.10 found (Rasa 3.6 needs 3.8-3.10): install it, or set PYTHON=/path/to/python3.10" >&2
exit 1
