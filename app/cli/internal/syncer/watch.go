package syncer

import (
	"context"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// settle is how long the local folder must be quiet after an event before
// a pass starts (an editor's save or a copy is several events).
const settle = 500 * time.Millisecond

// Watch runs a pass now and then whenever the local folder changes (file
// system events) or the drive may have (Remote.Wait, at most every
// interval), until ctx ends. Each pass's result goes to done.
func (e *Engine) Watch(ctx context.Context, interval time.Duration, done func(*Result, error)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	addTree := func(root string) {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if ignored(d.Name()) && p != e.Local {
				return filepath.SkipDir
			}
			if err := w.Add(p); err != nil {
				e.warnf("watch %s: %v\n", p, err)
			}
			return nil
		})
	}
	addTree(e.Local)

	remote := make(chan error, 1)
	waitRemote := func() {
		go func() { remote <- e.Remote.Wait(ctx, interval) }()
	}
	var timer *time.Timer
	var fire <-chan time.Time
	pass := func() {
		res, err := e.Sync(ctx)
		done(res, err)
	}
	pass()
	waitRemote() // after the first listing, which takes the feed's cursor
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			rel, err := filepath.Rel(e.Local, ev.Name)
			if err != nil || rel == Dir || len(rel) > len(Dir) && rel[:len(Dir)+1] == Dir+string(filepath.Separator) {
				continue // the sync's own files
			}
			if ev.Has(fsnotify.Create) {
				addTree(ev.Name) // a new folder: watch it and what is in it
			}
			if timer == nil {
				timer = time.NewTimer(settle)
			} else {
				timer.Reset(settle)
			}
			fire = timer.C
		case err := <-w.Errors:
			e.warnf("watching %s: %v\n", e.Local, err)
		case <-fire:
			fire = nil
			pass()
		case err := <-remote:
			if err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			pass()
			waitRemote()
		}
	}
}
