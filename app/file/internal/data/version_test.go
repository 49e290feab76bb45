package data_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	v1 "clouddrive/api/file/v1"
	"clouddrive/app/file/internal/biz"
)

var versionNotFound = reason{"VERSION_NOT_FOUND", v1.IsVersionNotFound}

// write puts content named c (size bytes) onto name in parent, as an
// upload with on_conflict "version" (the default) does.
func (f *fx) write(owner, parent int64, name, c string, size int64) *biz.Node {
	f.t.Helper()
	n, err := f.node.CreateFile(f.ctx, biz.NewFile{Owner: owner, Parent: parent, Name: name, Size: size,
		ContentHash: hashOf(c), Mime: "text/plain", Version: true})
	if err != nil {
		f.t.Fatalf("write %q over %q: %v", c, name, err)
	}
	return n
}

func versionHashes(vs []*biz.Version) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.ContentHash
	}
	return out
}

func TestVersionsOverwriteListRestore(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		n := f.write(alice, 0, "a.txt", "c0", 10)
		for i := 1; i <= 5; i++ {
			m := f.write(alice, 0, "a.txt", fmt.Sprintf("c%d", i), int64(10+i))
			if m.ID != n.ID || m.ContentHash != hashOf(fmt.Sprintf("c%d", i)) || m.Version != int64(1+i) {
				t.Fatalf("overwrite %d: node %+v, want node %d with the new content at version %d", i, m, n.ID, 1+i)
			}
		}
		cur, vs, err := f.node.ListVersions(f.ctx, alice, n.ID)
		ok(t, "ListVersions", err)
		want := []string{hashOf("c4"), hashOf("c3"), hashOf("c2"), hashOf("c1"), hashOf("c0")}
		if got := versionHashes(vs); !slices.Equal(got, want) || cur.ContentHash != hashOf("c5") {
			t.Fatalf("versions %v (current %s), want %v (current c5)", got, cur.ContentHash, want)
		}
		for i, v := range vs {
			if v.Size != int64(14-i) || v.NodeVersion != int64(5-i) || v.ReplacedAt.IsZero() {
				t.Errorf("version %d: %+v", i, v)
			}
		}
		// Every content counts: 10+11+...+15.
		if u := f.used(alice); u != 75 {
			t.Errorf("used %d, want 75", u)
		}
		if vb, _ := f.node.VersionBytes(f.ctx, alice); vb != 60 {
			t.Errorf("version bytes %d, want 60", vb)
		}
		// Only one node: versions are not files of the listing.
		if all := f.listAll(alice, 0, biz.OrderName, false, 100); len(all) != 1 {
			t.Errorf("listing has %d nodes, want 1", len(all))
		}

		// Restore the second version written (c1): a new version; c5 is kept.
		second := vs[3]
		r, err := f.node.RestoreVersion(f.ctx, alice, n.ID, second.ID)
		ok(t, "RestoreVersion", err)
		if r.ContentHash != hashOf("c1") || r.Size != 11 || r.Version != 7 {
			t.Fatalf("restored node %+v, want c1 (11 bytes) at version 7", r)
		}
		_, vs, _ = f.node.ListVersions(f.ctx, alice, n.ID)
		want = append([]string{hashOf("c5")}, want...)
		if got := versionHashes(vs); !slices.Equal(got, want) {
			t.Fatalf("after restore: versions %v, want %v", got, want)
		}
		if u := f.used(alice); u != 75+11 {
			t.Errorf("used after restore %d, want %d", u, 75+11)
		}

		// The same content again is no new version and costs nothing.
		f.write(alice, 0, "a.txt", "c1", 11)
		if _, vs2, _ := f.node.ListVersions(f.ctx, alice, n.ID); len(vs2) != len(vs) || f.used(alice) != 86 {
			t.Errorf("same content: %d versions (want %d), used %d (want 86)", len(vs2), len(vs), f.used(alice))
		}

		// Blobs only a version holds stay referenced for the collector.
		ref, err := f.node.ReferencedHashes(f.ctx, []string{hashOf("c0"), hashOf("c3"), hashOf("never")})
		ok(t, "ReferencedHashes", err)
		slices.Sort(ref)
		if wantRef := []string{hashOf("c0"), hashOf("c3")}; !slices.Equal(ref, wantRef) {
			t.Errorf("referenced %v, want %v", ref, wantRef)
		}

		// Versions are the owner's: bob sees neither the file nor its versions.
		_, _, err = f.node.ListVersions(f.ctx, bob, n.ID)
		wantReason(t, "bob lists alice's versions", err, nodeNotFound)
		_, _, err = f.node.GetVersion(f.ctx, bob, n.ID, vs[0].ID)
		wantReason(t, "bob gets alice's version", err, nodeNotFound)
		_, err = f.node.RestoreVersion(f.ctx, bob, n.ID, vs[0].ID)
		wantReason(t, "bob restores alice's version", err, nodeNotFound)
		// A version of another file is not this file's.
		other := f.write(alice, 0, "b.txt", "b0", 1)
		_, _, err = f.node.GetVersion(f.ctx, alice, other.ID, vs[0].ID)
		wantReason(t, "a version of another file", err, versionNotFound)
		got, v, err := f.node.GetVersion(f.ctx, alice, n.ID, vs[1].ID)
		ok(t, "GetVersion", err)
		if got.ID != n.ID || v.ContentHash != hashOf("c4") {
			t.Errorf("GetVersion: node %d, content %s", got.ID, v.ContentHash)
		}
	})
}

