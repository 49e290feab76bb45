package syncer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dir is the folder inside the synced folder that holds the sync's own
// files: the state database, downloads in progress and the local trash.
// Nothing under it is synced.
const Dir = ".drive-sync"

// Base is the merge base of one path: what both sides held when the path
// was last in sync. A side that differs from it has changed since.
type Base struct {
	Path string `gorm:"primaryKey"` // relative, slash-separated
	Kind string // "file" or "folder"
	// The local side: size and modification time let a scan reuse Hash
	// without reading the file again; Ino finds the file after a local
	// rename or move.
	Size    int64
	MtimeNs int64
	Ino     uint64
	Hash    string
	// The remote side: the node (found again after a remote move by its
	// id) and, for files, the same Hash.
	NodeID string
}

// TableName keeps the table's name stable whatever the type is called.
func (Base) TableName() string { return "bases" }

// meta holds the sync's settings (the remote folder it is paired with, the
// device name, the change feed cursor).
type meta struct {
	Key   string `gorm:"primaryKey"`
	Value string
}

func (meta) TableName() string { return "meta" }

// State is the local database of merge bases, kept in memory as well; every
// change is written before the next operation starts, so a sync killed at
// any point resumes from what it had finished.
type State struct {
	db *gorm.DB

	mu    sync.Mutex
	bases map[string]*Base
}

// OpenState opens (or creates) LOCAL/.drive-sync/state.db.
func OpenState(local string) (*State, error) {
	dir := filepath.Join(local, Dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	// One connection: SQLite serialises writers anyway, and a single
	// connection keeps the busy-timeout pragma on every statement.
	db, err := gorm.Open(sqlite.Open(filepath.Join(dir, "state.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"),
		&gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, fmt.Errorf("the sync state in %s: %w", dir, err)
	}
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.SetMaxOpenConns(1)
	}
	if err := db.AutoMigrate(&Base{}, &meta{}); err != nil {
		return nil, fmt.Errorf("the sync state in %s: %w", dir, err)
	}
	var rows []*Base
	if err := db.Find(&rows).Error; err != nil {
		return nil, err
	}
	s := &State{db: db, bases: make(map[string]*Base, len(rows))}
	for _, b := range rows {
		s.bases[b.Path] = b
	}
	return s, nil
}

// Close closes the database.
func (s *State) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Get returns the base of a path (nil when there is none); the caller must
// not change it.
func (s *State) Get(p string) *Base {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bases[p]
}

// All returns a copy of every base, by path.
func (s *State) All() map[string]*Base {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]*Base, len(s.bases))
	for p, b := range s.bases {
		c := *b
		out[p] = &c
	}
	return out
}

// Put records the base of a path.
func (s *State) Put(b Base) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.db.Save(&b).Error; err != nil {
		return err
	}
	s.bases[b.Path] = &b
	return nil
}

// Delete forgets a path and everything under it.
func (s *State) Delete(p string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var paths []string
	for q := range s.bases {
		if q == p || strings.HasPrefix(q, p+"/") {
			paths = append(paths, q)
		}
	}
	if len(paths) == 0 {
		return nil
	}
	if err := s.db.Where("path IN ?", paths).Delete(&Base{}).Error; err != nil {
		return err
	}
	for _, q := range paths {
		delete(s.bases, q)
	}
	return nil
}

// Move renames a path and everything under it (after a move on either side
// was repeated on the other), in one transaction.
func (s *State) Move(from, to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var moved []*Base
	for q, b := range s.bases {
		if q == from || strings.HasPrefix(q, from+"/") {
			c := *b
			c.Path = to + strings.TrimPrefix(q, from)
			moved = append(moved, &c)
		}
	}
	if len(moved) == 0 {
		return nil
	}
	err := s.db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("path = ? OR path LIKE ? ESCAPE '\\'", from, likePrefix(from)).Delete(&Base{}).Error; err != nil {
			return err
		}
		for _, b := range moved {
			if err := tx.Save(b).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for q := range s.bases {
		if q == from || strings.HasPrefix(q, from+"/") {
			delete(s.bases, q)
		}
	}
	for _, b := range moved {
		s.bases[b.Path] = b
	}
	return nil
}

// likePrefix is a LIKE pattern for the paths under p.
func likePrefix(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p) + "/%"
}

// Meta reads a setting ("" when unset).
func (s *State) Meta(key string) (string, error) {
	var m meta
	err := s.db.Where("key = ?", key).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil
	}
	return m.Value, err
}

// SetMeta writes a setting.
func (s *State) SetMeta(key, value string) error {
	return s.db.Save(&meta{Key: key, Value: value}).Error
}
