package syncer

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	filev1 "clouddrive/api/file/v1"
	"clouddrive/app/cli/internal/drivefs"
)

// errRootChanged: the synced folder itself was moved, renamed or trashed;
// a listing (which makes it again) is the answer.
var errRootChanged = errors.New("the synced folder itself changed")

// replay brings since.Known up to date from the change feed: the changes
// after since.Cursor, in order, each applied to the paths under the synced
// folder. Replaying a change already reflected (the sync's own) is
// harmless, as each sets the entry to the state the change left.
func (d *Drive) replay(ctx context.Context, since *Since) (*Snapshot, error) {
	snap := &Snapshot{Entries: make(map[string]*RemoteEntry, len(since.Known))}
	for p, e := range since.Known {
		c := *e
		snap.Entries[p] = &c
	}
	cursor := since.Cursor
	for {
		r, err := d.Files.ListChanges(ctx, &filev1.ListChangesRequest{Cursor: cursor, PageSize: 1000})
		if err != nil {
			return nil, err
		}
		for _, c := range r.GetChanges() {
			if err := d.apply(ctx, snap, c); err != nil {
				return nil, err
			}
		}
		cursor = r.GetCursor()
		if !r.GetHasMore() || len(r.GetChanges()) == 0 {
			break
		}
	}
	d.mu.Lock()
	d.cursor = cursor
	d.mu.Unlock()
	snap.Cursor = cursor
	return snap, nil
}

// rel is the path under the synced folder of a drive path ("/work/a/b" →
// "a/b"); ok is false outside it (and for the folder itself).
func (d *Drive) rel(abs string) (string, bool) {
	if abs == "" {
		return "", false
	}
	root := strings.TrimSuffix(drivefs.Clean(d.Root), "/") + "/"
	abs = drivefs.Clean(abs)
	if len(abs) <= len(root) || !strings.EqualFold(abs[:len(root)], root) {
		return "", false
	}
	return abs[len(root):], true
}

// touchesRoot says a drive path is the synced folder or one above it.
func (d *Drive) touchesRoot(abs string) bool {
	if abs == "" {
		return false
	}
	root, p := strings.ToLower(drivefs.Clean(d.Root)), strings.ToLower(drivefs.Clean(abs))
	return root == p || strings.HasPrefix(root, strings.TrimSuffix(p, "/")+"/")
}

// apply applies one change to the snapshot.
func (d *Drive) apply(ctx context.Context, snap *Snapshot, c *filev1.Change) error {
	entry := &RemoteEntry{ID: c.GetNodeId(), Kind: c.GetKind(), Size: c.GetSize(), Hash: c.GetContentHash()}
	p, in := d.rel(c.GetPath())
	if in && ignored(path.Base(p)) {
		in = false // an upload under its temporary name
	}
	switch c.GetType() {
	case "created", "restored", "version", "version_restored":
		if !in {
			return nil
		}
		removeTree(snap.Entries, p)
		snap.Entries[p] = entry
		if entry.Kind == drivefs.Folder && c.GetType() != "version" {
			// A folder copied in or restored comes with its contents.
			return d.walk(ctx, entry.ID, p, snap)
		}
	case "renamed", "moved":
		if d.touchesRoot(c.GetOldPath()) {
			return errRootChanged
		}
		var carried map[string]*RemoteEntry
		if op, wasIn := d.rel(c.GetOldPath()); wasIn {
			carried = removeTree(snap.Entries, op)
			for k, v := range carried {
				delete(carried, k)
				carried[strings.TrimPrefix(k, op)] = v // "" for the node, "/x" below it
			}
		}
		if !in {
			return nil
		}
		removeTree(snap.Entries, p)
		if carried[""] != nil && carried[""].ID == entry.ID {
			for k, v := range carried {
				snap.Entries[p+k] = v
			}
			snap.Entries[p] = entry
			return nil
		}
		snap.Entries[p] = entry
		if entry.Kind == drivefs.Folder { // moved in from outside
			return d.walk(ctx, entry.ID, p, snap)
		}
	case "trashed", "purged":
		if d.touchesRoot(c.GetPath()) {
			return errRootChanged
		}
		if in {
			removeTree(snap.Entries, p)
		}
	default:
		return fmt.Errorf("a change of an unknown type %q", c.GetType())
	}
	return nil
}

// removeTree deletes p and everything under it, and returns them.
func removeTree(m map[string]*RemoteEntry, p string) map[string]*RemoteEntry {
	out := map[string]*RemoteEntry{}
	for k, v := range m {
		if under(k, p) {
			out[k] = v
			delete(m, k)
		}
	}
	return out
}