func TestVersionsConflictModes(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		f.write(alice, 0, "a.txt", "c0", 10)
		dir := f.mkdir(alice, 0, "d")
		// "fail": the name stays taken.
		_, err := f.node.CreateFile(f.ctx, biz.NewFile{Owner: alice, Name: "a.txt", Size: 1, ContentHash: hashOf("x")})
		wantReason(t, "fail over a file", err, nameConflict)
		// A folder is never versioned over.
		_, err = f.node.CreateFile(f.ctx, biz.NewFile{Owner: alice, Name: "d", Size: 1, ContentHash: hashOf("x"), Version: true})
		wantReason(t, "version over a folder", err, nameConflict)
		err = f.node.CheckCreate(f.ctx, biz.NewFile{Owner: alice, Name: "d", Size: 1, Version: true})
		wantReason(t, "check version over a folder", err, nameConflict)
		ok(t, "check version over a file", f.node.CheckCreate(f.ctx, biz.NewFile{Owner: alice, Name: "A.TXT", Size: 1, Version: true}))
		// "rename": keep both.
		n, err := f.node.CreateFile(f.ctx, biz.NewFile{Owner: alice, Name: "a.txt", Size: 1, ContentHash: hashOf("x"), Rename: true})
		ok(t, "rename", err)
		if n.Name != "a (1).txt" {
			t.Errorf("kept both as %q", n.Name)
		}
		// Versioning matches names as the tree does (case-folded).
		m := f.write(alice, 0, "A.TXT", "c1", 20)
		if m.Name != "a.txt" {
			t.Errorf("version over A.TXT changed the name to %q", m.Name)
		}
		if c := f.count("nodes", "owner_id = ?", alice); c != 3 {
			t.Errorf("%d nodes, want 3 (a.txt, a (1).txt, d)", c)
		}
		_ = dir
	})
}

func TestVersionsRetentionAndPurge(t *testing.T) {
	policy := func() *biz.Policy {
		p := defaultPolicy()
		p.VersionKeepCount = 3
		p.VersionKeepAge = 24 * time.Hour
		return p
	}
	eachBackendPolicy(t, policy, func(t *testing.T, f *fx) {
		n := f.write(alice, 0, "a.txt", "c0", 10)
		for i := 1; i <= 5; i++ {
			f.write(alice, 0, "a.txt", fmt.Sprintf("c%d", i), 10)
		}
		keep := f.write(bob, 0, "b.txt", "b0", 7)
		f.write(bob, 0, "b.txt", "b1", 7)
		if u := f.used(alice); u != 60 {
			t.Fatalf("used %d, want 60", u)
		}
		pruned, bytes, err := f.node.PruneVersions(f.ctx)
		ok(t, "PruneVersions", err)
		if pruned != 2 || bytes != 20 {
			t.Errorf("pruned %d versions, %d bytes; want 2, 20", pruned, bytes)
		}
		_, vs, _ := f.node.ListVersions(f.ctx, alice, n.ID)
		if got, want := versionHashes(vs), []string{hashOf("c4"), hashOf("c3"), hashOf("c2")}; !slices.Equal(got, want) {
			t.Errorf("kept %v, want the latest three %v", got, want)
		}
		if u := f.used(alice); u != 40 {
			t.Errorf("used after pruning %d, want 40", u)
		}
		// By age: a day later every version goes, the current contents stay.
		f.clock.Advance(25 * time.Hour)
		pruned, _, err = f.node.PruneVersions(f.ctx)
		ok(t, "PruneVersions by age", err)
		if pruned != 4 || f.used(alice) != 10 || f.used(bob) != 7 {
			t.Errorf("by age: pruned %d (want 4), used alice %d (want 10), bob %d (want 7)", pruned, f.used(alice), f.used(bob))
		}
		if ref, _ := f.node.ReferencedHashes(f.ctx, []string{hashOf("c2")}); len(ref) != 0 {
			t.Errorf("a pruned version's blob is still referenced: %v", ref)
		}

		// A purge takes the file's versions and their bytes with it.
		f.write(bob, 0, "b.txt", "b2", 7)
		f.del(bob, keep.ID)
		p, err := f.trash.Purge(f.ctx, bob, []int64{keep.ID})
		ok(t, "Purge", err)
		if p.Bytes != 14 || f.used(bob) != 0 || f.count("versions", "owner_id = ?", bob) != 0 {
			t.Errorf("purge freed %d bytes (want 14), used %d, %d versions left", p.Bytes, f.used(bob), f.count("versions", "owner_id = ?", bob))
		}
	})
}
