package database

import (
	"path/filepath"
	"testing"
)

// A commit on SQLite is on disk when it returns: the WAL is synced at every
// commit (synchronous = FULL, 2), journal_mode WAL.
func TestSQLiteCommitsAreDurable(t *testing.T) {
	db, err := Open(Config{Driver: "sqlite", Source: filepath.Join(t.TempDir(), "d.db")})
	if err != nil {
		t.Fatal(err)
	}
	var sync int
	var mode string
	if err := db.Raw("PRAGMA synchronous").Scan(&sync).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Raw("PRAGMA journal_mode").Scan(&mode).Error; err != nil {
		t.Fatal(err)
	}
	if sync != 2 || mode != "wal" {
		t.Fatalf("synchronous = %d, journal_mode = %s; want 2 (FULL) and wal", sync, mode)
	}
}
