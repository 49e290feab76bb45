package testkit

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
)

// fakeT records what a helper asks of its test, so the cleanup of MySQL and
// Redis can be run, and then checked, inside the real test.
type fakeT struct {
	testing.TB
	cleanups []func()
	fatal    string
}

// Fatalf records the message and ends the goroutine, as testing.T does.
func (f *fakeT) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// fatalOf runs fn in its own goroutine and returns its Fatalf message.
func fatalOf(t *testing.T, fn func(testing.TB)) string {
	ft := &fakeT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(ft)
	}()
	<-done
	ft.runCleanups()
	return ft.fatal
}

func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

func (f *fakeT) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	f.cleanups = nil
}

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	db, err := sql.Open("mysql", env(EnvMySQL, DefaultMySQL))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestMySQLCreatesAndDropsDatabase(t *testing.T) {
	ft := &fakeT{TB: t}
	dsn := MySQL(ft)
	if !strings.HasSuffix(dsn, "?charset=utf8mb4&parseTime=true&loc=UTC") {
		t.Errorf("dsn = %q, want the charset/parseTime/loc parameters", dsn)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("returned DSN does not parse: %v", err)
	}
	if !strings.HasPrefix(cfg.DBName, "cdtest_") || !cfg.ParseTime || cfg.Loc != time.UTC {
		t.Fatalf("dsn config = db %q parseTime %v loc %v", cfg.DBName, cfg.ParseTime, cfg.Loc)
	}
	if !databaseExists(t, cfg.DBName) {
		t.Fatalf("database %s was not created", cfg.DBName)
	}

	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(8))"); err != nil {
		t.Fatalf("create table in the new database: %v", err)
	}
	if _, err := db.Exec("INSERT INTO t VALUES (1, '✓')"); err != nil {
		t.Fatalf("insert utf8mb4: %v", err)
	}
	var now time.Time
	if err := db.QueryRow("SELECT NOW()").Scan(&now); err != nil {
		t.Fatalf("parseTime: %v", err)
	}
	_ = db.Close()

	ft.runCleanups()
	if databaseExists(t, cfg.DBName) {
		t.Fatalf("database %s survived the cleanup", cfg.DBName)
	}
}

func TestMySQLNamesAreUnique(t *testing.T) {
	a, b := MySQL(t), MySQL(t)
	if a == b {
		t.Fatalf("two calls returned the same DSN %q", a)
	}
}

func TestRedisPrefixCleanup(t *testing.T) {
	ft := &fakeT{TB: t}
	addr, prefix := Redis(ft)
	if !strings.HasPrefix(prefix, "cdtest:") || !strings.HasSuffix(prefix, ":") {
		t.Fatalf("prefix = %q", prefix)
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()

	// More keys than one SCAN page, and a neighbour that must survive.
	other := "cdtest:" + Random(t, 8) + ":"
	defer rdb.Del(ctx, other+"keep")
	pipe := rdb.Pipeline()
	for i := 0; i < 1200; i++ {
		pipe.Set(ctx, prefix+"k"+strconv.Itoa(i), i, time.Minute)
	}
	pipe.Set(ctx, other+"keep", 1, time.Minute)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}

	ft.runCleanups()
	left := 0
	it := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for it.Next(ctx) {
		left++
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d keys under %s survived the cleanup", left, prefix)
	}
	if n, err := rdb.Exists(ctx, other+"keep").Result(); err != nil || n != 1 {
		t.Fatalf("a key outside the prefix was deleted (exists=%d, err=%v)", n, err)
	}
}

func TestSQLitePath(t *testing.T) {
	p := SQLite(t)
	if !filepath.IsAbs(p) {
		t.Fatalf("path %q is not absolute", p)
	}
	if _, err := os.Stat(filepath.Dir(p)); err != nil {
		t.Fatalf("directory of %q: %v", p, err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("file %q exists already (err=%v)", p, err)
	}
	if q := SQLite(t); q == p {
		t.Fatalf("two calls returned the same path %q", p)
	}
}

func TestFreeAddr(t *testing.T) {
	addr := FreeAddr(t)
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("FreeAddr = %q (%v)", addr, err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	_ = l.Close()
}

func TestUnreachableServersAreFatal(t *testing.T) {
	if testing.Short() {
		t.Skip("the helpers skip under -short before dialing")
	}
	dead := FreeAddr(t) // nothing listens there
	t.Setenv(EnvMySQL, "root@tcp("+dead+")/")
	t.Setenv(EnvRedis, dead)
	tests := []struct {
		name string
		call func(testing.TB)
		want string
	}{
		{"mysql", func(tb testing.TB) { MySQL(tb) }, "MariaDB is unreachable at " + dead},
		{"redis", func(tb testing.TB) { Redis(tb) }, "Redis is unreachable at " + dead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := fatalOf(t, tt.call)
			if !strings.Contains(msg, tt.want) {
				t.Fatalf("fatal message = %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}
