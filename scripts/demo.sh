#!/usr/bin/env bash
# One command from a fresh clone to a running demo on the embedded default (SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p var
cd var
exec ../.venv/bin/laotie demo "$@"
