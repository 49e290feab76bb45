package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/reflect/protoregistry"
)

// fakeAdmin is a stand-in for APISIX's Admin API (APISIX cannot run here):
// objects by kind and id, listed as APISIX 3 lists them ({"list": [{"key":
// "/apisix/<kind>/<id>", "value": ...}]}, slashes escaped as cjson does).
type fakeAdmin struct {
	key     string
	mu      sync.Mutex
	objects map[string]map[string]json.RawMessage
	deleted []string
}

func (a *fakeAdmin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-API-KEY") != a.key {
		http.Error(w, `{"message":"failed to check token"}`, http.StatusUnauthorized)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/apisix/admin/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	kind, id, _ := strings.Cut(rest, "/")
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && id == "":
		var list []string
		for id, v := range a.objects[kind] {
			list = append(list, fmt.Sprintf(`{"key":"\/apisix\/%s\/%s","value":%s}`, kind, id, v))
		}
		sort.Strings(list)
		fmt.Fprintf(w, `{"total":%d,"list":[%s]}`, len(list), strings.Join(list, ","))
	case r.Method == http.MethodPut && id != "":
		b, _ := io.ReadAll(r.Body)
		if !json.Valid(b) {
			http.Error(w, `{"error_msg":"invalid JSON"}`, http.StatusBadRequest)
			return
		}
		if a.objects[kind] == nil {
			a.objects[kind] = map[string]json.RawMessage{}
		}
		a.objects[kind][id] = b
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodDelete && id != "":
		delete(a.objects[kind], id)
		a.deleted = append(a.deleted, kind+"/"+id)
	default:
		http.Error(w, "unexpected "+r.Method, http.StatusMethodNotAllowed)
	}
}

// TestLoadShSyncsAdminAPIWithFakeAPISIX runs the generated load.sh (sh and
// curl, as docker-compose's apisix-routes job does) against a fake Admin
// API that already holds a stale route and upstream and an outdated copy of
// a current route: afterwards it holds exactly the generated objects.
func TestLoadShSyncsAdminAPIWithFakeAPISIX(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	files, err := generateFiles(protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	var cfg config
	if err := json.Unmarshal(files["routes.json"], &cfg.Routes); err != nil {
		t.Fatal(err)
	}
	admin := &fakeAdmin{key: "test-admin-key", objects: map[string]map[string]json.RawMessage{
		"routes":    {"file.File.Gone": json.RawMessage(`{"uri":"/v1/file/gone"}`), cfg.Routes[0].ID: json.RawMessage(`{"uri":"/old"}`)},
		"upstreams": {"gone-grpc": json.RawMessage(`{}`)},
	}}
	srv := httptest.NewServer(admin)
	defer srv.Close()

	script := filepath.Join(t.TempDir(), "load.sh")
	if err := os.WriteFile(script, files["load.sh"], 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", script)
	cmd.Env = append(os.Environ(), "APISIX_ADMIN="+srv.URL, "APISIX_ADMIN_KEY="+admin.key)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("load.sh: %v\n%s", err, out)
	}

	admin.mu.Lock()
	defer admin.mu.Unlock()
	sort.Strings(admin.deleted)
	if want := []string{"routes/file.File.Gone", "upstreams/gone-grpc"}; strings.Join(admin.deleted, " ") != strings.Join(want, " ") {
		t.Errorf("deleted %v, want %v", admin.deleted, want)
	}
	if len(admin.objects["routes"]) != len(cfg.Routes) {
		t.Errorf("the Admin API holds %d routes, generated %d", len(admin.objects["routes"]), len(cfg.Routes))
	}
	for _, r := range cfg.Routes {
		var got route
		if err := json.Unmarshal(admin.objects["routes"][r.ID], &got); err != nil || got.URI != r.URI {
			t.Errorf("route %s: holds %s", r.ID, admin.objects["routes"][r.ID])
		}
	}
	for _, kind := range []string{"protos", "upstreams", "global_rules"} {
		if len(admin.objects[kind]) == 0 {
			t.Errorf("no %s loaded", kind)
		}
	}

	// A wrong key stops the script with APISIX's answer.
	cmd = exec.Command("sh", script)
	cmd.Env = append(os.Environ(), "APISIX_ADMIN="+srv.URL, "APISIX_ADMIN_KEY=wrong")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "failed to check token") {
		t.Errorf("with a wrong key: err %v, output %s", err, out)
	}
}
