#!/usr/bin/env bash
# Mutation testing of the domain rules (not part of CI: it takes a while). Two parts:
#   1. tables: every one-cell change to POLICY, INTEGRATOR_SCOPE and the stage table (tests/table_mutants.py),
#      each run against the tests that state those tables (the hand-written access matrix, the stage table tests);
#   2. code: mutmut on the modules [tool.mutmut] in pyproject.toml names, with the unit tests.
# Prints survivors and a score per part; `scripts/mutation.sh tables` or `scripts/mutation.sh code` runs one part.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv ".[dev,mutation]"
part="${1:-all}"
jobs="${LEDER_MUTATION_JOBS:-2}"

if [ "$part" = all ] || [ "$part" = tables ]; then
  run_one() {
    local mutant="$1" tests
    case "$mutant" in
      stage*) tests="tests/unit/test_stages.py tests/api/test_stage_table.py" ;;
      *) tests="tests/test_access_matrix.py tests/test_route_policy.py" ;;
    esac
    # shellcheck disable=SC2086
    if LEDER_TABLE_MUTANT="$mutant" .venv/bin/pytest -x -q -p no:cacheprovider -p tests.table_mutants $tests \
        >/dev/null 2>&1; then
      echo "survived: $mutant"
    else
      echo "killed: $mutant"
    fi
  }
  export -f run_one
  results="$(.venv/bin/python -m tests.table_mutants | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {})"
  grep '^survived' <<<"$results" || true
  for table in policy scope stage; do
    total="$(grep -c ": $table " <<<"$results" || true)"
    killed="$(grep -c "^killed: $table " <<<"$results" || true)"
    echo "tables: $table $killed/$total killed"
  done
fi

if [ "$part" = all ] || [ "$part" = code ]; then
  rm -rf mutants
  .venv/bin/mutmut run --max-children "$jobs" || true
  .venv/bin/mutmut results
  .venv/bin/python scripts/mutation_scores.py
fi
