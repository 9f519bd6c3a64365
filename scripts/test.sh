#!/usr/bin/env bash
# Install, then run the whole test suite on SQLite and then on PostgreSQL.
# PostgreSQL: LEDER_TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test
# (its public schema is dropped and rebuilt). Unreachable: CI fails, a developer's run skips that leg.
# Extra arguments go to pytest, e.g. scripts/test.sh -k tokens
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv ".[dev]"

postgres_url="${LEDER_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"

echo "== Test suite on SQLite"
env -u LEDER_TEST_DATABASE_URL .venv/bin/pytest "$@"

if .venv/bin/python scripts/postgres_reachable.py "$postgres_url"; then
  echo "== Test suite on PostgreSQL"
  LEDER_TEST_DATABASE_URL="$postgres_url" .venv/bin/pytest "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "error: PostgreSQL is not reachable at the test URL; CI runs the suite on it" >&2
  exit 1
else
  echo "== PostgreSQL leg SKIPPED: not reachable (set LEDER_TEST_POSTGRES_URL to run it)"
fi
