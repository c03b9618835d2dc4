#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite: SQLite always;
# PostgreSQL when reachable (always under CI=true); Chromium browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
bash scripts/system-deps.sh
if [ -z "${LAOTIE_TEST_POSTGRES_URL:-}" ] && { [ "${CI:-}" = "true" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }; then
  export LAOTIE_TEST_POSTGRES_URL="postgresql+asyncpg://$(id -un)@127.0.0.1:5432/test"
fi
.venv/bin/ruff check src tests bench
.venv/bin/mypy
.venv/bin/python -m pytest -q "$@"
# The same suite again with PostgreSQL as every test's database (the browser and media tests
# run their own servers and are not database-specific).
if [ -n "${LAOTIE_TEST_POSTGRES_URL:-}" ]; then
  LAOTIE_TEST_BACKEND=postgres .venv/bin/python -m pytest -q -m "not browser and not media" "$@"
fi
