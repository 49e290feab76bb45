package cdcrelay

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// positionFile keeps the binlog position after the last published change.
// It is written to a temporary file renamed over the old one, so a crash
// leaves the old position or the new one, never half of either; the old one
// only means publishing some changes again (at-least-once).
type positionFile struct{ path string }

type savedPosition struct {
	Name string `json:"name"`
	Pos  uint32 `json:"pos"`
}

// load is the stored position; ok is false when there is none yet.
func (f positionFile) load() (mysql.Position, bool, error) {
	b, err := os.ReadFile(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return mysql.Position{}, false, nil
	}
	if err != nil {
		return mysql.Position{}, false, err
	}
	var p savedPosition
	if err := json.Unmarshal(b, &p); err != nil {
		return mysql.Position{}, false, errors.New("cdcrelay: position file " + f.path + " is corrupt: " + err.Error())
	}
	return mysql.Position{Name: p.Name, Pos: p.Pos}, p.Name != "", nil
}

func (f positionFile) save(p mysql.Position) error {
	if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
		return err
	}
	b, _ := json.Marshal(savedPosition{Name: p.Name, Pos: p.Pos})
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, f.path)
}
