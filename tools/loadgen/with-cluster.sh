#!/usr/bin/env bash
# with-cluster.sh ARGS...: a fresh `make cluster` in a temporary folder (or
# CLUSTER_DIR), tools/loadgen against it with ARGS, and the cluster down
# whatever happened. `make load` and `make soak` run it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
own_dir=
if [ -z "${CLUSTER_DIR:-}" ]; then
	CLUSTER_DIR=$(mktemp -d /tmp/clouddrive-load.XXXXXX)
	own_dir=1
fi
# MinIO on a data disk of its own, as make test-cluster runs it (the soak
# stops MinIO; the disk is sparse: it costs what is written).
export CLUSTER_DIR CLUSTER_KEEP=0 CLUSTER_DISK_MB=${CLUSTER_DISK_MB:-65536}

finish() {
	local rc=$?
	bash deploy/local/cluster.sh down || rc=1
	[ -z "$own_dir" ] || [ "$rc" != 0 ] || rm -rf "$CLUSTER_DIR"
	[ "$rc" = 0 ] || echo "with-cluster: failed; logs in $CLUSTER_DIR/logs" >&2
	exit "$rc"
}
trap finish EXIT

bash deploy/local/cluster.sh up
go run ./tools/loadgen -cluster "$CLUSTER_DIR" "$@"
