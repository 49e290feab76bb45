#!/usr/bin/env bash
# `make test-cluster`: a fresh cluster in a temporary folder, the CLI's, the
# HTTP and gRPC and the browser end-to-end suites against it (app/cli,
# app/standalone, app/web/e2e with CLOUDDRIVE_E2E_CLUSTER), then the
# cluster's own acceptance tests
# (deploy/local: balancing, SIGKILL, deregistration, and the faults of
# fault_*_test.go), and the cluster down
# whatever happened.
#
# Environment:
#   CLUSTER_DIR    the state folder (default: a new one under /tmp, removed after)
#   CLUSTER_E2E    -run pattern of the end-to-end suites (default below)
#   CLUSTER_WEB_E2E  0 leaves the browser suite out (default 1)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
own_dir=
if [ -z "${CLUSTER_DIR:-}" ]; then
	CLUSTER_DIR=$(mktemp -d /tmp/clouddrive-cluster.XXXXXX)
	own_dir=1
fi
# MinIO on a data disk of its own (a sparse image: it costs what is
# written), which the fault tests fill (deploy/local/fault_storage_test.go).
export CLUSTER_DIR CLUSTER_KEEP=0 CLUSTER_DISK_MB=${CLUSTER_DISK_MB:-16384}

finish() {
	local rc=$?
	bash deploy/local/cluster.sh down || rc=1
	[ -z "$own_dir" ] || [ "$rc" != 0 ] || rm -rf "$CLUSTER_DIR"
	[ "$rc" = 0 ] || echo "test-cluster: failed; logs in $CLUSTER_DIR/logs" >&2
	exit "$rc"
}
trap finish EXIT

bash deploy/local/cluster.sh up
export CLOUDDRIVE_E2E_CLUSTER=$CLUSTER_DIR
# The CLI over gRPC first, on the fresh cluster: it counts instant uploads,
# which content stored by an earlier suite would add to.
# Each runs whatever the one before did; the target fails if any failed.
failed=0
go test -count=1 -timeout 10m -run '^TestDrive$' ./app/cli/internal/cli/ || failed=1
# The suites that go through the HTTP and gRPC API; the WebDAV suite (litmus,
# rclone and 300 MB) runs against the binary only, to keep this to minutes.
go test -count=1 -timeout 20m -run "${CLUSTER_E2E:-^TestE2E}" ./app/standalone/ || failed=1
# The browser suite (app/web/e2e, headless Chromium) through the gateway,
# on the cluster emptied by its harness. CLUSTER_WEB_E2E=0 leaves it out.
if [ "${CLUSTER_WEB_E2E:-1}" = 1 ]; then
	(cd app/web && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund; } &&
		E2E_OUTPUT="$CLUSTER_DIR/web-e2e" npm run test:e2e) || failed=1
fi
# Last: they kill and stop instances.
go test -count=1 -timeout 10m ./deploy/local/ || failed=1
exit "$failed"
