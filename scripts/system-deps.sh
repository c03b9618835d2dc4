#!/usr/bin/env bash
# Debian packages and services the full test suite drives for real: Chromium for the
# browser tests; nginx with its RTMP module and ffmpeg for the media-plane test; Redis for
# the multi-process and Redis-mode tests (PostgreSQL is expected at 127.0.0.1:5432); the
# Noto colour emoji and CJK fonts for the demo's product pictures and Chinese pages.
# Installed when missing; under CI=true a failure here fails the run.
#   bash scripts/system-deps.sh        # everything the tests drive
#   bash scripts/system-deps.sh demo   # only what the demo shows (video rooms, pictures)
set -euo pipefail
only_demo=false
[ "${1:-}" = "demo" ] && only_demo=true
packages=()
$only_demo || command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || packages+=(chromium)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || packages+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || packages+=(libnginx-mod-rtmp)
command -v ffmpeg >/dev/null || packages+=(ffmpeg)
$only_demo || command -v redis-server >/dev/null || packages+=(redis-server)
# The demo draws its product pictures with the colour emoji font; pages and screenshots need CJK glyphs.
[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || packages+=(fonts-noto-color-emoji)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || packages+=(fonts-noto-cjk)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }
if [ ${#packages[@]} -gt 0 ]; then
  echo "installing Debian packages: ${packages[*]}"
  if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"; }; then
    if [ "${CI:-}" = "true" ]; then echo "could not install ${packages[*]}" >&2; exit 1; fi
    echo "could not install ${packages[*]} (no root); what needs them will skip or say so" >&2
  fi
fi
$only_demo && exit 0

# Redis must answer on 127.0.0.1:6379; start a throwaway one (nothing kept on disk) if not.
if command -v redis-server >/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
fi
