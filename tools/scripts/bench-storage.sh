#!/usr/bin/env bash
# The storage scenarios alone (BenchmarkStorage*: 1 GiB upload and download,
# 500 small files, instant upload, the disk and SHA-256 baselines), through
# the standalone binary, each beside its same-run baselines; the results are
# logged (and appended to CLOUDDRIVE_BENCH_OUT when set). Every scenario, a
# results folder and the plot: tools/scripts/bench-drive.sh (make bench-drive).
#
#   tools/scripts/bench-storage.sh                  # all of them
#   tools/scripts/bench-storage.sh 'Upload|Download' # a subset (a -bench regexp)
#
# Sizes, rounds and the environment: app/standalone/bench_test.go.
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
pattern=${1:-.}
exec "$GO" test -run '^$' -bench "Storage.*(${pattern})" -benchtime=1x -count=1 -timeout 60m ./app/standalone/
