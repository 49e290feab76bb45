package cli_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// clusterServer is the running `make cluster` named by CLOUDDRIVE_E2E_CLUSTER
// (its state folder, whose cluster.env has the gateway's ports), nil when
// the variable is not set: the suite then runs its own binary.
func clusterServer(t *testing.T) *server {
	t.Helper()
	dir := os.Getenv("CLOUDDRIVE_E2E_CLUSTER")
	if dir == "" {
		return nil
	}
	f, err := os.Open(filepath.Join(dir, "cluster.env"))
	if err != nil {
		t.Fatalf("CLOUDDRIVE_E2E_CLUSTER=%s: %v (start it with make cluster)", dir, err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	if env["GATEWAY_HTTP"] == "" || env["GATEWAY_GRPC"] == "" {
		t.Fatalf("%s/cluster.env names no gateway ports", dir)
	}
	return &server{cluster: true, httpAddr: "127.0.0.1:" + env["GATEWAY_HTTP"], grpcAddr: "127.0.0.1:" + env["GATEWAY_GRPC"],
		dataDir: filepath.Join(dir, "user"), logPath: filepath.Join(dir, "logs", "gateway.log")}
}
