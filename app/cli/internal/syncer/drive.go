package syncer

import (
	"context"
	"fmt"
	"path"
	"sync"
	"time"

	filev1 "clouddrive/api/file/v1"
	"clouddrive/app/cli/internal/drivefs"
	"clouddrive/app/cli/internal/transfer"
)

// Drive is the Remote of a folder of the signed-in user's drive, over the
// file service and the CLI's transfers (chunked, resumable, instant).
type Drive struct {
	Files filev1.FileClient
	FS    *drivefs.FS
	TC    *transfer.Config
	// Root is the drive path of the synced folder ("/work").
	Root string

	mu     sync.Mutex
	cursor string // the change feed's, taken before the last listing
}

var _ Remote = (*Drive)(nil)

func (d *Drive) abs(p string) string { return path.Join(drivefs.Clean(d.Root), p) }

func entryOf(n *filev1.Node) *RemoteEntry {
	return &RemoteEntry{ID: n.GetId(), Kind: n.GetKind(), Size: n.GetSize(), Hash: n.GetContentHash()}
}

// Snapshot replays the change feed over since when it can, and otherwise
// (no since, no feed, a reset cursor, the synced folder itself moved) walks
// the folder (made when missing).
func (d *Drive) Snapshot(ctx context.Context, since *Since) (*Snapshot, error) {
	if since != nil && since.Cursor != "" {
		snap, err := d.replay(ctx, since)
		if err == nil || ctx.Err() != nil {
			return snap, err
		}
	}
	cursor := d.takeCursor(ctx)
	root, err := d.FS.MkdirAll(ctx, d.Root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Root, err)
	}
	snap := &Snapshot{Entries: map[string]*RemoteEntry{}, Cursor: cursor, Listed: true}
	if err := d.walk(ctx, root.GetId(), "", snap); err != nil {
		return nil, err
	}
	return snap, nil
}

// walk adds everything under a folder, breadth first.
func (d *Drive) walk(ctx context.Context, id, rel string, snap *Snapshot) error {
	type dir struct{ id, rel string }
	queue := []dir{{id, rel}}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		items, err := d.FS.List(ctx, cur.id)
		if err != nil {
			return err
		}
		for _, n := range items {
			rel := path.Join(cur.rel, n.GetName())
			if ignored(n.GetName()) {
				at, _ := time.Parse(time.RFC3339, n.GetUpdatedAt())
				snap.Leftovers = append(snap.Leftovers, Leftover{ID: n.GetId(), Path: rel, UpdatedAt: at})
				continue
			}
			snap.Entries[rel] = entryOf(n)
			if n.GetKind() == drivefs.Folder {
				queue = append(queue, dir{n.GetId(), rel})
			}
		}
	}
	return nil
}

// Mkdir makes the folder and its parents.
func (d *Drive) Mkdir(ctx context.Context, p string) (*RemoteEntry, error) {
	n, err := d.FS.MkdirAll(ctx, d.abs(p))
	if err != nil {
		return nil, err
	}
	return entryOf(n), nil
}

// Upload puts the file where nothing is (a file of the same content there
// already counts as done).
func (d *Drive) Upload(ctx context.Context, local, p string) (*RemoteEntry, error) {
	dir, name := path.Split(p)
	parent, err := d.FS.MkdirAll(ctx, d.abs(dir))
	if err != nil {
		return nil, err
	}
	// "fail": a file that appeared there meanwhile is another device's,
	// and the next pass makes a conflict copy rather than a version of it.
	r, err := d.TC.Upload(ctx, transfer.Upload{Local: local, ParentID: parent.GetId(), Name: name, Display: d.abs(p),
		OnConflict: "fail"})
	if err != nil {
		return nil, err
	}
	return entryOf(r.Node), nil
}

