#!/usr/bin/env bash
# One command from a fresh clone to a running demo on the embedded default (SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# nginx-rtmp and ffmpeg for the live rooms, the fonts for the pictures: installed when missing
# and possible; without them the demo still runs and says what it left out.
bash scripts/system-deps.sh demo || true
mkdir -p var
cd var
exec ../.venv/bin/laotie demo "$@"
