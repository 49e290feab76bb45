package database

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"clouddrive/pkg/testkit"
)

// openFiles counts this process's file descriptors on files under prefix.
func openFiles(t *testing.T, prefix string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.HasPrefix(target, prefix) {
			n++
		}
	}
	return n
}

// A burst of 200 concurrent users of a SQLite database opens at most
// SQLiteMaxOpen connections (the rest wait their turn), and once it is over
// at most SQLiteMaxIdle connections stay open. Before, each request of a burst opened
// its own connection: ~390 descriptors after a burst of 400 streams.
func TestSQLitePoolBounded(t *testing.T) {
	const burst = 200
	path := testkit.SQLite(t)
	db, err := Open(Config{Driver: "sqlite", Source: path})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	if err := sqlDB.Ping(); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	got, release := make(chan struct{}, burst), make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < burst; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := sqlDB.Conn(ctx) // holds a connection until released
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			var one int
			if err := conn.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
				t.Error(err)
			}
			got <- struct{}{}
			<-release
		}()
	}
	// Every goroutine either holds a connection or waits for one.
	deadline := time.Now().Add(time.Minute) // only so a regression fails instead of hanging
	for {
		s := sqlDB.Stats()
		if s.InUse+int(s.WaitCount) >= burst && len(got) == s.InUse {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the burst never settled: %+v, %d holding", s, len(got))
		}
		time.Sleep(time.Millisecond)
	}
	s := sqlDB.Stats()
	if s.OpenConnections != SQLiteMaxOpen || s.InUse != SQLiteMaxOpen {
		t.Fatalf("during the burst: %d open, %d in use; want %d", s.OpenConnections, s.InUse, SQLiteMaxOpen)
	}
	// The database, its WAL and its shared memory, per connection at most.
	if n := openFiles(t, path); n > 3*SQLiteMaxOpen {
		t.Fatalf("%d descriptors on the database during the burst, want at most %d", n, 3*SQLiteMaxOpen)
	}
	close(release)
	wg.Wait()
	s = sqlDB.Stats()
	if s.OpenConnections > SQLiteMaxIdle {
		t.Fatalf("after the burst %d connections stay open, want at most %d", s.OpenConnections, SQLiteMaxIdle)
	}
	// SQLite keeps a closed connection's descriptors while others hold
	// locks on the file (and reuses them), so they stay at the burst's cap.
	if n := openFiles(t, path); n > 3*SQLiteMaxOpen {
		t.Fatalf("%d descriptors on the database after the burst, want at most %d", n, 3*SQLiteMaxOpen)
	}
}
