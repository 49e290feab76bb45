#!/usr/bin/env bash
# A MinIO server for the S3 backend's tests, built once and cached outside
# the repository.
#
#   minio.sh install          build the server if it is not cached (~7 min)
#   minio.sh path             print the cached binary's path
#   minio.sh start DIR PORT   start it on 127.0.0.1:PORT with its state in
#                             DIR (data in DIR/data), wait until it is live
#                             and print the endpoint (127.0.0.1:PORT)
#   minio.sh stop DIR         stop the server started with DIR
#
# Quiet on success; idempotent (install when cached, start when running and
# stop when stopped do nothing). Environment:
#   MINIO_BIN            the binary (default ~/.cache/clouddrive/minio)
#   MINIO_VERSION        what `go install` builds (default: the version
#                        @latest resolved to when this was written and
#                        tested; set it to latest for a newer server)
#   MINIO_ROOT_USER      access key (default minioadmin)
#   MINIO_ROOT_PASSWORD  secret key (default minioadmin)
#   MINIO_WATCH_PID      stop the server when this process ends (tests)
set -euo pipefail

BIN=${MINIO_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/clouddrive/minio}
VERSION=${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}
export MINIO_ROOT_USER=${MINIO_ROOT_USER:-minioadmin}
export MINIO_ROOT_PASSWORD=${MINIO_ROOT_PASSWORD:-minioadmin}

die() { echo "minio.sh: $*" >&2; exit 1; }

install() {
	[ -x "$BIN" ] && return 0
	local dir
	dir=$(dirname "$BIN")
	mkdir -p "$dir"
	# One build at a time; whoever waited finds the binary made.
	exec 9>"$dir/.minio.lock"
	flock 9
	if [ -x "$BIN" ]; then exec 9>&-; return 0; fi
	command -v go >/dev/null || die "go is needed to build the MinIO server"
	local tmp log
	tmp=$(mktemp -d "$dir/.build.XXXXXX")
	log="$tmp/build.log"
	echo "minio.sh: building the MinIO server (github.com/minio/minio@$VERSION, several minutes) into $BIN" >&2
	# Outside any module, so the repository's go.mod plays no part.
	if ! (cd "$tmp" && GOBIN="$tmp/bin" GOFLAGS= go install "github.com/minio/minio@$VERSION") >"$log" 2>&1; then
		cat "$log" >&2
		rm -rf "$tmp"
		die "building the MinIO server failed"
	fi
	mv -f "$tmp/bin/minio" "$BIN" # atomic: nobody runs a half-written binary
	rm -rf "$tmp"
	exec 9>&-
}

# Ready, not just live: "live" answers before the object layer is up, and
# the first requests then fail with "Server not initialized yet".
live() { curl -fsS -o /dev/null --max-time 2 --noproxy '*' "http://127.0.0.1:$1/minio/health/cluster" 2>/dev/null; }

running() { # DIR: the pid of a live server started with DIR
	local pid
	[ -f "$1/minio.pid" ] || return 1
	pid=$(cat "$1/minio.pid")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
	local dir=$1 port=$2
	[[ $port =~ ^[0-9]+$ ]] || die "start: PORT must be a number, got '$port'"
	install
	mkdir -p "$dir/data"
	dir=$(cd "$dir" && pwd)
	if running "$dir" >/dev/null; then
		[ "$(cat "$dir/minio.port" 2>/dev/null)" = "$port" ] ||
			die "a server for $dir runs on port $(cat "$dir/minio.port" 2>/dev/null); stop it first"
		if live "$port"; then echo "127.0.0.1:$port"; return 0; fi
	else
		MINIO_BROWSER=off MINIO_UPDATE=off MINIO_CI_CD=1 \
			setsid "$BIN" server --quiet --address "127.0.0.1:$port" "$dir/data" \
			</dev/null >"$dir/minio.log" 2>&1 &
		echo $! >"$dir/minio.pid"
		echo "$port" >"$dir/minio.port"
		if [ -n "${MINIO_WATCH_PID:-}" ]; then
			# Stops the server when the watched process ends, even if it
			# never gets to call stop (a test binary killed on timeout).
			local pid=$!
			setsid bash -c 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done
				kill "$2" 2>/dev/null || true' _ "$MINIO_WATCH_PID" "$pid" </dev/null >/dev/null 2>&1 &
		fi
	fi
	local i
	for i in $(seq 1 300); do
		if live "$port"; then echo "127.0.0.1:$port"; return 0; fi
		if ! running "$dir" >/dev/null; then
			cat "$dir/minio.log" >&2
			die "the MinIO server exited (port $port taken?)"
		fi
		sleep 0.1
	done
	cat "$dir/minio.log" >&2
	stop "$dir"
	die "the MinIO server did not come up on 127.0.0.1:$port within 30s"
}

stop() {
	local dir=$1 pid i
	[ -d "$dir" ] || return 0
	if pid=$(running "$dir"); then
		kill "$pid" 2>/dev/null || true
		for i in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/minio.pid" "$dir/minio.port"
}

case "${1:-}" in
install) install ;;
path) echo "$BIN" ;;
start)
	[ $# -eq 3 ] || die "usage: minio.sh start DIR PORT"
	start "$2" "$3"
	;;
stop)
	[ $# -eq 2 ] || die "usage: minio.sh stop DIR"
	stop "$2"
	;;
*) die "usage: minio.sh install | path | start DIR PORT | stop DIR" ;;
esac
