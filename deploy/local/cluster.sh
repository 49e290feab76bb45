#!/usr/bin/env bash
# The production topology as separate processes on this machine (`make
# cluster`): etcd, a MariaDB with the binlog on, Redis, a Kafka-protocol
# broker (kfake), MinIO, the services (two instances each of file and
# storage) registered in etcd, and one HTTP/gRPC entry point standing in for
# APISIX (tools/gateway).
#
#   cluster.sh up       start it (installs etcd, MariaDB, Redis with apt when
#                       missing) and print where everything is
#   cluster.sh down     stop every process it started, by PID, and check
#                       that none is left
#   cluster.sh status   what runs, from the state folder
#   cluster.sh empty    delete every row of the services' databases, the
#                       cluster's Redis and the sign-in codes (schemas and
#                       blobs stay): a running cluster as a fresh drive, for
#                       the browser suite (app/web/e2e) as for the Go suites
#   cluster.sh stop NAME / start NAME
#                       stop one process cleanly (SIGTERM), or start it again
#                       as up started it (NAME as in run/: file-2, gateway...)
#                       or minio
#
# Environment:
#   CLUSTER_DIR   state folder (default ./data/cluster): ports in
#                 cluster.env, PIDs in run/, logs in logs/, data beside
#   CLUSTER_KEEP  up: 1 keeps the data of a previous run (default 1);
#                 0 starts from nothing
#   CLUSTER_CACHE up: 0 turns the file instances' Redis read-through off
#                 (default 1; cdcrelay and cachesync run either way)
#   CLUSTER_DISK_MB  up: MinIO's folder becomes a file system of its own of
#                 this size (an ext4 image on a loop device; needs root), so
#                 the fault tests can fill the data disk without touching
#                 the machine's; unset: MinIO writes to CLUSTER_DIR's disk
#
# Every port is free when picked; a process counts as up only when the port
# is held by the very PID it started. down stops processes by the PID and
# start time recorded at start, so a recycled PID is never signalled.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=${CLUSTER_DIR:-$ROOT/data/cluster}
mkdir -p "$D"
D=$(cd "$D" && pwd)
RUN=$D/run
LOGS=$D/logs
ENVF=$D/cluster.env
# Start order; down goes in reverse.
ORDER=(etcd mariadb redis kafka minio cdcrelay cachesync user file-1 storage-1 share notify webdav file-2 storage-2 gateway)

say() { echo "cluster: $*" >&2; }
die() {
	say "$*"
	exit 1
}

# ---------------------------------------------------------------------------
# Packages.

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
need() { # COMMAND PACKAGE: install PACKAGE with apt when COMMAND is missing
	command -v "$1" >/dev/null 2>&1 && return 0
	[ -x "/usr/sbin/$1" ] && return 0
	say "installing $2 (for $1)"
	if [ -z "$apt_updated" ]; then
		sudo_ apt-get update -qq >/dev/null
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}

bin_of() { command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"; }

# ---------------------------------------------------------------------------
# Ports and processes.

declare -A PICKED=()
# Ports are picked below the kernel's ephemeral range: a port inside it can be
# the local end of some outgoing connection by the time its server binds it
# ("address already in use").
EPHEMERAL_LO=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "${EPHEMERAL_LO:-0}" -gt 22000 ] 2>/dev/null || EPHEMERAL_LO=32768
# free_port sets FREE to a port nobody listens on and not picked yet. It is
# not called as $(free_port): a subshell would forget what was picked.
free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % (EPHEMERAL_LO - 20000)))
		[ -n "${PICKED[$p]:-}" ] && continue
		if ! ss -Htln "( sport = :$p )" | grep -q .; then
			PICKED[$p]=1
			FREE=$p
			return 0
		fi
	done
	die "no free port found"
}

# starttime PID: when the process started (clock ticks since boot), empty
# when none runs with PID. A zombie (killed, not yet reaped by an init that
# may never reap) does not run.
starttime() { awk '$3 != "Z" {print $22}' "/proc/$1/stat" 2>/dev/null; }

