package standalone_test

// The end-to-end suites against `make cluster` instead of the binary: with
// CLOUDDRIVE_E2E_CLUSTER=<the cluster's state folder> (deploy/local/cluster.sh
// writes its ports to cluster.env there), startServer returns the cluster's
// gateway. Each suite starts as the binary does, on an empty drive: the
// cluster's databases and Redis are emptied first, so that the suite's first
// account is again the administrator.

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
)

// clusterDir is the state folder of the cluster to test, "" for the binary.
func clusterDir() string { return os.Getenv("CLOUDDRIVE_E2E_CLUSTER") }

// skipOnCluster skips a test that needs the binary itself (to stop, kill or
// restart it, or to read its data folder).
func skipOnCluster(t *testing.T, why string) {
	t.Helper()
	if clusterDir() != "" {
		t.Skipf("against the cluster (CLOUDDRIVE_E2E_CLUSTER): %s", why)
	}
}

// clusterEnv reads cluster.env (KEY=VALUE lines).
func clusterEnv(t *testing.T, dir string) map[string]string {
	t.Helper()
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
	for _, k := range []string{"GATEWAY_HTTP", "GATEWAY_GRPC", "MARIADB_PORT", "REDIS_PORT"} {
		if env[k] == "" {
			t.Fatalf("%s/cluster.env has no %s", dir, k)
		}
	}
	return env
}

// clusterServer is the running cluster, emptied. A sub-test asking for a
// server of its own wants one to kill or restart: it is skipped.
func clusterServer(t *testing.T, dir string) *server {
	t.Helper()
	if strings.Contains(t.Name(), "/") {
		t.Skipf("against the cluster (CLOUDDRIVE_E2E_CLUSTER): %s starts a binary of its own to kill or restart", t.Name())
	}
	env := clusterEnv(t, dir)
	emptyCluster(t, env, dir)
	s := &server{
		cluster:  dir,
		dataDir:  filepath.Join(dir, "user"),
		logPath:  filepath.Join(dir, "logs", "gateway.log"),
		httpAddr: "127.0.0.1:" + env["GATEWAY_HTTP"],
		grpcAddr: "127.0.0.1:" + env["GATEWAY_GRPC"],
	}
	s.baseURL = "http://" + s.httpAddr
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("cluster logs in %s/logs; last lines:\n%s", dir, tail(clusterLogs(t, dir), 60))
		}
	})
	return s
}

// emptyCluster deletes every row of the services' databases, the cluster's
// Redis and the sign-in codes: the drive as a fresh start leaves it. The
// schemas stay (the services made them at start). Blobs stay in MinIO: no
// row refers to them any more.
func emptyCluster(t *testing.T, env map[string]string, dir string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(127.0.0.1:%s)/?multiStatements=true", env["MARIADB_PORT"]))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("the cluster's MariaDB: %v", err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_schema LIKE 'clouddrive\_%' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var schema, name string
		if err := rows.Scan(&schema, &name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, fmt.Sprintf("`%s`.`%s`", schema, name))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(tables)
	if len(tables) == 0 {
		t.Fatalf("the cluster's MariaDB has no clouddrive tables: did the services start?")
	}
	if _, err := conn.ExecContext(ctx, "SET FOREIGN_KEY_CHECKS = 0"); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if _, err := conn.ExecContext(ctx, "TRUNCATE TABLE "+tb); err != nil {
			t.Fatalf("emptying %s: %v", tb, err)
		}
	}
	// A TRUNCATE writes no row to the binlog, and changes from before it
	// may still be on their way to Redis: were they to land after the
	// flush, the ids the emptied tables hand out again would read the old
	// rows. Flush once the relay and cachesync have passed it.
	for _, p := range []string{"cdcrelay", "cachesync"} {
		out, err := exec.CommandContext(ctx, filepath.Join(dir, "bin", p), "caught-up",
			"-conf", filepath.Join(dir, "conf", p+".yaml")).CombinedOutput()
		if err != nil {
			t.Fatalf("waiting for %s to pass the truncation: %v\n%s", p, err, out)
		}
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + env["REDIS_PORT"]})
	defer rdb.Close()
	// The cluster's own Redis (not the machine's shared one): all of it.
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatalf("emptying the cluster's Redis: %v", err)
	}
	if err := os.Truncate(filepath.Join(dir, "user", "codes.log"), 0); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	t.Logf("cluster %s emptied (%d tables, Redis)", dir, len(tables))
}

// clusterLogs is every process's log, one after the other.
func clusterLogs(t *testing.T, dir string) string {
	paths, _ := filepath.Glob(filepath.Join(dir, "logs", "*.log"))
	var b strings.Builder
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Logf("reading %s: %v", p, err)
			continue
		}
		fmt.Fprintf(&b, "==> %s <==\n", filepath.Base(p))
		b.Write(data)
	}
	return b.String()
}
