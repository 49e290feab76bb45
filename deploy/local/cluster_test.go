package local_test

// The cluster's acceptance points, against a running `make cluster` named by
// CLOUDDRIVE_E2E_CLUSTER (make test-cluster sets it): every instance is
// registered in etcd; calls spread over both file and both storage instances
// (counted in each instance's /metrics); a SIGKILLed instance costs a call at
// most one retry; a clean stop removes the instance's key at once.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"clouddrive/pkg/contenthash"
)

type cluster struct {
	dir  string
	env  map[string]string
	base string // the gateway
	hc   *http.Client
	etcd *clientv3.Client
}

func open(t testing.TB) *cluster {
	t.Helper()
	dir := os.Getenv("CLOUDDRIVE_E2E_CLUSTER")
	if dir == "" {
		t.Skip("needs a running cluster: make test-cluster (or make cluster, then CLOUDDRIVE_E2E_CLUSTER=<its CLUSTER_DIR>)")
	}
	f, err := os.Open(filepath.Join(dir, "cluster.env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"127.0.0.1:" + env["ETCD_PORT"]}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return &cluster{dir: dir, env: env, base: "http://127.0.0.1:" + env["GATEWAY_HTTP"],
		hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil}}, etcd: cli}
}

// port of an instance ("file-2", "HTTP").
func (c *cluster) port(inst, kind string) string {
	return c.env[strings.ReplaceAll(strings.ToUpper(inst), "-", "_")+"_"+kind]
}

// registered returns the registered instances of svc: key → gRPC endpoint.
func (c *cluster) registered(t *testing.T, svc string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := c.etcd.Get(ctx, "/clouddrive/"+svc+"/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, kv := range resp.Kvs {
		var in struct{ Endpoints []string }
		if err := json.Unmarshal(kv.Value, &in); err != nil {
			t.Fatalf("%s: %v", kv.Key, err)
		}
		out[string(kv.Key)] = strings.Join(in.Endpoints, " ")
	}
	return out
}

// keyOf is the etcd key of the instance listening on its gRPC port, "".
func (c *cluster) keyOf(t *testing.T, svc, inst string) string {
	for k, eps := range c.registered(t, svc) {
		if strings.Contains(eps, "127.0.0.1:"+c.port(inst, "GRPC")) {
			return k
		}
	}
	return ""
}

func (c *cluster) call(method, path, token string, body any) (int, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// signUp makes an account of its own and returns its access token.
func (c *cluster) signUp(t *testing.T) string {
	t.Helper()
	name := "accept" + random(t, 4)
	pw := "Pw-" + random(t, 8) + "x9"
	if st, b, err := c.call("POST", "/v1/user/register", "", map[string]string{"username": name, "password": pw}); err != nil || st != 200 {
		t.Fatalf("register: %d %s %v", st, b, err)
	}
	st, b, err := c.call("POST", "/v1/user/login", "", map[string]string{"username": name, "password": pw})
	if err != nil || st != 200 {
		t.Fatalf("login: %d %s %v", st, b, err)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(b, &tr)
	return tr.AccessToken
}

// upload stores a small file of new content: init, one chunk, complete
// (storage then creates the node through the file service, over gRPC).
func (c *cluster) upload(token string) error {
	data := []byte("cluster acceptance " + hex.EncodeToString(randomBytes(16)))
	name := "f-" + hex.EncodeToString(randomBytes(6)) + ".txt"
	st, b, err := c.call("POST", "/v1/upload/init", token, map[string]any{"name": name, "size": len(data),
		"content_hash": contenthash.HashBytes(data)})
	if err != nil || st != 200 {
		return fmt.Errorf("init: %d %s %v", st, b, err)
	}
	var ir struct {
		UploadID string `json:"upload_id"`
	}
	_ = json.Unmarshal(b, &ir)
	if st, b, err = c.call("PUT", "/v1/upload/"+ir.UploadID+"/0", token, data); err != nil || st/100 != 2 {
		return fmt.Errorf("chunk: %d %s %v", st, b, err)
	}
	if st, b, err = c.call("POST", "/v1/upload/complete", token, map[string]string{"upload_id": ir.UploadID}); err != nil || st != 200 {
		return fmt.Errorf("complete: %d %s %v", st, b, err)
	}
	return nil
}

// served counts the calls an instance served whose operation contains op
// ("" for all), from its /metrics; from its access log when it has none (a
// binary from before the service skeleton).
func (c *cluster) served(t *testing.T, inst, op string) float64 {
	t.Helper()
	st, b, err := get(c.hc, "http://127.0.0.1:"+c.port(inst, "HTTP")+"/metrics")
	if err == nil && st == http.StatusNotFound {
		log, err := os.ReadFile(filepath.Join(c.dir, "logs", inst+".log"))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, line := range strings.Split(string(log), "\n") {
			if strings.Contains(line, " module=access ") && strings.Contains(line, op) {
				n++
			}
		}
		return float64(n)
	}
	if err != nil || st != 200 {
		t.Fatalf("GET /metrics of %s: %d %v", inst, st, err)
	}
	var n float64
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "clouddrive_rpc_requests_total{") || !strings.Contains(line, op) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err != nil {
			t.Fatalf("%s /metrics: %q", inst, line)
		}
		n += v
	}
	return n
}

