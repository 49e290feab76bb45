package testkit

import (
	"context"
	"database/sql"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// BinlogMariaDB starts a MariaDB of the test's own with the binlog on (ROW
// format, FULL image, as Flink CDC and app/cdcrelay need), in a temporary
// data directory on a free port, and stops it when the test ends. It returns
// the server's address; root has no password. The shared test server
// (MySQL) runs without a binlog, which is why change-stream tests need
// this. Skipped under -short; fatal when mariadbd is not installed.
func BinlogMariaDB(t testing.TB) (addr string) {
	t.Helper()
	if testing.Short() {
		t.Skip("testkit: starts a MariaDB with the binlog on; skipped with -short")
	}
	mariadbd, err := exec.LookPath("mariadbd")
	if err != nil {
		mariadbd = "/usr/sbin/mariadbd"
	}
	install, err := exec.LookPath("mariadb-install-db")
	if err != nil {
		t.Fatalf("testkit: mariadb-install-db not found (apt-get install mariadb-server): %v", err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	out, err := exec.Command(install, "--no-defaults", "--user=root", "--datadir="+data,
		"--auth-root-authentication-method=normal", "--skip-test-db").CombinedOutput()
	if err != nil {
		t.Fatalf("testkit: mariadb-install-db: %v\n%s", err, out)
	}
	addr = FreeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	logf, err := os.Create(filepath.Join(dir, "mariadb.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(mariadbd, "--no-defaults", "--user=root", "--datadir="+data, "--port="+port,
		"--bind-address=127.0.0.1", "--socket="+filepath.Join(dir, "mariadb.sock"), "--pid-file="+filepath.Join(dir, "mariadb.pid"),
		"--log-bin="+filepath.Join(dir, "binlog"), "--binlog-format=ROW", "--binlog-row-image=FULL", "--server-id=1",
		"--skip-name-resolve", "--innodb-buffer-pool-size=64M", "--log-error="+filepath.Join(dir, "error.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("testkit: start mariadbd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		_ = logf.Close()
	})
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.Timeout = "root", "tcp", addr, time.Second
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for deadline := time.Now().Add(60 * time.Second); ; {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			break
		}
		select {
		case werr := <-exited:
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("testkit: mariadbd exited: %v\n%s", werr, b)
		default:
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("testkit: mariadbd did not answer on %s: %v\n%s", addr, err, strings.TrimSpace(string(b)))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return addr
}