# spawn NAME CMD...: run CMD in its own session, log to logs/NAME.log, and
# record its PID and start time in run/NAME.pid.
spawn() {
	local name=$1
	shift
	setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
	local pid=$!
	echo "$pid $(starttime "$pid")" >"$RUN/$name.pid"
	printf '%q ' "$@" >"$RUN/$name.cmd" # for start NAME
}

start_again() { # NAME: as up started it
	local name=$1
	# shellcheck disable=SC1090
	. "$ENVF"
	pid_of "$name" >/dev/null && die "$name runs already"
	[ -f "$RUN/$name.cmd" ] || die "no command recorded for $name in $RUN"
	eval "spawn $name $(cat "$RUN/$name.cmd")"
	case $name in
	gateway) wait_port gateway "$GATEWAY_HTTP" && wait_http gateway "http://127.0.0.1:$GATEWAY_HTTP/healthz" ;;
	user | file-* | storage-* | share | notify | webdav | cdcrelay | cachesync) wait_svc "$name" ;;
	*) sleep 1 && pid_of "$name" >/dev/null || die "$name exited at start (log: $LOGS/$name.log)" ;;
	esac
	say "$name started again (pid $(pid_of "$name"))"
}

# pid_of NAME: the recorded PID when that very process still runs.
pid_of() {
	local f=$RUN/$1.pid pid st
	[ -f "$f" ] || return 1
	read -r pid st <"$f"
	[ -n "$pid" ] && [ -n "$st" ] && [ "$(starttime "$pid")" = "$st" ] && echo "$pid"
}

# wait_port NAME PORT [SECONDS]: until PORT is held by NAME's process.
wait_port() {
	local name=$1 port=$2 secs=${3:-60} pid i
	pid=$(pid_of "$name") || { tail -n 30 "$LOGS/$name.log" >&2; die "$name exited at start (log: $LOGS/$name.log)"; }
	for i in $(seq 1 $((secs * 10))); do
		if ss -Htlnp "( sport = :$port )" | grep -q "pid=$pid,"; then return 0; fi
		if ! pid_of "$name" >/dev/null; then
			tail -n 30 "$LOGS/$name.log" >&2
			die "$name exited at start (log: $LOGS/$name.log)"
		fi
		if ss -Htln "( sport = :$port )" | grep -q . && ! ss -Htlnp "( sport = :$port )" | grep -q "pid=$pid,"; then
			# Someone else's process took the port between pick and bind.
			sleep 0.5
			ss -Htlnp "( sport = :$port )" | grep -q "pid=$pid," && return 0
			die "port $port of $name is held by another process: $(ss -Htlnp "( sport = :$port )")"
		fi
		sleep 0.1
	done
	tail -n 30 "$LOGS/$name.log" >&2
	die "$name did not listen on $port within ${secs}s (log: $LOGS/$name.log)"
}

# wait_http NAME URL: until URL answers 200 (after the port is ours).
wait_http() { # NAME URL [ALSO-ACCEPTED-STATUS]
	local name=$1 url=$2 also=${3:-200} i code
	for i in $(seq 1 600); do
		code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 --noproxy '*' "$url" 2>/dev/null || true)
		[ "$code" = 200 ] && return 0
		[ "$code" = "$also" ] && return 0
		pid_of "$name" >/dev/null || { tail -n 30 "$LOGS/$name.log" >&2; die "$name exited (log: $LOGS/$name.log)"; }
		sleep 0.1
	done
	tail -n 30 "$LOGS/$name.log" >&2
	die "$name: $url did not answer 200 within 60s"
}

