#!/usr/bin/env bash
# The test command (`make test`): static checks, then the whole pytest suite, with a throwaway
# PostgreSQL cluster so the store and end-to-end tests run on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")

"$BIN/lint-imports"
"$BIN/ruff" check sagegate tests benchmarks

if [ -z "${SAGEGATE_TEST_POSTGRES_URL:-}" ]; then
  if url=$(bash scripts/pg-cluster.sh start); then
    export SAGEGATE_TEST_POSTGRES_URL="$url"
    trap 'bash scripts/pg-cluster.sh stop >/dev/null 2>&1 || true' EXIT
  elif [ "${CI:-}" = "true" ]; then
    echo "test.sh: could not start PostgreSQL, which CI requires" >&2
    exit 1
  else
    echo "test.sh: no PostgreSQL; PostgreSQL variants of the tests are skipped" >&2
  fi
fi

# Two processes (the machine has two cores); a test module's tests stay in one process, so each
# module starts its own servers once.
"$PY" -m pytest -q -n "${SAGEGATE_TEST_PROCESSES:-2}" --dist loadfile "$@"
