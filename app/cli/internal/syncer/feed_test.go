package syncer

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"testing"

	filev1 "clouddrive/api/file/v1"
)

// TestReplayChanges applies change feed entries (as the file service sends
// them) to a snapshot of /Work: creates, a new version, a folder rename that
// carries its contents, the sync's own temporary upload renamed into place,
// a trash, and changes outside the folder, which are ignored.
func TestReplayChanges(t *testing.T) {
	d := &Drive{Root: "/work"} // the feed spells it /Work: names match case-insensitively
	snap := &Snapshot{Entries: map[string]*RemoteEntry{
		"docs":       rdir("nd"),
		"docs/a.txt": rfile("na", "h1"),
		"old.txt":    rfile("no", "h2"),
	}}
	changes := []*filev1.Change{
		{Type: "created", NodeId: "nb", Kind: "file", Path: "/Work/b.txt", ContentHash: "h3", Size: 1},
		{Type: "version", NodeId: "na", Kind: "file", Path: "/Work/docs/a.txt", ContentHash: "h4", Size: 1},
		{Type: "renamed", NodeId: "nd", Kind: "folder", Path: "/Work/papers", OldPath: "/Work/docs"},
		{Type: "created", NodeId: "nt", Kind: "file", Path: "/Work/.drive-sync-no.tmp", ContentHash: "h5", Size: 1},
		{Type: "trashed", NodeId: "no", Kind: "file", Path: "/Work/old.txt"},
		{Type: "renamed", NodeId: "nt", Kind: "file", Path: "/Work/old.txt", OldPath: "/Work/.drive-sync-no.tmp", ContentHash: "h5", Size: 1},
		{Type: "created", NodeId: "nx", Kind: "file", Path: "/elsewhere/x.txt", ContentHash: "h6", Size: 1},
		{Type: "moved", NodeId: "nb", Kind: "file", Path: "/elsewhere/b.txt", OldPath: "/Work/b.txt", ContentHash: "h3", Size: 1},
	}
	for _, c := range changes {
		if err := d.apply(context.Background(), snap, c); err != nil {
			t.Fatalf("%s %s: %v", c.Type, c.Path, err)
		}
	}
	want := map[string]*RemoteEntry{
		"papers":       {ID: "nd", Kind: "folder"},
		"papers/a.txt": {ID: "na", Kind: "file", Size: 1, Hash: "h4"},
		"old.txt":      {ID: "nt", Kind: "file", Size: 1, Hash: "h5"},
	}
	if !reflect.DeepEqual(snap.Entries, want) {
		var got []string
		for p, e := range snap.Entries {
			got = append(got, p+"="+e.ID+":"+e.Hash)
		}
		sort.Strings(got)
		t.Errorf("after the replay: %v", got)
	}

	// The synced folder itself moved: list again.
	err := d.apply(context.Background(), snap, &filev1.Change{Type: "renamed", NodeId: "nr", Kind: "folder", Path: "/job", OldPath: "/work"})
	if !errors.Is(err, errRootChanged) {
		t.Errorf("the root renamed: %v", err)
	}
	err = d.apply(context.Background(), snap, &filev1.Change{Type: "trashed", NodeId: "nr", Kind: "folder", Path: "/"})
	if !errors.Is(err, errRootChanged) {
		t.Errorf("a folder above the root trashed: %v", err)
	}
}
