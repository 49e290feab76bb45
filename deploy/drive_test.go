// Package deploy's tests check the deployment files (docker-compose.yaml,
// deploy/k8s, Prometheus, Grafana) against the code they deploy: Docker,
// Kubernetes, Prometheus and Grafana cannot run here, so each file is loaded
// with its own ecosystem's library and every reference it makes (a file, a
// port, a config key, an environment variable, a probe path, a metric) is
// resolved against the binaries' real configuration and routes.
package deploy

import (
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-kratos/kratos/v2/transport/http"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"gopkg.in/yaml.v3"

	confv1 "clouddrive/api/conf/v1"
	// The services' configuration messages (clouddrive.<svc>.conf.Bootstrap)
	// are registered by the packages that assemble them.
	_ "clouddrive/app/cachesync"
	_ "clouddrive/app/standalone"
	"clouddrive/pkg/skeleton"
)

// root is the repository, where docker-compose.yaml lives.
const root = ".."

// driveServices are the binaries built from app/<svc>/cmd/<svc> that run on
// pkg/skeleton (config from -conf, /healthz, /readyz, /metrics).
var driveServices = []string{"user", "file", "storage", "share", "notify", "webdav", "cachesync"}

func isDriveService(name string) bool {
	for _, s := range driveServices {
		if s == name {
			return true
		}
	}
	return false
}

// bootstrap is the configuration message of a service: every key its
// config files, Nacos and CLOUDDRIVE__ variables set must resolve in it or in
// the skeleton's shared confv1.Common.
func bootstrap(t *testing.T, svc string) []protoreflect.MessageDescriptor {
	t.Helper()
	common := (&confv1.Common{}).ProtoReflect().Descriptor()
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName("clouddrive." + svc + ".conf.Bootstrap"))
	if err != nil {
		t.Fatalf("service %s: its configuration message clouddrive.%s.conf.Bootstrap is not linked: %v", svc, svc, err)
	}
	return []protoreflect.MessageDescriptor{d.(protoreflect.MessageDescriptor), common}
}

// resolveKey says whether the dotted key path names a field of one of msgs
// (proto names, as the config loader reads them).
func resolveKey(msgs []protoreflect.MessageDescriptor, path []string) bool {
	for _, m := range msgs {
		if resolveIn(m, path) {
			return true
		}
	}
	return false
}

func resolveIn(m protoreflect.MessageDescriptor, path []string) bool {
	f := m.Fields().ByName(protoreflect.Name(path[0]))
	if f == nil {
		return false
	}
	if len(path) == 1 {
		return true
	}
	if f.Kind() != protoreflect.MessageKind || f.IsMap() || f.IsList() ||
		strings.HasPrefix(string(f.Message().FullName()), "google.protobuf.") {
		return false
	}
	return resolveIn(f.Message(), path[1:])
}

// leafKeys lists the dotted paths of a YAML document's leaves (a list or a
// scalar ends a path).
func leafKeys(prefix []string, v any, out *[][]string) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		if len(prefix) > 0 {
			*out = append(*out, append([]string(nil), prefix...))
		}
		return
	}
	for k, sub := range m {
		leafKeys(append(prefix, k), sub, out)
	}
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// merge overlays b on a, key by key, as the config loader does.
func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		am, ok1 := out[k].(map[string]any)
		bm, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			out[k] = merge(am, bm)
		} else {
			out[k] = v
		}
	}
	return out
}

// listenPorts are the ports a drive service listens on with the deployment's
// config file over its defaults: server.http.addr and server.grpc.addr.
func listenPorts(t *testing.T, svc, overlay string) (http, grpc string) {
	t.Helper()
	conf := readYAML(t, filepath.Join(root, "app", svc, "configs", "config.yaml"))
	if overlay != "" {
		conf = merge(conf, readYAML(t, overlay))
	}
	server, _ := conf["server"].(map[string]any)
	port := func(kind string) string {
		m, _ := server[kind].(map[string]any)
		addr, _ := m["addr"].(string)
		if addr == "" {
			return ""
		}
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("%s: server.%s.addr %q: %v", svc, kind, addr, err)
		}
		return p
	}
	return port("http"), port("grpc")
}

// skeletonAnswers says whether pkg/skeleton's observability routes, the ones
// every service binary serves on its HTTP port, answer path with 200 when
// the process has nothing to wait for.
func skeletonAnswers(t *testing.T, path string) bool {
	t.Helper()
	hs := http.NewServer()
	skeleton.Observe(hs, "probe-test", &skeleton.Checks{}, true)
	rec := httptest.NewRecorder()
	hs.ServeHTTP(rec, httptest.NewRequest(nethttp.MethodGet, path, nil))
	return rec.Code == nethttp.StatusOK
}
