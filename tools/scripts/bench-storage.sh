#!/usr/bin/env bash
# Storage benchmarks through the standalone binary (docs/BENCHMARKS.md,
# section Storage): 1 GiB upload and download, 500 small files, instant
# upload, the server's peak RSS growth, each beside a baseline measured in
# the same run. One iteration moves a whole GiB, so each runs once
# (-benchtime=1x); together they take a few minutes.
#
#   tools/scripts/bench-storage.sh                  # all of them
#   tools/scripts/bench-storage.sh 'Upload|Download' # a subset (a -bench regexp)
#
# CLOUDDRIVE_BENCH_DIR  parent of the fresh data folder (default: the system
#                       temp folder); it must be the disk you want measured
# CLOUDDRIVE_BENCH_KEEP set to keep the data folder and logs after the run
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
pattern=${1:-.}
exec "$GO" test -run '^$' -bench "Storage.*(${pattern})" -benchtime=1x -count=1 -timeout 60m ./app/standalone/
