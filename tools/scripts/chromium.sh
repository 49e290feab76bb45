#!/usr/bin/env bash
# Debian's Chromium and its fonts for the web app's end-to-end tests
# (app/web/e2e, driven by playwright-core; npm tools cannot download a
# browser here). Installs with apt only what is missing; quiet and idempotent.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
for font in fonts-liberation fonts-noto-cjk; do # Latin (only recommended by chromium) and CJK
  dpkg-query -W -f='${Status}' "$font" 2>/dev/null | grep -q 'install ok installed' || need+=("$font")
done
[ ${#need[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "chromium.sh: installing ${need[*]}" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
