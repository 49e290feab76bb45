package data

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Folder names are durable only once the folder holding them is synced:
// fsync of a file, or of the folder it is in, does not make that folder's
// own name durable (ext4 and XFS happen to journal it along; POSIX does not
// promise it). A blob published into a fan-out folder made for it would be
// lost with the folder in a power cut, after complete had answered.

// durableDirs remembers the folders whose names this process made (or
// found) durable, so that each costs one fsync of its parent per process.
type durableDirs struct {
	mu   sync.Mutex
	done map[string]bool
}

// makeDurable makes dir, each missing folder above it, and every one of
// their names durable, walking up no further than top (durable already).
// A folder counts as done only after its parent's fsync returned, so a
// caller that finds it done never races one still syncing.
func (d *durableDirs) makeDurable(top, dir string) error {
	d.mu.Lock()
	ok := d.done[dir]
	d.mu.Unlock()
	if ok || dir == top {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent == dir || (parent != top && !strings.HasPrefix(parent, top+string(filepath.Separator))) {
		return errors.New("local store: " + dir + " is not under " + top)
	}
	if err := d.makeDurable(top, parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := syncDir(parent); err != nil {
		return err
	}
	d.mu.Lock()
	if d.done == nil {
		d.done = map[string]bool{}
	}
	d.done[dir] = true
	d.mu.Unlock()
	return nil
}
