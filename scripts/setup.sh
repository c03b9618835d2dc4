#!/usr/bin/env bash
# Set up laotie in ./.venv with its pinned Python packages and the front-end
# libraries it serves itself. Safe to run again; it only does what is missing.
#   bash scripts/setup.sh          # to run laotie
#   bash scripts/setup.sh --dev    # plus test and lint tools
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "laotie needs Python 3.11 or newer (found: $("$PY" --version 2>&1))" >&2; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    # Debian and Ubuntu ship venv separately.
    rm -rf .venv
    ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${ver}-venv" \
      || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    "$PY" -m venv .venv
  fi
fi

stamp=".venv/.laotie-installed${extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".${extras}"
  touch "$stamp"
fi

# Front-end libraries come from npm and are served by laotie (no CDN).
if [ ! -f node_modules/.laotie-stamp ] || [ package.json -nt node_modules/.laotie-stamp ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; else npm install --no-audit --no-fund --silent; fi
  touch node_modules/.laotie-stamp
fi
vendor=src/laotie/web/static/vendor
mkdir -p "$vendor"
cp node_modules/htmx.org/dist/htmx.min.js "$vendor/htmx.min.js"
cp node_modules/hls.js/dist/hls.min.js "$vendor/hls.min.js"
cp node_modules/echarts/dist/echarts.min.js "$vendor/echarts.min.js"
mkdir -p "$vendor/swagger-ui"
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css "$vendor/swagger-ui/"