func get(hc *http.Client, url string) (int, []byte, error) {
	resp, err := hc.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (c *cluster) pid(t *testing.T, inst string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, "run", inst+".pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.Fields(string(b))[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// script runs cluster.sh (stop NAME, start NAME) on this cluster.
func (c *cluster) script(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"cluster.sh"}, args...)...)
	cmd.Env = append(os.Environ(), "CLUSTER_DIR="+c.dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cluster.sh %v: %v\n%s", args, err, out)
	}
}

func TestCluster(t *testing.T) {
	c := open(t)
	want := map[string]int{"user": 1, "file": 2, "storage": 2, "share": 1, "notify": 1, "webdav": 1}

	t.Run("every_instance_registered", func(t *testing.T) {
		for svc, n := range want {
			if got := c.registered(t, svc); len(got) != n {
				t.Errorf("%s: %d instances in etcd, want %d: %v", svc, len(got), n, got)
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	token := c.signUp(t)

	t.Run("calls_spread_over_both_instances", func(t *testing.T) {
		insts := []string{"file-1", "file-2", "storage-1", "storage-2"}
		before := map[string]float64{}
		internal := map[string]float64{}
		for _, in := range insts {
			before[in] = c.served(t, in, "")
			internal[in] = c.served(t, in, "FileInternal")
		}
		for i := 0; i < 16; i++ {
			if err := c.upload(token); err != nil {
				t.Fatalf("upload %d: %v", i, err)
			}
			if st, b, err := c.call("GET", "/v1/file/list", token, nil); err != nil || st != 200 {
				t.Fatalf("list: %d %s %v", st, b, err)
			}
		}
		for _, in := range insts {
			d := c.served(t, in, "") - before[in]
			t.Logf("%s served %v calls", in, d)
			if d == 0 {
				t.Errorf("%s served none of the calls: no balancing over it", in)
			}
		}
		// storage → file goes through discovery:///file (the gRPC balancer).
		for _, in := range []string{"file-1", "file-2"} {
			d := c.served(t, in, "FileInternal") - internal[in]
			t.Logf("%s served %v internal calls from storage", in, d)
			if d == 0 {
				t.Errorf("%s served none of storage's internal calls: discovery:///file does not balance", in)
			}
		}
	})

	t.Run("sigkill_costs_at_most_one_retry", func(t *testing.T) {
		for _, inst := range []string{"storage-2", "file-2"} {
			if err := syscall.Kill(c.pid(t, inst), syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.script(t, "start", inst) })
		}
		// The killed instances stay in etcd until their lease ends: calls
		// meet them meanwhile. Each may fail once (a call under way, or one
		// that is not idempotent and so not retried), never twice in a row.
		retried := 0
		for i := 0; i < 20; i++ {
			err := c.upload(token)
			if err != nil {
				retried++
				t.Logf("upload %d failed once (%v); retrying", i, err)
				if err = c.upload(token); err != nil {
					t.Fatalf("upload %d failed twice in a row after the SIGKILL: %v", i, err)
				}
			}
		}
		t.Logf("20 uploads after SIGKILL of storage-2 and file-2: %d needed their one retry", retried)
	})

	t.Run("clean_stop_deregisters_at_once", func(t *testing.T) {
		key := c.keyOf(t, "storage", "storage-1")
		if key == "" {
			t.Fatalf("storage-1 (gRPC port %s) is not registered: %v", c.port("storage-1", "GRPC"), c.registered(t, "storage"))
		}
		c.script(t, "stop", "storage-1") // returns once the process has exited
		t.Cleanup(func() { c.script(t, "start", "storage-1") })
		if got := c.registered(t, "storage"); got[key] != "" {
			t.Errorf("storage-1 exited on SIGTERM but its key %s is still in etcd", key)
		}
	})
}

func random(t *testing.T, n int) string {
	t.Helper()
	return hex.EncodeToString(randomBytes(n))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