stop_one() { # NAME: SIGTERM, then SIGKILL after 20 s
	local name=$1 pid i
	if pid=$(pid_of "$name"); then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 200); do
			pid_of "$name" >/dev/null || break
			sleep 0.1
		done
		if pid_of "$name" >/dev/null; then
			say "$name (pid $pid) still runs 20s after SIGTERM: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			sleep 0.2
		fi
	fi
	rm -f "$RUN/$name.pid"
}

# The data disk (CLUSTER_DISK_MB): a sparse image, so it costs the machine
# only what MinIO writes. Mounted before MinIO starts, unmounted after it
# stops; when it cannot be made (no root, no loop device) MinIO writes to
# CLUSTER_DIR's disk and the disk-full tests say why they skip.
mount_disk() {
	[ -n "${CLUSTER_DISK_MB:-}" ] || return 0
	mkdir -p "$D/minio"
	mountpoint -q "$D/minio" && return 0
	if [ ! -f "$D/disk.img" ]; then
		truncate -s "${CLUSTER_DISK_MB}M" "$D/disk.img"
		mkfs.ext4 -q -F -m 0 "$D/disk.img" >/dev/null 2>&1 || { rm -f "$D/disk.img"; say "WARNING: mkfs.ext4 failed: no data disk of its own"; return 0; }
	fi
	sudo_ mount -o loop "$D/disk.img" "$D/minio" 2>"$LOGS/disk.log" ||
		{ say "WARNING: cannot mount a loop device ($(cat "$LOGS/disk.log")): no data disk of its own"; return 0; }
	say "MinIO's data disk: ${CLUSTER_DISK_MB} MB of its own at $D/minio"
}

umount_disk() { if mountpoint -q "$D/minio" 2>/dev/null; then sudo_ umount "$D/minio"; fi; }

start_minio() {
	# shellcheck disable=SC1090
	. "$ENVF"
	bash "$ROOT/tools/scripts/minio.sh" start "$D/minio" "$MINIO_PORT" >/dev/null
	# minio.sh keeps its own PID file; record it here too for down's check.
	echo "$(cat "$D/minio/minio.pid") $(starttime "$(cat "$D/minio/minio.pid")")" >"$RUN/minio.pid"
}

# ---------------------------------------------------------------------------
# Configuration of the service instances.

# svc_conf INSTANCE SERVICE: the instance's configuration file, overlaying
# app/<svc>/configs/config.yaml.
svc_conf() {
	local CLUSTER_CACHE_ENABLED=true
	[ "${CLUSTER_CACHE:-1}" = 0 ] && CLUSTER_CACHE_ENABLED=false
	local inst=$1 svc=$2 up=${inst^^}
	up=${up//-/_}
	local f=$D/conf/$inst.yaml
	local hv=${up}_HTTP gv=${up}_GRPC auth_extra= db=
	[ "$svc" = webdav ] || db="  database:
    driver: mysql
    source: \"root@tcp(127.0.0.1:$MARIADB_PORT)/clouddrive_$svc?charset=utf8mb4&parseTime=true&loc=UTC\""
	case $svc in
	user) auth_extra="  private_key_file: \"$D/user/keys/access_ed25519.pem\"
  generate_keys: true" ;;
	storage) auth_extra="  url_secret_file: \"$D/user/keys/url_secret\"" ;;
	share) auth_extra="  secret: \"$SHARE_SECRET\"" ;;
	esac
	{
		cat <<EOF
# $inst: written by deploy/local/cluster.sh, overlaying app/$svc/configs/config.yaml.
server:
  http: {addr: "127.0.0.1:${!hv}"}
  grpc: {addr: "127.0.0.1:${!gv}"}
  trusted_proxies: ["127.0.0.1/32", "::1/128"]
data:
$db
  redis: {addr: "127.0.0.1:$REDIS_PORT", prefix: "cd:"}
auth:
  public_key_file: "$D/user/keys/access_ed25519.pub.pem"
  internal_secret: "$INTERNAL_SECRET"
$auth_extra
registry:
  endpoints: ["127.0.0.1:$ETCD_PORT"]
  ttl: 10s
# No adaptive shedding here. The limiter sheds while the CPU it reads is
# past its threshold, and that CPU is the machine's: on this host sixteen
# processes (and a load generator) share the same cores, so it is busy
# whenever any of them works, and each instance refused calls (429) without
# being overloaded itself (issue 15: 3,383 of 8,897 calls of the load run).
# A production instance has cores of its own (its container's cgroup) and
# keeps the default; this changes live from Nacos like rate_limit.
overload:
  disabled: true
EOF
		case $svc in
		user) cat <<EOF