// Replace writes the new content as a new version of the file where the
// server keeps versions (on_conflict "version"). Where it does not (the
// name conflicts), the content goes up beside the old file under a
// temporary name (so an interrupted replace resumes and never leaves the
// name empty for long), the old file goes to the trash and the new one is
// renamed.
func (d *Drive) Replace(ctx context.Context, old *RemoteEntry, local, p string) (*RemoteEntry, error) {
	dir, name := path.Split(p)
	parent, err := d.FS.MkdirAll(ctx, d.abs(dir))
	if err != nil {
		return nil, err
	}
	r, err := d.TC.Upload(ctx, transfer.Upload{Local: local, ParentID: parent.GetId(), Name: name, Display: d.abs(p),
		OnConflict: "version"})
	if err == nil {
		return entryOf(r.Node), nil
	}
	if !filev1.IsNameConflict(err) {
		return nil, err
	}
	tmp := Dir + "-" + old.ID + ".tmp"
	up := transfer.Upload{Local: local, ParentID: parent.GetId(), Name: tmp, Display: d.abs(p), OnConflict: "fail"}
	r, err = d.TC.Upload(ctx, up)
	if filev1.IsNameConflict(err) {
		// Another content under our temporary name, from an earlier try:
		// it is ours, so it goes, and the upload starts again.
		if n, lerr := d.FS.Lookup(ctx, parent.GetId(), tmp); lerr == nil && n != nil {
			if _, derr := d.Files.Delete(ctx, &filev1.DeleteRequest{Ids: []string{n.GetId()}}); derr != nil {
				return nil, derr
			}
			r, err = d.TC.Upload(ctx, up)
		}
	}
	if err != nil {
		return nil, err
	}
	if _, err := d.Files.Delete(ctx, &filev1.DeleteRequest{Ids: []string{old.ID}}); err != nil && !filev1.IsNodeNotFound(err) {
		return nil, err
	}
	n, err := d.Files.Rename(ctx, &filev1.RenameRequest{Id: r.Node.GetId(), Name: name})
	if err != nil {
		return nil, err
	}
	return entryOf(n), nil
}

// Download fetches the file into tmp (resumable, hash-checked).
func (d *Drive) Download(ctx context.Context, e *RemoteEntry, p, tmp string) error {
	node := &filev1.Node{Id: e.ID, Kind: drivefs.File, Name: path.Base(p), Size: e.Size, ContentHash: e.Hash}
	_, err := d.TC.Download(ctx, transfer.Download{Node: node, Local: tmp, Display: d.abs(p), Force: true})
	return err
}

// Move moves and renames the node from its place at from to p.
func (d *Drive) Move(ctx context.Context, e *RemoteEntry, from, p string) (*RemoteEntry, error) {
	fromDir, fromName := path.Split(from)
	toDir, toName := path.Split(p)
	defer d.FS.Forget(d.abs(from))
	n := &filev1.Node{Id: e.ID, Kind: e.Kind, Size: e.Size, ContentHash: e.Hash}
	if path.Clean("/"+fromDir) != path.Clean("/"+toDir) {
		parent, err := d.FS.MkdirAll(ctx, d.abs(toDir))
		if err != nil {
			return nil, err
		}
		r, err := d.Files.Move(ctx, &filev1.MoveRequest{Ids: []string{e.ID}, ParentId: parent.GetId()})
		if err != nil {
			return nil, err
		}
		if len(r.GetItems()) > 0 {
			n = r.GetItems()[0]
		}
	}
	if fromName != toName {
		r, err := d.Files.Rename(ctx, &filev1.RenameRequest{Id: e.ID, Name: toName})
		if err != nil {
			return nil, err
		}
		n = r
	}
	return entryOf(n), nil
}

// Trash sends the node (a folder with everything under it) to the trash.
func (d *Drive) Trash(ctx context.Context, e *RemoteEntry, p string) error {
	defer d.FS.Forget(d.abs(p))
	_, err := d.Files.Delete(ctx, &filev1.DeleteRequest{Ids: []string{e.ID}})
	if filev1.IsNodeNotFound(err) { // gone already
		return nil
	}
	return err
}

// takeCursor asks the change feed for the cursor of now, before a listing,
// so that Wait and the next replay see every change the listing may have
// missed. A server without the feed leaves it empty: Wait sleeps instead
// and every pass lists.
func (d *Drive) takeCursor(ctx context.Context) string {
	r, err := d.Files.ListChanges(ctx, &filev1.ListChangesRequest{Latest: true})
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cursor = ""
	if err == nil {
		d.cursor = r.GetCursor()
	}
	return d.cursor
}

// Wait long-polls the change feed (WaitChanges) from the cursor taken at the
// last Snapshot until the drive changes or timeout passes; without a feed
// it sleeps for timeout, and the next Snapshot finds what changed.
func (d *Drive) Wait(ctx context.Context, timeout time.Duration) error {
	d.mu.Lock()
	cursor := d.cursor
	d.mu.Unlock()
	deadline := time.Now().Add(timeout)
	for cursor != "" {
		left := time.Until(deadline)
		if left < time.Second {
			return nil
		}
		r, err := d.Files.WaitChanges(ctx, &filev1.WaitChangesRequest{Cursor: cursor,
			TimeoutSeconds: int32(min(left, maxWait) / time.Second)})
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			// A reset cursor, a restarting server: the next pass lists the
			// folder again and takes a fresh cursor; a pause keeps a
			// lasting failure from spinning.
			return sleep(ctx, min(time.Until(deadline), errorPause))
		case r.GetChanges():
			return nil
		}
	}
	return sleep(ctx, time.Until(deadline))
}

// maxWait is the longest WaitChanges the server takes; errorPause the
// pause after a failed one.
const (
	maxWait    = 60 * time.Second
	errorPause = 2 * time.Second
)

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
