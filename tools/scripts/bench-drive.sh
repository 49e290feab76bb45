#!/usr/bin/env bash
# The drive's benchmark scenarios (app/standalone/bench*_test.go; `make
# bench-drive`, part of `make bench`): against a standalone binary built and
# started on a fresh data folder, and, when asked, through a cluster; then
# the plot and the table of every figure beside its same-run baselines.
#
#   tools/scripts/bench-drive.sh                 # every scenario, standalone
#   tools/scripts/bench-drive.sh 'Upload|Small'  # a subset (a -bench regexp)
#
# Writes results/bench-<UTC time>/ (or BENCH_RESULTS): results.jsonl (one
# JSON line per figure), bench.svg (the plot), bench.md (the table),
# standalone.log and cluster.log (go test's output).
#
# BENCH_CLUSTER   also run the scenarios through a cluster: the state folder
#                 of a running `make cluster` (e.g. data/cluster), or "new"
#                 for a fresh one in a temporary folder, stopped afterwards
# BENCH_ONLY_CLUSTER  set: skip the standalone run
# CLOUDDRIVE_BENCH_ROUNDS, _CALLS, _BIG_MIB, _SMALL_FILES, _FLAT, _TREE,
# CLOUDDRIVE_BENCH_DIR, CLOUDDRIVE_BENCH_KEEP: see app/standalone/bench_test.go
# (smaller sizes for a quick look: CLOUDDRIVE_BENCH_BIG_MIB=64
# CLOUDDRIVE_BENCH_ROUNDS=2 CLOUDDRIVE_BENCH_CALLS=20 ...).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
GO=${GO:-go}
pattern=${1:-.}
out=${BENCH_RESULTS:-$ROOT/results/bench-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
export CLOUDDRIVE_BENCH_OUT=$out/results.jsonl

run() { # NAME: the scenarios matching $pattern, go test's output to NAME.log
	echo "bench-drive: $1 run, results in $out" >&2
	"$GO" test -run '^$' -bench "^Benchmark(Storage|Files).*(${pattern})" -benchtime=1x -count=1 -timeout 90m \
		./app/standalone/ 2>&1 | tee "$out/$1.log"
	# tee hides go test's status: a failed scenario must fail the run.
	[ "${PIPESTATUS[0]}" = 0 ]
}

rc=0
if [ -z "${BENCH_ONLY_CLUSTER:-}" ]; then
	run standalone || rc=1
fi

own_cluster=
stop_cluster() {
	[ -n "$own_cluster" ] || return 0
	CLUSTER_DIR=$own_cluster bash deploy/local/cluster.sh down || rc=1
	rm -rf "$own_cluster"
	own_cluster=
}
trap stop_cluster EXIT
if [ -n "${BENCH_CLUSTER:-}" ]; then
	dir=$BENCH_CLUSTER
	if [ "$dir" = new ]; then
		make -s web minio
		own_cluster=$(mktemp -d /tmp/clouddrive-bench-cluster.XXXXXX)
		dir=$own_cluster
		CLUSTER_DIR=$dir CLUSTER_KEEP=0 bash deploy/local/cluster.sh up
	fi
	CLOUDDRIVE_BENCH_CLUSTER=$(cd "$dir" && pwd) run cluster || rc=1
	stop_cluster
fi

if [ -s "$CLOUDDRIVE_BENCH_OUT" ]; then
	"$GO" run ./tools/benchplot -svg "$out/bench.svg" -md "$out/bench.md" "$CLOUDDRIVE_BENCH_OUT" || rc=1
	echo "bench-drive: plot $out/bench.svg, table $out/bench.md" >&2
fi
exit "$rc"
