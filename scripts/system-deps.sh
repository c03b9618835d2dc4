#!/usr/bin/env bash
# Debian packages the full test suite drives for real: Chromium for the browser
# tests; nginx with its RTMP module and ffmpeg for the media-plane test.
# Installed when missing; under CI=true a failure here fails the run.
set -euo pipefail
packages=()
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || packages+=(chromium)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || packages+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || packages+=(libnginx-mod-rtmp)
command -v ffmpeg >/dev/null || packages+=(ffmpeg)
[ ${#packages[@]} -eq 0 ] && exit 0

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }
echo "installing Debian packages: ${packages[*]}"
if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"; }; then
  if [ "${CI:-}" = "true" ]; then echo "could not install ${packages[*]}" >&2; exit 1; fi
  echo "could not install ${packages[*]} (no root); tests that need them will skip" >&2
fi
