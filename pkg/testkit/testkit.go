// Package testkit gives every service's tests the same throwaway resources:
// a fresh MariaDB database, a private Redis key prefix, a SQLite file and a
// free TCP address, each removed when the test ends. MariaDB and Redis tests
// are slow ones: they are skipped under -short and fail (never skip) when the
// server is unreachable, since CI always has both.
package testkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
)

// Environment variables that point the helpers at other servers.
const (
	// EnvMySQL is a go-sql-driver DSN without a database name, such as
	// "root@tcp(127.0.0.1:3306)/".
	EnvMySQL = "CLOUDDRIVE_TEST_MYSQL"
	// EnvRedis is a Redis address, such as "127.0.0.1:6379".
	EnvRedis = "CLOUDDRIVE_TEST_REDIS"
)

// Defaults used when the environment says nothing: the servers of a
// developer machine and of CI.
const (
	DefaultMySQL = "root@tcp(127.0.0.1:3306)/"
	DefaultRedis = "127.0.0.1:6379"
)

const connectTimeout = 5 * time.Second

// Random returns n random bytes as 2n lower-case hex characters.
func Random(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("testkit: random: %v", err)
	}
	return hex.EncodeToString(b)
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// MySQL creates an empty database named cdtest_<random> on MariaDB (or
// MySQL), drops it when the test ends, and returns a DSN for it with
// charset=utf8mb4&parseTime=true&loc=UTC. The server comes from
// CLOUDDRIVE_TEST_MYSQL (default root@tcp(127.0.0.1:3306)/). Skipped under
// -short; fatal when the server cannot be reached.
//
// Close the connections opened on the DSN in a t.Cleanup registered after
// this call (cleanups run last-in first-out), so they are gone before the drop.
func MySQL(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("testkit: needs MariaDB; skipped with -short")
	}
	base := env(EnvMySQL, DefaultMySQL)
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("testkit: %s=%q is not a MySQL DSN: %v", EnvMySQL, base, err)
	}
	admin := cfg.Clone()
	admin.DBName = ""
	if admin.Timeout == 0 {
		admin.Timeout = connectTimeout
	}
	conn, err := mysql.NewConnector(admin)
	if err != nil {
		t.Fatalf("testkit: MySQL connector: %v", err)
	}
	db := sql.OpenDB(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 2*connectTimeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		t.Fatalf("testkit: MariaDB is unreachable at %s (set %s to a DSN such as %q): %v",
			admin.Addr, EnvMySQL, DefaultMySQL, err)
	}
	name := "cdtest_" + Random(t, 8)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4"); err != nil {
		_ = db.Close()
		t.Fatalf("testkit: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("testkit: drop database %s: %v", name, err)
		}
	})

	out := cfg.Clone()
	out.DBName = name
	out.ParseTime = false
	out.Loc = time.UTC
	for _, k := range []string{"charset", "parseTime", "loc"} {
		delete(out.Params, k)
	}
	dsn := out.FormatDSN()
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "charset=utf8mb4&parseTime=true&loc=UTC"
}

// Redis returns the Redis address (CLOUDDRIVE_TEST_REDIS, default
// 127.0.0.1:6379) and a key prefix "cdtest:<random>:" of this test alone;
// every key under the prefix is deleted when the test ends. Skipped under
// -short; fatal when Redis cannot be reached.
func Redis(t testing.TB) (addr, prefix string) {
	t.Helper()
	if testing.Short() {
		t.Skip("testkit: needs Redis; skipped with -short")
	}
	addr = env(EnvRedis, DefaultRedis)
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: connectTimeout})
	ctx, cancel := context.WithTimeout(context.Background(), 2*connectTimeout)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		t.Fatalf("testkit: Redis is unreachable at %s (set %s to its address): %v", addr, EnvRedis, err)
	}
	prefix = "cdtest:" + Random(t, 8) + ":"
	t.Cleanup(func() {
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := DeletePrefix(ctx, rdb, prefix); err != nil {
			t.Errorf("testkit: delete Redis keys %s*: %v", prefix, err)
		}
	})
	return addr, prefix
}

// DeletePrefix deletes every key that starts with prefix (SCAN, then DEL in
// batches). The prefix must hold no glob characters (* ? [ ] \).
func DeletePrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, prefix+"*", 500).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := rdb.Del(ctx, keys...).Err(); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// SQLite returns the path of a database file (not yet created) in a
// directory removed when the test ends.
func SQLite(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "test.db")
}

// FreeAddr returns "127.0.0.1:<port>" with a port that was free a moment
// ago; another process may still take it before the caller listens.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: free port: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("testkit: free port: %v", err)
	}
	return addr
}