code:
  log_file: "$D/user/codes.log"
oauth:
  github:
    redirect_url: "http://127.0.0.1:$GATEWAY_HTTP/v1/user/oauth/github/callback"
EOF
			;;
		file) cat <<EOF
events:
  brokers: ["127.0.0.1:$KAFKA_PORT"]
# Node lookups, listings and usage read through Redis, kept by cachesync
# from the binlog (cdcrelay); each instance fences what it changed after its
# commits, so a read after a write sees it (pkg/cdc). CLUSTER_CACHE=0: off.
cache:
  enabled: ${CLUSTER_CACHE_ENABLED}
  prefix: "cd:cache:"
EOF
			;;
		storage) cat <<EOF
backend:
  kind: s3
  s3:
    endpoint: "127.0.0.1:$MINIO_PORT"
    access_key: minioadmin
    secret_key: minioadmin
    bucket: clouddrive
    region: us-east-1
    use_ssl: false
files:
  endpoint: "$(target file)"
shares:
  endpoint: "$(target share)"
EOF
			;;
		share) cat <<EOF
events:
  brokers: ["127.0.0.1:$KAFKA_PORT"]
services:
  file: "$(target file)"
  storage: "$(target storage)"
  user: "$(target user)"
EOF
			;;
		notify) cat <<EOF
events:
  brokers: ["127.0.0.1:$KAFKA_PORT"]
users:
  endpoint: "$(target user)"
mail:
  site_url: "http://127.0.0.1:$GATEWAY_HTTP"
EOF
			;;
		webdav) cat <<EOF
webdav:
  temp_dir: "$D/webdav-tmp"
services:
  file: "$(target file)"
  storage: "$(target storage)"
  user: "$(target user)"
EOF
			;;
		esac
	} >"$f"
	echo "$f"
}

# target SVC: how the service being configured ($svc) reaches SVC: through
# etcd when both binaries are built on the service skeleton (which registers
# one and dials discovery:/// from the other), else the first instance's
# fixed address.
target() {
	if registers "$1" && registers "$svc"; then
		echo "discovery:///$1"
		return
	fi
	local inst=$1
	case $1 in file | storage) inst=$1-1 ;; esac
	local up=${inst^^}
	up=${up//-/_}
	echo "127.0.0.1:$(grep "^${up}_GRPC=" "$ENVF" | cut -d= -f2)"
}

# registers SVC: its binary has the skeleton (pkg/skeleton), so it registers
# in etcd. A binary from before it does not: the others reach it at a fixed
# address and the gateway is told where it is (-fixed).
registers() { grep -q "clouddrive/pkg/skeleton" "$D/bin/$1"; }

registered() { # SVC: the instances of SVC registered in etcd
	ETCDCTL_API=3 etcdctl --endpoints="127.0.0.1:$ETCD_PORT" get --prefix --keys-only "/clouddrive/$1/" 2>/dev/null | grep -c . || true
}

# cdc_conf NAME: the configuration of cdcrelay or cachesync (no API, no
# database of their own, not in etcd: /healthz, /readyz, /metrics only).
cdc_conf() {
	local f=$D/conf/$1.yaml
	case $1 in
	cdcrelay) cat >"$f" <<EOF
# cdcrelay: written by deploy/local/cluster.sh, overlaying app/cdcrelay/configs/config.yaml.
server:
  http: {addr: "127.0.0.1:$CDCRELAY_HTTP"}
