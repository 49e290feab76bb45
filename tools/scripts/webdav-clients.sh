#!/usr/bin/env bash
# The real WebDAV clients the end-to-end test drives (app/standalone,
# TestWebDAV): litmus, the compliance suites, and rclone. Installs with apt
# only what is missing; quiet and idempotent.
set -euo pipefail

need=()
[ -x /usr/libexec/litmus/basic ] || need+=(litmus)
command -v rclone >/dev/null 2>&1 || need+=(rclone)
[ ${#need[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "webdav-clients.sh: installing ${need[*]}" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
