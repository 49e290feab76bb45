#!/bin/sh
# Publishes every <service>.yaml beside this script to Nacos (data id
# <service>.yaml, group DEFAULT_GROUP, type yaml), where each service reads
# and watches its live settings (pkg/config). Run once by docker-compose's
# nacos-seed service; publishing again overwrites, so a rerun is harmless.
set -eu
NACOS="${NACOS:-http://127.0.0.1:8848}"
dir=$(dirname "$0")
for f in "$dir"/*.yaml; do
	id=$(basename "$f")
	if ! out=$(curl -sS --fail-with-body -X POST "$NACOS/nacos/v1/cs/configs" \
		--data-urlencode "dataId=$id" --data-urlencode "group=DEFAULT_GROUP" \
		--data-urlencode "type=yaml" --data-urlencode "content@$f"); then
		echo "publish $id failed: $out" >&2
		exit 1
	fi
	echo "published $id: $out"
done