binlog:
  addr: "127.0.0.1:$MARIADB_PORT"
  user: root
  flavor: mariadb
  database: clouddrive_file
  # Beside the binlog it points into: a fresh MariaDB (CLUSTER_KEEP=0)
  # starts the relay afresh too.
  position_file: "$D/mariadb/cdcrelay-position.json"
events:
  brokers: ["127.0.0.1:$KAFKA_PORT"]
EOF
		;;
	cachesync) cat >"$f" <<EOF
# cachesync: written by deploy/local/cluster.sh, overlaying app/cachesync/configs/config.yaml.
server:
  http: {addr: "127.0.0.1:$CACHESYNC_HTTP"}
data:
  redis: {addr: "127.0.0.1:$REDIS_PORT", prefix: "cd:"}
events:
  brokers: ["127.0.0.1:$KAFKA_PORT"]
cache:
  prefix: "cd:cache:"
EOF
		;;
	esac
	echo "$f"
}

start_cdc() { # NAME
	local conf
	conf=$(cdc_conf "$1")
	spawn "$1" "$D/bin/$1" -conf "$conf"
}

start_svc() { # INSTANCE SERVICE
	local inst=$1 svc=$2 conf
	conf=$(svc_conf "$inst" "$svc")
	spawn "$inst" "$D/bin/$svc" -conf "$conf"
}

