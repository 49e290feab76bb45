package syncer

import (
	"reflect"
	"sort"
	"testing"
)

func file(hash string, ino uint64) *LocalEntry {
	return &LocalEntry{Kind: KindFile, Size: 1, MtimeNs: 1, Ino: ino, Hash: hash}
}
func dir(ino uint64) *LocalEntry { return &LocalEntry{Kind: KindFolder, Ino: ino, MtimeNs: 1} }
func rfile(id, hash string) *RemoteEntry {
	return &RemoteEntry{ID: id, Kind: KindFile, Size: 1, Hash: hash}
}
func rdir(id string) *RemoteEntry { return &RemoteEntry{ID: id, Kind: KindFolder} }
func bfile(p, hash, id string, ino uint64) *Base {
	return &Base{Path: p, Kind: KindFile, Size: 1, MtimeNs: 1, Ino: ino, Hash: hash, NodeID: id}
}
func bdir(p, id string, ino uint64) *Base {
	return &Base{Path: p, Kind: KindFolder, MtimeNs: 1, Ino: ino, NodeID: id}
}

func TestDecide(t *testing.T) {
	b := bfile("f", "h1", "n1", 7)
	cases := []struct {
		name string
		b    *Base
		l    *LocalEntry
		r    *RemoteEntry
		want Op
		ok   bool
	}{
		{"new local file", nil, file("h", 1), nil, OpUpload, true},
		{"new local folder", nil, dir(1), nil, OpMkdirRemote, true},
		{"new drive file", nil, nil, rfile("n", "h"), OpDownload, true},
		{"new drive folder", nil, nil, rdir("n"), OpMkdirLocal, true},
		{"same new file on both (first run)", nil, file("h", 1), rfile("n", "h"), OpRecord, true},
		{"different new files on both", nil, file("h", 1), rfile("n", "x"), OpConflict, true},
		{"file here, folder there", nil, file("h", 1), rdir("n"), OpConflict, true},
		{"unchanged", b, file("h1", 7), rfile("n1", "h1"), 0, false},
		{"unchanged, new inode", b, file("h1", 8), rfile("n1", "h1"), OpRecord, true},
		{"edited here", b, file("h2", 7), rfile("n1", "h1"), OpReplace, true},
		{"edited there", b, file("h1", 7), rfile("n2", "h2"), OpDownload, true},
		{"deleted here", b, nil, rfile("n1", "h1"), OpTrashRemote, true},
		{"deleted there", b, file("h1", 7), nil, OpTrashLocal, true},
		{"edited on both", b, file("h2", 7), rfile("n2", "h3"), OpConflict, true},
		{"same edit on both", b, file("h2", 7), rfile("n2", "h2"), OpRecord, true},
		{"deleted here, edited there", b, nil, rfile("n2", "h2"), OpDownload, true},
		{"edited here, deleted there", b, file("h2", 7), nil, OpUpload, true},
		{"deleted on both", b, nil, nil, OpForget, true},
	}
	for _, c := range cases {
		a, ok := decide("f", c.b, c.l, c.r)
		if ok != c.ok || ok && a.Op != c.want {
			t.Errorf("%s: %v %v, want %v %v", c.name, a.Op, ok, c.want, c.ok)
		}
	}
}

func ops(actions []Action) []string {
	var out []string
	for _, a := range actions {
		out = append(out, a.String())
	}
	return out
}

func TestPlanFolders(t *testing.T) {
	bases := map[string]*Base{
		"gone": bdir("gone", "g", 1), "gone/a": bfile("gone/a", "h", "ga", 2), "gone/sub": bdir("gone/sub", "gs", 3),
		"gone/sub/b": bfile("gone/sub/b", "h", "gb", 4),
		"kept":       bdir("kept", "k", 5), "kept/a": bfile("kept/a", "h", "ka", 6),
	}
	// Locally both folders were deleted; on the drive a file was added
	// under kept/, so kept/ comes back instead of going to the trash.
	local := map[string]*LocalEntry{}
	remote := map[string]*RemoteEntry{
		"gone": rdir("g"), "gone/a": rfile("ga", "h"), "gone/sub": rdir("gs"), "gone/sub/b": rfile("gb", "h"),
		"kept": rdir("k"), "kept/a": rfile("ka", "h"), "kept/new": rfile("kn", "h2"),
	}
	got := ops(Plan(bases, local, remote))
	want := []string{"mkdir locally kept", "download kept/new", "trash on drive gone", "trash on drive kept/a"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan %q, want %q", got, want)
	}
}

func TestNextMove(t *testing.T) {
	bases := map[string]*Base{
		"d": bdir("d", "nd", 1), "d/f": bfile("d/f", "h", "nf", 2), "g": bfile("g", "h2", "ng", 3),
	}
	// Locally d was renamed to e (inodes 1 and 2 now under e); on the
	// drive g was renamed to sub/g2.
	local := map[string]*LocalEntry{"e": dir(1), "e/f": file("h", 2), "g": file("h2", 3)}
	remote := map[string]*RemoteEntry{"d": rdir("nd"), "d/f": rfile("nf", "h"), "sub": rdir("ns"), "sub/g2": rfile("ng", "h2")}
	var got []Move
	skip := map[string]bool{}
	for i := 0; i < 5; i++ {
		m, ok := nextMove(bases, local, remote, skip)
		if !ok {
			break
		}
		got = append(got, m)
		if m.Remote {
			remap(local, m.From, m.To)
		} else {
			remap(remote, m.From, m.To)
		}
		remapBases(bases, m.From, m.To)
	}
	want := []Move{{From: "d", To: "e"}, {From: "g", To: "sub/g2", Remote: true}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("moves %+v, want %+v", got, want)
	}
	var keys []string
	for k, b := range bases {
		if b.Path != k {
			t.Errorf("base %s has path %s", k, b.Path)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !reflect.DeepEqual(keys, []string{"e", "e/f", "sub/g2"}) {
		t.Errorf("bases after the moves: %v", keys)
	}
	if plan := Plan(bases, local, remote); len(plan) != 1 || plan[0].String() != "mkdir locally sub" {
		t.Errorf("after the moves the plan is %q, want only the new folder", ops(plan))
	}
}
