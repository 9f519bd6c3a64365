#!/usr/bin/env bash
# The static checks CI runs: ruff (lint, format), mypy, hadolint, and `alembic check` (models = migrations).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv ".[dev]"

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy app tests bench
.venv/bin/hadolint Dockerfile

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
LEDER_DATA_DIR="$scratch" .venv/bin/leder migrate
LEDER_DATA_DIR="$scratch" .venv/bin/alembic check
echo "lint: all checks passed"