wait_svc() { # INSTANCE
	local inst=$1 up=${1^^}
	up=${up//-/_}
	local hp
	hp=$(grep "^${up}_HTTP=" "$ENVF" | cut -d= -f2)
	wait_port "$inst" "$hp" 120
	# /readyz: its database, Redis and etcd are reachable. A binary from
	# before the service skeleton has no /readyz (404): listening is all
	# it can show.
	wait_http "$inst" "http://127.0.0.1:$hp/readyz" 404
}

# ---------------------------------------------------------------------------

up() {
	if pid_of gateway >/dev/null; then
		say "already running in $D"
		info
		return 0
	fi
	down_quiet
	umount_disk
	[ "${CLUSTER_KEEP:-1}" = 1 ] || rm -rf "$D"/{etcd,mariadb,redis,kafka,minio,user,conf,logs,run,webdav-tmp,disk.img}
	mkdir -p "$RUN" "$LOGS" "$D/conf" "$D/bin" "$D/user/keys" "$D/webdav-tmp"
	chmod 700 "$D/user/keys"
	# Whatever fails below, nothing that started stays behind.
	trap 'rc=$?; if [ $rc != 0 ]; then say "start failed; stopping what started"; down_quiet; fi' EXIT

	need etcd etcd-server
	need etcdctl etcd-client
	need mariadbd mariadb-server
	need redis-server redis-server
	need curl curl
	need ss iproute2

	say "building the services and tools into $D/bin"
	(cd "$ROOT" && go build -o "$D/bin/" ./app/user/cmd/user ./app/file/cmd/file ./app/storage/cmd/storage \
		./app/share/cmd/share ./app/notify/cmd/notify ./app/webdav/cmd/webdav ./tools/kfake ./tools/gateway \
		./app/cdcrelay/cmd/cdcrelay ./app/cachesync/cmd/cachesync)
	bash "$ROOT/tools/scripts/minio.sh" install

	# Ports: picked once and kept with the data, so a restart finds its own.
	if [ ! -f "$ENVF" ] || [ "${CLUSTER_KEEP:-1}" != 1 ]; then
		{
			for k in ETCD_PORT ETCD_PEER_PORT MARIADB_PORT REDIS_PORT KAFKA_PORT MINIO_PORT GATEWAY_HTTP GATEWAY_GRPC; do
				free_port
				echo "$k=$FREE"
			done
			for i in CDCRELAY CACHESYNC; do
				free_port
				echo "${i}_HTTP=$FREE"
			done
			for i in USER FILE_1 FILE_2 STORAGE_1 STORAGE_2 SHARE NOTIFY WEBDAV; do
				free_port
				echo "${i}_HTTP=$FREE"
				free_port
				echo "${i}_GRPC=$FREE"
			done
			echo "INTERNAL_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
			echo "URL_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
			echo "SHARE_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
		} >"$ENVF.tmp"
		mv "$ENVF.tmp" "$ENVF"
	fi
	# shellcheck disable=SC1090
	. "$ENVF"
	# A cluster.env from before cdcrelay and cachesync: ports for them too.
	for k in CDCRELAY_HTTP CACHESYNC_HTTP; do
		grep -q "^$k=" "$ENVF" || { free_port && echo "$k=$FREE" >>"$ENVF"; }
	done
	# shellcheck disable=SC1090
	. "$ENVF"
	# Both storage instances sign and check download URLs with one secret.
	[ -s "$D/user/keys/url_secret" ] || (umask 077 && echo "$URL_SECRET" >"$D/user/keys/url_secret")
	for p in $ETCD_PORT $ETCD_PEER_PORT $MARIADB_PORT $REDIS_PORT $KAFKA_PORT $MINIO_PORT $GATEWAY_HTTP $GATEWAY_GRPC; do
		ss -Htln "( sport = :$p )" | grep -q . && die "port $p of $ENVF is taken now; CLUSTER_KEEP=0 picks new ones"
	done

	say "etcd on $ETCD_PORT"
	spawn etcd "$(bin_of etcd)" --name clouddrive --data-dir "$D/etcd" \
		--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster "clouddrive=http://127.0.0.1:$ETCD_PEER_PORT" --log-level warn --logger zap

	say "MariaDB on $MARIADB_PORT (binlog on)"
	if [ ! -d "$D/mariadb/data/mysql" ]; then
		mkdir -p "$D/mariadb/data"
		"$(bin_of mariadb-install-db)" --no-defaults --user=root --datadir="$D/mariadb/data" \
			--auth-root-authentication-method=normal --skip-test-db >"$LOGS/mariadb-install.log" 2>&1 ||
			{ cat "$LOGS/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
	fi
	spawn mariadb "$(bin_of mariadbd)" --no-defaults --user=root --datadir="$D/mariadb/data" \
		--port="$MARIADB_PORT" --bind-address=127.0.0.1 --socket="$D/mariadb/mariadb.sock" \
		--pid-file="$D/mariadb/mariadb.pid" --log-bin="$D/mariadb/binlog" --binlog-format=ROW \
		--binlog-row-image=FULL --server-id=1 --skip-name-resolve --innodb-buffer-pool-size=128M \
		--max-connections=500 --log-error="$LOGS/mariadb.log"

	say "Redis on $REDIS_PORT"
	mkdir -p "$D/redis"
	spawn redis "$(bin_of redis-server)" --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$D/redis" \
		--save "" --appendonly no --daemonize no

	say "kfake (Kafka protocol) on $KAFKA_PORT"
	# Its log and the groups' offsets on disk, as a Kafka broker keeps them:
	# events published and not yet consumed survive a restart of the broker.
	spawn kafka "$D/bin/kfake" -port "$KAFKA_PORT" -data "$D/kafka"

	say "MinIO on $MINIO_PORT"
	mount_disk
	start_minio
	ln -sf "$D/minio/minio.log" "$LOGS/minio.log"

	wait_port etcd "$ETCD_PORT"
	wait_http etcd "http://127.0.0.1:$ETCD_PORT/health"
	wait_port mariadb "$MARIADB_PORT" 120
	wait_port redis "$REDIS_PORT"
	wait_port kafka "$KAFKA_PORT"
	wait_port minio "$MINIO_PORT"

	local sql=""
	for s in user file storage share notify; do
		sql+="CREATE DATABASE IF NOT EXISTS clouddrive_$s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
	done
	"$(bin_of mariadb)" --no-defaults -uroot -h127.0.0.1 -P"$MARIADB_PORT" -e "$sql"

	# The binlog relay (standing in for Flink CDC) and cachesync, before the
	# file service writes anything: the relay starts from the binlog's
	# current position on its first run, and from its stored one after.
	start_cdc cdcrelay
	start_cdc cachesync
	wait_svc cdcrelay
	wait_svc cachesync

	# The user service first: it makes the signing keys the others read.
	start_svc user user
	wait_svc user
	local svc unreg=()
	for svc in user file storage share notify webdav; do registers "$svc" || unreg+=("$svc"); done
	[ ${#unreg[@]} = 0 ] || say "WARNING: not on the service skeleton, so not registered in etcd: ${unreg[*]} (reached at fixed addresses)"

	# One instance of each first: two instances migrating one empty
	# database at once would race.
	start_svc file-1 file
	start_svc share share
	start_svc notify notify
	wait_svc file-1
	start_svc storage-1 storage
	start_svc webdav webdav
	for i in share notify storage-1 webdav; do wait_svc "$i"; done
	start_svc file-2 file
	start_svc storage-2 storage
	for i in file-2 storage-2; do wait_svc "$i"; done

	# Every instance of a service on the skeleton is in etcd before the
	# gateway opens.
	local n want
	for svc in user file storage share notify webdav; do
		registers "$svc" || continue
		want=1
		case $svc in file | storage) want=2 ;; esac
		for i in $(seq 1 100); do
			n=$(registered "$svc")
			[ "$n" -ge "$want" ] && break
			sleep 0.1
		done
		[ "$n" -ge "$want" ] || die "$svc: $n instance(s) registered in etcd, want $want"
	done

	local fixed=()
	for i in user file-1 file-2 storage-1 storage-2 share notify webdav; do
		registers "${i%-[12]}" && continue
		local up=${i^^}
		up=${up//-/_}
		local hv=${up}_HTTP gv=${up}_GRPC
		fixed+=(-fixed "${i%-[12]}=http://127.0.0.1:${!hv},grpc://127.0.0.1:${!gv}")
	done
	spawn gateway "$D/bin/gateway" -http "127.0.0.1:$GATEWAY_HTTP" -grpc "127.0.0.1:$GATEWAY_GRPC" \
		-etcd "127.0.0.1:$ETCD_PORT" -routes "$ROOT/apisix/routes.json" "${fixed[@]}"
	wait_port gateway "$GATEWAY_HTTP"
	wait_port gateway "$GATEWAY_GRPC"
	wait_http gateway "http://127.0.0.1:$GATEWAY_HTTP/healthz"
	trap - EXIT
	info
}

info() {
	# shellcheck disable=SC1090
	. "$ENVF"
	cat <<EOF

The cluster runs (state in $D):
  web app and API   http://127.0.0.1:$GATEWAY_HTTP/   (the gateway, standing in for APISIX)
  gRPC              127.0.0.1:$GATEWAY_GRPC           (drive -server 127.0.0.1:$GATEWAY_GRPC)
  WebDAV            http://127.0.0.1:$GATEWAY_HTTP/dav/
  etcd              127.0.0.1:$ETCD_PORT   MariaDB 127.0.0.1:$MARIADB_PORT (root)   Redis 127.0.0.1:$REDIS_PORT
  Kafka (kfake)     127.0.0.1:$KAFKA_PORT   MinIO 127.0.0.1:$MINIO_PORT (minioadmin)
  sign-in codes     $D/user/codes.log
Logs:
EOF
	for n in "${ORDER[@]}"; do
		local pid
		pid=$(pid_of "$n" || echo "-")
		printf '  %-10s pid %-8s %s\n' "$n" "$pid" "$LOGS/$n.log"
	done
	echo "Stop it with: make cluster-down"
}

down_quiet() {
	local i
	for ((i = ${#ORDER[@]} - 1; i >= 0; i--)); do
		if [ "${ORDER[$i]}" = minio ]; then
			[ -d "$D/minio" ] && bash "$ROOT/tools/scripts/minio.sh" stop "$D/minio"
			rm -f "$RUN/minio.pid"
			umount_disk
			continue
		fi
		stop_one "${ORDER[$i]}"
	done
}

down() {
	[ -d "$RUN" ] || { say "nothing runs in $D"; return 0; }
	local procs=() n p
	for n in "${ORDER[@]}"; do
		p=$(pid_of "$n") && procs+=("$n $p $(starttime "$p")")
	done
	down_quiet
	local left=0 name pid st
	for n in "${procs[@]}"; do
		read -r name pid st <<<"$n"
		if [ "$(starttime "$pid")" = "$st" ]; then
			say "still running: $name (pid $pid)"
			left=1
		fi
	done
	[ "$left" = 0 ] || die "some processes did not stop"
	say "stopped ${#procs[@]} processes (state kept in $D)"
}

# empty: the running cluster as a fresh start leaves it, so that a suite's
# first account is again the administrator. Go suites do the same from
# app/standalone/cluster_e2e_test.go.
empty() {
	[ -f "$ENVF" ] || die "no cluster in $D"
	# shellcheck disable=SC1090
	. "$ENVF"
	pid_of mariadb >/dev/null || die "the cluster's MariaDB does not run (make cluster)"
	local sql tables
	tables=$("$(bin_of mariadb)" --no-defaults -uroot -h127.0.0.1 -P"$MARIADB_PORT" -N -B -e \
		"SELECT CONCAT('\`', table_schema, '\`.\`', table_name, '\`') FROM information_schema.tables
		 WHERE table_schema LIKE 'clouddrive\\_%' AND table_type = 'BASE TABLE'")
	[ -n "$tables" ] || die "the cluster's MariaDB has no clouddrive tables: did the services start?"
	sql="SET FOREIGN_KEY_CHECKS = 0;"
	for t in $tables; do sql+="TRUNCATE TABLE $t;"; done
	"$(bin_of mariadb)" --no-defaults -uroot -h127.0.0.1 -P"$MARIADB_PORT" -e "$sql"
	# A TRUNCATE writes no row to the binlog, and changes from before it may
	# still be on their way to Redis (cdcrelay, Kafka, cachesync): were they
	# to land after the flush, the ids the emptied tables hand out again
	# would read the old rows. Wait until both have passed it, then flush.
	local p out
	for p in cdcrelay cachesync; do
		if pid_of "$p" >/dev/null; then
			out=$("$D/bin/$p" caught-up -conf "$D/conf/$p.yaml" 2>&1) ||
				die "$p did not catch up, Redis not flushed: $(tail -3 <<<"$out")"
		else
			say "$p does not run: changes from before the reset may reach Redis when it starts"
		fi
	done
	# The cluster's own Redis (not the machine's shared one): all of it.
	redis-cli -h 127.0.0.1 -p "$REDIS_PORT" FLUSHALL >/dev/null
	[ ! -f "$D/user/codes.log" ] || : >"$D/user/codes.log"
	say "emptied $(wc -w <<<"$tables") tables and Redis"
}

status() {
	[ -f "$ENVF" ] || { say "no cluster in $D"; return 1; }
	info
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
empty) empty ;;
stop)
	[ $# -eq 2 ] || die "usage: cluster.sh stop NAME"
	if [ "$2" = minio ]; then
		bash "$ROOT/tools/scripts/minio.sh" stop "$D/minio"
		rm -f "$RUN/minio.pid"
	else
		stop_one "$2"
	fi
	;;
start)
	[ $# -eq 2 ] || die "usage: cluster.sh start NAME"
	if [ "$2" = minio ]; then start_minio; else start_again "$2"; fi
	;;
*) die "usage: cluster.sh up | down | status | empty | stop NAME | start NAME" ;;
esac
