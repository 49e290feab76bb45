package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	nethttp "net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/prometheus/client_golang/prometheus"

	"clouddrive/app/standalone"
	"clouddrive/pkg/telemetry"
)

// TestPrometheusScrapesEveryService: each drive service of
// docker-compose.yaml has a scrape job that finds all its replicas by DNS on
// the port its config serves /metrics on, and that path is a real route.
func TestPrometheusScrapesEveryService(t *testing.T) {
	p := loadCompose(t)
	prom := readYAML(t, filepath.Join(root, "deploy", "prometheus", "prometheus.yml"))
	jobs := map[string]map[string]any{}
	list, _ := prom["scrape_configs"].([]any)
	for _, j := range list {
		m, _ := j.(map[string]any)
		name, _ := m["job_name"].(string)
		jobs[name] = m
	}
	for name, s := range p.Services {
		if s.Build == nil || s.Build.Target != "service" {
			continue
		}
		job := jobs[name]
		if job == nil {
			t.Errorf("%s: no scrape job named after it", name)
			continue
		}
		httpPort, _ := listenPorts(t, name, confFile(t, s))
		if path, _ := job["metrics_path"].(string); path != "" && path != "/metrics" {
			t.Errorf("%s: scraped at %s; the services serve /metrics", name, path)
		}
		if !skeletonAnswers(t, "/metrics") {
			t.Fatal("pkg/skeleton serves no /metrics")
		}
		sd, _ := job["dns_sd_configs"].([]any)
		found := false
		for _, c := range sd {
			m, _ := c.(map[string]any)
			names, _ := m["names"].([]any)
			port, _ := m["port"].(int)
			for _, n := range names {
				if n == name && fmtPort(uint32(port)) == httpPort && m["type"] == "A" {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s: job does not find every replica (dns_sd_configs names [%s], type A, port %s): %v", name, name, httpPort, job)
		}
	}
}

// TestGrafanaQueriesNameExportedMetrics runs the drive (the standalone
// binary, in process, on free ports), makes it serve calls and an upload,
// scrapes its /metrics, and checks that every metric the provisioned
// dashboards query is exported. The few that only a distributed deployment
// sets (outbox backlog, consumer lag) or that need an overload must be
// registered by pkg/telemetry and documented in docs/METRICS.md.
func TestGrafanaQueriesNameExportedMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the drive")
	}
	wanted := dashboardMetrics(t)
	if len(wanted) < 5 {
		t.Fatalf("found %d metrics in the dashboards: the parsing is wrong", len(wanted))
	}
	scraped := scrapeDrive(t)
	described := telemetryNames()
	docs, err := os.ReadFile(filepath.Join(root, "docs", "METRICS.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name, where := range wanted {
		if scraped[name] {
			continue
		}
		switch {
		case !described[name]:
			t.Errorf("%s (%s): not exported by /metrics nor registered in pkg/telemetry", name, where)
		case !strings.Contains(string(docs), "`"+name+"`"):
			t.Errorf("%s (%s): registered but not documented in docs/METRICS.md", name, where)
		default:
			t.Logf("%s: registered and documented; this run of the drive had no sample of it", name)
		}
	}
	for _, must := range []string{"clouddrive_rpc_requests_total", "clouddrive_rpc_duration_seconds", "clouddrive_upload_bytes_total"} {
		if !scraped[must] {
			t.Errorf("%s: not in the drive's /metrics after calls and an upload", must)
		}
	}
}

// dashboardMetrics are the metric names (histograms by their base name) in
// every panel query of deploy/grafana/dashboards, with where each is used.
func dashboardMetrics(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	files, err := filepath.Glob(filepath.Join(root, "deploy", "grafana", "dashboards", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	metric := regexp.MustCompile(`\b((?:clouddrive|go|process)_[a-z0-9_]+)\b`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Panels []struct {
				Title   string
				Targets []struct{ Expr string }
			}
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range d.Panels {
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", f, p.Title)
			}
			for _, q := range p.Targets {
				for _, m := range metric.FindAllStringSubmatch(q.Expr, -1) {
					name := m[1]
					for _, suffix := range []string{"_bucket", "_sum", "_count"} {
						if base, ok := strings.CutSuffix(name, suffix); ok && strings.HasSuffix(base, "_seconds") {
							name = base
						}
					}
					out[name] = filepath.Base(f) + ": " + p.Title
				}
			}
		}
	}
	return out
}

// telemetryNames are the names pkg/telemetry registers.
func telemetryNames() map[string]bool {
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range []prometheus.Collector{telemetry.RPCRequests, telemetry.RPCSeconds, telemetry.UploadBytes,
			telemetry.DownloadBytes, telemetry.OutboxBacklog, telemetry.ConsumerLag, telemetry.Refused,
			telemetry.CacheRequests, telemetry.CacheLag, telemetry.CDCEvents} {
			c.Describe(ch)
		}
		close(ch)
	}()
	out := map[string]bool{}
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range ch {
		if m := fq.FindStringSubmatch(d.String()); m != nil {
			out[m[1]] = true
		}
	}
	return out
}

// scrapeDrive starts the standalone drive, signs up, makes a folder, uploads
// a file, and returns the metric families of its /metrics.
func scrapeDrive(t *testing.T) map[string]bool {
	t.Helper()
	httpAddr, grpcAddr := freePort(t), freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- standalone.Run(ctx, standalone.Options{DataDir: t.TempDir(), HTTPAddr: httpAddr, GRPCAddr: grpcAddr,
			Logger: log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelError))})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	base := "http://" + httpAddr
	waitHealthy(t, base, done)

	call := func(method, path, token, body string) []byte {
		req, err := nethttp.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := nethttp.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
		}
		return b
	}
	call("POST", "/v1/user/register", "", `{"username":"metrics","password":"correct horse battery"}`)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(call("POST", "/v1/user/login", "", `{"username":"metrics","password":"correct horse battery"}`), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("login: %v %+v", err, tok)
	}
	call("POST", "/v1/file/mkdir", tok.AccessToken, `{"name":"photos"}`)
	call("PUT", "/v1/upload/file?name=hello.txt", tok.AccessToken, "hello, metrics\n")

	resp, err := nethttp.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if f := strings.Fields(string(line)); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			out[f[2]] = true
		}
	}
	if len(out) == 0 {
		t.Fatalf("/metrics had no metric families:\n%s", b)
	}
	return out
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitHealthy polls /healthz until it answers or the drive exits.
func waitHealthy(t *testing.T, base string, done <-chan error) {
	t.Helper()
	for i := 0; i < 300; i++ {
		select {
		case err := <-done:
			t.Fatalf("the drive stopped before it was healthy: %v", err)
		default:
		}
		if resp, err := nethttp.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == nethttp.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the drive did not answer /healthz within 30s")
}
