#!/usr/bin/env bash
# Regenerates every *.pb.go, *_grpc.pb.go, *_http.pb.go, *_errors.pb.go,
# *.pb.validate.go and api/openapi.yaml from api/**/*.proto.
# Plugins are pinned in tools/tools.mod and run with `go tool`.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v protoc >/dev/null || [ ! -f /usr/include/google/protobuf/descriptor.proto ]; then
  echo "installing protoc (apt: protobuf-compiler libprotobuf-dev)" >&2
  apt-get update -qq && apt-get install -y -qq protobuf-compiler libprotobuf-dev >/dev/null
fi

root=$(pwd)
plugin() { echo "--plugin=$1=$(go tool -modfile="$root/tools/tools.mod" -n "$1")"; }

mapfile -t protos < <(cd api && find . -name '*.proto' | sed 's|^\./||' | sort)
# Services only, for the OpenAPI document.
mapfile -t services < <(cd api && grep -l '^service ' $(find . -name '*.proto') | sed 's|^\./||' | sort)

find api -name '*.pb.go' -o -name '*.pb.validate.go' | xargs -r rm -f
find app -path '*/internal/conf/*.pb.go' | xargs -r rm -f

cd api
protoc --proto_path=. --proto_path=../third_party --proto_path=/usr/include \
  "$(plugin protoc-gen-go)" "$(plugin protoc-gen-go-grpc)" "$(plugin protoc-gen-go-http)" \
  "$(plugin protoc-gen-go-errors)" "$(plugin protoc-gen-validate)" \
  --go_out=paths=source_relative:. \
  --go-grpc_out=paths=source_relative:. \
  --go-http_out=paths=source_relative:. \
  --go-errors_out=paths=source_relative:. \
  --validate_out=lang=go,paths=source_relative:. \
  "${protos[@]}"

protoc --proto_path=. --proto_path=../third_party --proto_path=/usr/include \
  "$(plugin protoc-gen-openapi)" \
  "--openapi_out=title=clouddrive API,version=v1,fq_schema_naming=true,default_response=false,naming=proto:." \
  "${services[@]}"

# Each service's configuration schema.
cd ..
# The proto path starts at app/ so that each file registers under a unique
# name (user/internal/conf/conf.proto) when services share one binary.
mapfile -t confs < <(cd app && ls */internal/conf/*.proto)
(cd app && protoc --proto_path=. --proto_path=../api --proto_path=/usr/include "$(plugin protoc-gen-go)" \
  --go_out=paths=source_relative:. "${confs[@]}")
