# clouddrive — the two commands that matter:
#   make run    the whole drive in one process on embedded defaults
#   make test   every test (generated code, unit, integration, end to end)

GO      ?= go
TOOL    := $(GO) tool -modfile=tools/tools.mod
DATA    ?= ./data
HTTP    ?= 127.0.0.1:8000
GRPC    ?= 127.0.0.1:9000

.PHONY: run build web web-test web-e2e api apisix minio generate check-generated test test-short bench bench-packages bench-drive lint fmt clean cluster cluster-down test-cluster load soak

WEB_SRC := $(shell find app/web/src app/web/public -type f 2>/dev/null) \
	app/web/index.html app/web/package.json app/web/package-lock.json \
	app/web/vite.config.ts app/web/tsconfig.json app/web/tsconfig.app.json app/web/tsconfig.node.json

run: build
	./bin/clouddrive -data $(DATA) -http $(HTTP) -grpc $(GRPC)

build: web
	$(GO) build -o bin/clouddrive ./app/standalone/cmd/clouddrive

# The browser app, built into app/web/dist (embedded by the binary) when a
# source is newer than the build or there is none yet. Needs Node >= 20.19.
web: app/web/dist/index.html

app/web/dist/index.html: $(WEB_SRC)
	cd app/web && npm ci --no-audit --no-fund && npm run build

# The app's unit tests (vitest).
web-test:
	cd app/web && npm ci --no-audit --no-fund && npm test

# The app in headless Chromium against the standalone binary (app/web/e2e);
# Debian's chromium and a CJK font are installed when missing. Screenshots
# and the server's log go to app/web/e2e-output/.
web-e2e: build
	bash tools/scripts/chromium.sh
	cd app/web && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund; } && npm run test:e2e

# Regenerate *.pb.go, *_grpc/_http/_errors.pb.go, validation code and api/openapi.yaml.
api:
	bash tools/scripts/gen-api.sh

# The gateway's routes, upstreams and protos under apisix/, from the protos' annotations.
apisix:
	$(GO) run ./tools/apisixgen -out apisix

# Everything generated: protos, wire injectors, mocks, gateway config.
generate: api
	$(TOOL) wire ./app/user/ ./app/file/ ./app/storage/ ./app/share/ ./app/notify/
	$(GO) generate ./app/user/internal/biz/ ./app/file/internal/biz/ ./app/storage/internal/biz/ ./app/share/internal/biz/ ./app/notify/internal/biz/ ./app/webdav/internal/biz/
	$(GO) run ./tools/apisixgen -out apisix

# Fails when regenerating would change a committed file.
check-generated: generate
	@if [ -n "$$(git status --porcelain -- api app third_party apisix)" ]; then \
	  echo "generated code is stale; run 'make generate' and commit:"; \
	  git status --porcelain -- api app third_party apisix; git --no-pager diff --stat -- api app; exit 1; fi

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The MinIO server the S3 backend's tests run against, built once (~7 min)
# into ~/.cache/clouddrive and reused.
minio:
	bash tools/scripts/minio.sh install

# Unit, integration (MariaDB, Redis, MinIO, kfake) and end-to-end tests,
# then the end-to-end suites again against the cluster.
test: minio check-generated lint web-test web-e2e
	bash tools/scripts/webdav-clients.sh
	$(GO) test -count=1 -timeout 25m ./...
	$(MAKE) test-cluster

# The production topology as processes on this machine (deploy/local/):
# etcd, MariaDB, Redis, kfake, MinIO, the services (two file, two storage)
# and the gateway standing in for APISIX. State, ports and logs in
# CLUSTER_DIR (default ./data/cluster).
cluster: web minio
	bash deploy/local/cluster.sh up

cluster-down:
	bash deploy/local/cluster.sh down

# A fresh cluster, the HTTP/gRPC and browser end-to-end suites and the cluster's
# acceptance tests against it, then down (even on failure).
test-cluster: web minio
	bash deploy/local/test-cluster.sh

# Load (tools/loadgen): 200 users for 60 s (listings, small and 100 MB
# uploads, downloads, shares, opens) against the standalone binary, then
# against a fresh cluster; reports in data/load-*.md, figures for
# docs/BENCHMARKS.md. Fails on any error. LOAD_ARGS="-users 50 -duration 20s".
load: build minio
	$(GO) run ./tools/loadgen -standalone bin/clouddrive -report data/load-standalone.md $(LOAD_ARGS)
	bash tools/loadgen/with-cluster.sh -report data/load-cluster.md $(LOAD_ARGS)

# Soak (not in make test): the same mix on a fresh cluster for SOAK_DURATION
# (30m) with a random fault every minute; its report in docs/SOAK.md.
SOAK_DURATION ?= 30m
soak: web minio
	bash tools/loadgen/with-cluster.sh -faults -duration $(SOAK_DURATION) -big-at-once 1 -report docs/SOAK.md $(LOAD_ARGS)

# The inner loop: no databases, no binary, no codegen check.
test-short:
	$(GO) test -short -count=1 ./...

# Figures go to docs/BENCHMARKS.md (which says how to run each set).
# bench-packages: the packages' own benchmarks (file data layer, caches,
# WebDAV, thumbnails). bench-drive: the drive's scenarios through the
# standalone binary, each beside its same-run baselines, then their plot
# and table in results/bench-<time>/ (not committed); BENCH_CLUSTER=new (a
# fresh make cluster) or the state folder of a running one measures them
# through the cluster too; sizes and rounds: tools/scripts/bench-drive.sh.
bench: bench-packages bench-drive

bench-packages:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime=200x -timeout 30m $$($(GO) list ./... | grep -v '/app/standalone$$')

bench-drive:
	bash tools/scripts/bench-drive.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
