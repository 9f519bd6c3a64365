#!/usr/bin/env bash
# Install, then run the service on its embedded default: a SQLite file in ./data, migrated to head,
# with demo data on the very first run. API docs at http://127.0.0.1:8000/docs
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv "."
.venv/bin/leder demo --if-empty
exec .venv/bin/leder serve "$@"
