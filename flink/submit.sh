#!/usr/bin/env bash
# Submits the CDC jobs (flink/jobs/*.sql) through Flink's SQL client, each as
# its own streaming job, after filling their ${…} placeholders from the
# environment:
#
#   MYSQL_HOST, MYSQL_PORT   the file service's MySQL (binlog ROW, FULL image)
#   CDC_USER, CDC_PASSWORD   the account of flink/grants.sql
#   KAFKA_BROKERS            host:port[,host:port]
#   FLINK_HOME               where bin/sql-client.sh is (default /opt/flink)
#
# The SQL client needs the flink-sql-connector-mysql-cdc and
# flink-sql-connector-kafka jars in $FLINK_HOME/lib (the compose service's
# image has them). Run it again after a job failed for good; a job that runs
# is left alone (by its pipeline.name).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
FLINK_HOME=${FLINK_HOME:-/opt/flink}
: "${MYSQL_HOST:?}" "${MYSQL_PORT:=3306}" "${CDC_USER:?}" "${CDC_PASSWORD:?}" "${KAFKA_BROKERS:?}"
export MYSQL_HOST MYSQL_PORT CDC_USER CDC_PASSWORD KAFKA_BROKERS

fill() { # FILE: the SQL with every ${NAME} replaced by its value; unknown names fail
	local sql name
	sql=$(cat "$1")
	for name in $(grep -o '\${[A-Z_]*}' "$1" | sort -u | tr -d '${}'); do
		[ -n "${!name:-}" ] || { echo "submit.sh: $name is not set (used by $1)" >&2; return 1; }
		sql=${sql//\$\{$name\}/${!name}}
	done
	printf '%s\n' "$sql"
}

running=$("$FLINK_HOME/bin/flink" list -r 2>/dev/null || true)
for job in "$HERE"/jobs/*.sql; do
	name=$(sed -n "s/^SET 'pipeline.name' = '\(.*\)';/\1/p" "$job")
	if [ -n "$name" ] && grep -q ": $name (RUNNING)" <<<"$running"; then
		echo "submit.sh: $name runs already"
		continue
	fi
	tmp=$(mktemp)
	trap 'rm -f "$tmp"' EXIT
	fill "$job" >"$tmp"
	echo "submit.sh: submitting $(basename "$job")"
	"$FLINK_HOME/bin/sql-client.sh" -f "$tmp"
	rm -f "$tmp"
done
