// Package database opens the gorm connection every service uses: MySQL in
// production, SQLite (pure Go) for the standalone binary.
package database

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Config says which database to open.
type Config struct {
	Driver string // "mysql" or "sqlite"
	Source string // a DSN, or a file path for sqlite
	// MaxOpenConns caps the pool (0: 50 on MySQL, SQLiteMaxOpen on SQLite).
	MaxOpenConns int
	// Name labels the database's statement counters (default "db").
	Name string
}

// SQLite's pool: one file and one writer at a time, so a few connections
// serve; without a cap a burst of requests opened one each (and its file
// descriptors: the database, its WAL and shared memory) and kept them.
const (
	SQLiteMaxOpen = 16
	SQLiteMaxIdle = 4
)

// Open connects, tunes the pool for the driver, traces statements and
// counts them.
func Open(c Config) (*gorm.DB, error) {
	db, err := open(c)
	if err != nil {
		return nil, err
	}
	if err := db.Use(tracing{}); err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	if err := db.Use(counting{name: cmp.Or(c.Name, "db")}); err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	return db, nil
}

func open(c Config) (*gorm.DB, error) {
	gc := &gorm.Config{
		Logger:         logger.Discard,
		TranslateError: true, // duplicate keys arrive as gorm.ErrDuplicatedKey
		NowFunc:        func() time.Time { return time.Now().UTC() },
	}
	switch c.Driver {
	case "mysql":
		dsn := c.Source
		if !strings.Contains(dsn, "parseTime") {
			dsn += sep(dsn) + "parseTime=true&loc=UTC"
		}
		// A statement with arguments is one round trip, its arguments
		// interpolated by the driver, instead of prepare, execute and close.
		// Not server-side prepared statements kept per connection: MySQL
		// caps them for the whole server (max_prepared_stmt_count, 16382
		// by default), and every connection of every service counts.
		if !strings.Contains(dsn, "interpolateParams") {
			dsn += sep(dsn) + "interpolateParams=true"
		}
		// An UPDATE's RowsAffected counts the rows its WHERE matched, as on
		// SQLite, not only those whose values changed: the repos' conditional
		// updates ("pin unless being deleted") read 1 as "the condition held",
		// and a pin within the same millisecond as the last changes nothing.
		if !strings.Contains(dsn, "clientFoundRows") {
			dsn += sep(dsn) + "clientFoundRows=true"
		}
		db, err := gorm.Open(mysql.Open(dsn), gc)
		if err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, err
		}
		sqlDB.SetMaxOpenConns(orDefault(c.MaxOpenConns, 50))
		sqlDB.SetMaxIdleConns(10)
		sqlDB.SetConnMaxLifetime(time.Hour)
		return db, nil
	case "sqlite":
		if err := os.MkdirAll(filepath.Dir(c.Source), 0o700); err != nil {
			return nil, err
		}
		// WAL lets readers run beside the one writer; busy_timeout makes a
		// second writer wait instead of failing. synchronous(FULL) syncs the
		// WAL at every commit: an upload acknowledged as complete keeps its
		// node after a power loss (NORMAL could lose the last commits).
		dsn := c.Source + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_txlock=immediate"
		// Each connection prepares a statement once and reuses it. The
		// driver (glebarez/go-sqlite) still parses the text at every run,
		// so it saves little yet; the cap bounds the IN (...) lists of
		// every length a repo may build.
		gc.PrepareStmt, gc.PrepareStmtMaxSize = true, 128
		db, err := gorm.Open(sqlite.Open(dsn), gc)
		if err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, err
		}
		sqlDB.SetMaxOpenConns(orDefault(c.MaxOpenConns, SQLiteMaxOpen))
		sqlDB.SetMaxIdleConns(SQLiteMaxIdle)
		sqlDB.SetConnMaxIdleTime(time.Minute)
		return db, nil
	default:
		return nil, fmt.Errorf("database: unknown driver %q (mysql or sqlite)", c.Driver)
	}
}

// Migrate creates or updates tables. On MySQL they compare text as bytes
// (utf8mb4_bin): our *_key columns are already case-folded, and a collation
// must not make "José" and "jose" or "café" and "cafe" the same key.
func Migrate(db *gorm.DB, models ...any) error {
	if db.Dialector.Name() == "mysql" {
		db = db.Set("gorm:table_options", "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
	}
	return db.AutoMigrate(models...)
}

func orDefault(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

func sep(dsn string) string {
	if strings.Contains(dsn, "?") {
		return "&"
	}
	return "?"
}
