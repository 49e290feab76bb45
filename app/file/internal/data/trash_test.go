package data_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"clouddrive/app/file/internal/biz"
)

func (f *fx) trashList(owner int64, size int) []*biz.Node {
	f.t.Helper()
	var out []*biz.Node
	var after *biz.Cursor
	for i := 0; i < 100000; i++ {
		p, err := f.trash.List(f.ctx, owner, after, size)
		if err != nil {
			f.t.Fatalf("trash List: %v", err)
		}
		out = append(out, p.Items...)
		if after = p.Next; after == nil {
			return out
		}
	}
	f.t.Fatalf("trash List never ends")
	return nil
}

func TestDeleteRestorePurge(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		docs := f.mkdir(alice, 0, "docs")
		inner := f.mkdir(alice, docs.ID, "inner")
		a := f.file(alice, docs.ID, "a.txt", 10)
		b := f.file(alice, inner.ID, "b.txt", 20)
		loose := f.file(alice, 0, "loose.txt", 5)

		n, err := f.trash.Delete(ctx, alice, []int64{docs.ID, loose.ID})
		if err != nil || n != 5 {
			t.Fatalf("Delete(docs, loose) = %d, %v; want 5 nodes", n, err)
		}
		if got := names(f.listAll(alice, 0, biz.OrderName, false, 100)); len(got) != 0 {
			t.Errorf("root after delete = %q", got)
		}
		if got := sortedNames(f.trashList(alice, 100)); !slices.Equal(got, []string{"docs", "loose.txt"}) {
			t.Errorf("trash = %q, want the tops only", got)
		}
		if got := f.used(alice); got != 35 {
			t.Errorf("usage with files in the trash = %d, want 35 (trash counts)", got)
		}
		// Deleting a trash top again is harmless; a node inside a trashed subtree is gone.
		before := f.snapshot()
		if n, err := f.trash.Delete(ctx, alice, []int64{docs.ID}); err != nil || n != 0 {
			t.Errorf("Delete twice = %d, %v", n, err)
		}
		f.sameAs("second delete", before)
		_, err = f.trash.Delete(ctx, alice, []int64{b.ID})
		wantReason(t, "Delete inside a trashed folder", err, nodeNotFound)
		_, err = f.trash.Restore(ctx, alice, []int64{b.ID})
		wantReason(t, "Restore inside a trashed folder", err, notInTrash)
		_, err = f.trash.Purge(ctx, alice, []int64{inner.ID})
		wantReason(t, "Purge inside a trashed folder", err, notInTrash)
		_, err = f.trash.Restore(ctx, alice, []int64{987654})
		wantReason(t, "Restore a missing node", err, nodeNotFound)
		_, err = f.trash.Purge(ctx, alice, []int64{987654})
		wantReason(t, "Purge a missing node", err, nodeNotFound)
		_, err = f.trash.Delete(ctx, alice, []int64{987654})
		wantReason(t, "Delete a missing node", err, nodeNotFound)
		f.sameAs("failed trash operations", before)

		// Restore puts the subtree back where it was.
		out, err := f.trash.Restore(ctx, alice, []int64{docs.ID})
		if err != nil || len(out) != 1 || out[0].ParentID != 0 || out[0].Name != "docs" {
			t.Fatalf("Restore(docs) = %+v, %v", out, err)
		}
		if got := f.walk(alice, docs.ID, "docs"); len(got) != 3 || got["docs/inner/b.txt"].ID != b.ID || got["docs/a.txt"].ID != a.ID {
			t.Errorf("restored docs = %v", got)
		}
		if s := f.stat(alice, b.ID); !s.Live() || s.TrashRoot != 0 {
			t.Errorf("restored b = %+v", s)
		}
		_, err = f.trash.Restore(ctx, alice, []int64{docs.ID})
		wantReason(t, "Restore a live node", err, notInTrash)
		_, err = f.trash.Purge(ctx, alice, []int64{docs.ID})
		wantReason(t, "Purge a live node", err, notInTrash)

		// Purge frees the bytes of the subtree and deletes its rows.
		purged, err := f.trash.Purge(ctx, alice, []int64{loose.ID})
		if err != nil || purged.Nodes != 1 || purged.Bytes != 5 {
			t.Errorf("Purge(loose) = %+v, %v", purged, err)
		}
		if got := f.used(alice); got != 30 {
			t.Errorf("usage after purge = %d, want 30", got)
		}
		if f.count("nodes", "id = ?", loose.ID) != 0 {
			t.Errorf("purged node still stored")
		}
		_, err = f.node.GetNode(ctx, alice, loose.ID)
		wantReason(t, "GetNode of a purged node", err, nodeNotFound)
	})
}

func TestRestoreDestination(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		restore := func(id int64) *biz.Node {
			t.Helper()
			out, err := f.trash.Restore(ctx, alice, []int64{id})
			if err != nil || len(out) != 1 {
				t.Fatalf("Restore(%d) = %v, %v", id, out, err)
			}
			if s := f.stat(alice, id); s.ParentID != out[0].ParentID || s.Name != out[0].Name {
				t.Errorf("Restore returned %+v, stored %+v", out[0], s)
			}
			return out[0]
		}

		// The old parent is purged: to the root.
		p1 := f.mkdir(alice, 0, "p1")
		c1 := f.file(alice, p1.ID, "c1.txt", 1)
		f.del(alice, c1.ID)
		f.del(alice, p1.ID)
		_, err := f.trash.Purge(ctx, alice, []int64{p1.ID})
		ok(t, "Purge p1", err)
		if n := restore(c1.ID); n.ParentID != 0 || n.Name != "c1.txt" {
			t.Errorf("restore with a purged parent = %+v, want the root", n)
		}

		// The old parent is itself in the trash: to the root.
		p2 := f.mkdir(alice, 0, "p2")
		c2 := f.mkdir(alice, p2.ID, "c2")
		g2 := f.file(alice, c2.ID, "g2.txt", 1)
		f.del(alice, c2.ID)
		f.del(alice, p2.ID)
		if n := restore(c2.ID); n.ParentID != 0 {
			t.Errorf("restore with a trashed parent = %+v, want the root", n)
		}
		if s := f.stat(alice, g2.ID); s.ParentID != c2.ID {
			t.Errorf("g2 after restore = %+v", s)
		}
		// p2 comes back without c2 (which lives at the root now).
		restore(p2.ID)
		if got := names(f.listAll(alice, p2.ID, biz.OrderName, false, 10)); len(got) != 0 {
			t.Errorf("p2 after restore holds %q", got)
		}

		// The name is taken in the old parent: to the root under its name.
		p3 := f.mkdir(alice, 0, "p3")
		c3 := f.file(alice, p3.ID, "c3.txt", 1)
		f.del(alice, c3.ID)
		f.file(alice, p3.ID, "C3.TXT", 1)
		if n := restore(c3.ID); n.ParentID != 0 || n.Name != "c3.txt" {
			t.Errorf("restore over a taken name = %+v, want root/c3.txt", n)
		}

		// Taken in the old parent and at the root: the root, renamed.
		c4 := f.file(alice, p3.ID, "c4.txt", 1)
		f.del(alice, c4.ID)
		f.file(alice, p3.ID, "c4.txt", 1)
		f.file(alice, 0, "c4.txt", 1)
		f.file(alice, 0, "c4 (1).txt", 1)
		if n := restore(c4.ID); n.ParentID != 0 || n.Name != "c4 (2).txt" {
			t.Errorf("restore over taken names = %+v, want root/c4 (2).txt", n)
		}

		// At the root, taken: renamed.
		r := f.mkdir(alice, 0, "r")
		f.del(alice, r.ID)
		f.mkdir(alice, 0, "R")
		if n := restore(r.ID); n.ParentID != 0 || n.Name != "r (1)" {
			t.Errorf("restore at a taken root name = %+v, want r (1)", n)
		}

		// Two trashed nodes of one name restored together.
		p5 := f.mkdir(alice, 0, "p5")
		d1 := f.file(alice, p5.ID, "dup", 1)
		f.del(alice, d1.ID)
		d2 := f.file(alice, p5.ID, "dup", 1)
		f.del(alice, d2.ID)
		out, err := f.trash.Restore(ctx, alice, []int64{d1.ID, d2.ID})
		ok(t, "Restore two dups", err)
		if len(out) != 2 || out[0].ParentID != p5.ID || out[1].ParentID != 0 || out[1].Name != "dup" {
			t.Errorf("Restore(dup, dup) = %+v %+v", out[0], out[1])
		}
	})
}

func TestTrashPagingAndEmpty(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		var ids []int64
		var bytes int64
		for i := range 25 {
			n := f.file(alice, 0, fmt.Sprintf("t%02d", i), int64(i+1))
			ids = append(ids, n.ID)
			bytes += int64(i + 1)
		}
		dir := f.mkdir(alice, 0, "dir")
		for i := range 5 {
			f.file(alice, dir.ID, fmt.Sprint(i), 100)
		}
		bytes += 500
		keep := f.file(alice, 0, "keep", 7)
		f.file(bob, 0, "bob's", 9)
		// Singles, then a batch with one deletion time, then the folder.
		for _, id := range ids[:10] {
			f.del(alice, id)
		}
		f.del(alice, ids[10:]...)
		f.del(alice, dir.ID)

		for _, size := range []int{1, 3, 100} {
			got := f.trashList(alice, size)
			if len(got) != 26 {
				t.Fatalf("trash paged by %d has %d entries, want 26", size, len(got))
			}
			seen := map[int64]bool{}
			for i, n := range got {
				if seen[n.ID] {
					t.Errorf("trash paged by %d repeats %s", size, n.Name)
				}
				seen[n.ID] = true
				if i > 0 {
					p := got[i-1]
					if p.TrashedAt.Before(*n.TrashedAt) || (p.TrashedAt.Equal(*n.TrashedAt) && p.ID < n.ID) {
						t.Errorf("trash out of order at %d: %s then %s", i, p.Name, n.Name)
					}
				}
			}
			if got[0].ID != dir.ID {
				t.Errorf("latest deleted first: got %s", got[0].Name)
			}
		}

		outbox := f.outboxRows()
		purged, err := f.trash.Empty(ctx, alice)
		if err != nil || purged.Nodes != 31 || purged.Bytes != bytes {
			t.Errorf("Empty = %+v, %v; want 31 nodes, %d bytes", purged, err, bytes)
		}
		if got := f.outboxRows() - outbox; got != 26 {
			t.Errorf("Empty wrote %d events, want one per trashed top (26)", got)
		}
		if got := f.used(alice); got != keep.Size {
			t.Errorf("usage after Empty = %d, want %d", got, keep.Size)
		}
		if got := f.trashList(alice, 100); len(got) != 0 {
			t.Errorf("trash after Empty = %q", names(got))
		}
		if got := f.count("nodes", "owner_id = ?", alice); got != 1 {
			t.Errorf("alice has %d nodes after Empty, want 1", got)
		}
		if got := f.count("nodes", "owner_id = ?", bob); got != 1 {
			t.Errorf("Empty touched bob's nodes: %d", got)
		}
		if p, err := f.trash.Empty(ctx, alice); err != nil || p.Nodes != 0 {
			t.Errorf("Empty of an empty trash = %+v, %v", p, err)
		}
	})
}

// A folder with 1,000 descendants goes to the trash, comes back and is
// purged, each in one call.
func TestLargeSubtree(t *testing.T) {
	slow(t)
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		home := f.mkdir(alice, 0, "home")
		top := f.mkdir(alice, home.ID, "big")
		// 10 folders × 99 files, plus the 10 folders: 1,000 descendants.
		now := f.clock.Now()
		var subs []*biz.Node
		for i := range 10 {
			subs = append(subs, &biz.Node{OwnerID: alice, ParentID: top.ID, Name: fmt.Sprintf("sub%d", i),
				Kind: biz.KindFolder, CreatedAt: now, UpdatedAt: now, Version: 1})
		}
		ok(t, "create subs", f.nodes.Create(ctx, subs...))
		var files []*biz.Node
		var bytes int64
		hashes := map[string]bool{}
		for i, s := range subs {
			for j := range 99 {
				size := int64(1000 + i*100 + j)
				h := hashOf(fmt.Sprintf("big-%d-%d", i, j%10)) // 100 distinct hashes
				hashes[h] = true
				files = append(files, &biz.Node{OwnerID: alice, ParentID: s.ID, Name: fmt.Sprintf("file-%03d.dat", j),
					Kind: biz.KindFile, Size: size, ContentHash: h, CreatedAt: now, UpdatedAt: now, Version: 1})
				bytes += size
			}
		}
		ok(t, "create files", f.nodes.Create(ctx, files...))
		_, err := f.quotas.Charge(ctx, alice, bytes, f.policy.DefaultQuota)
		ok(t, "charge", err)
		// One shared hash is also referenced by a live file elsewhere, one by
		// a separately trashed file that survives the purge.
		shared := files[0].ContentHash
		_, err = f.node.CreateFile(ctx, biz.NewFile{Owner: alice, Name: "shared", Size: 1, ContentHash: shared})
		ok(t, "create shared", err)
		binnedHash := files[1].ContentHash
		binned, err := f.node.CreateFile(ctx, biz.NewFile{Owner: alice, Name: "binned", Size: 1, ContentHash: binnedHash})
		ok(t, "create binned", err)
		f.del(alice, binned.ID)
		usedBefore := f.used(alice)

		if got := len(f.walk(alice, top.ID, "big")); got != 1000 {
			t.Fatalf("built %d descendants", got)
		}
		p, err := f.node.Search(ctx, alice, "file-", nil, 1000)
		ok(t, "search", err)
		if len(p.Items) != 990 {
			t.Fatalf("search file- = %d before delete, want 990", len(p.Items))
		}

		outbox := f.outboxRows()
		n, err := f.trash.Delete(ctx, alice, []int64{top.ID})
		if err != nil || n != 1001 {
			t.Fatalf("Delete(big) = %d, %v; want 1001", n, err)
		}
		if got := f.outboxRows() - outbox; got != 1 {
			t.Errorf("Delete of 1001 nodes wrote %d events, want 1", got)
		}
		if got := f.count("nodes", "trash_root = ?", top.ID); got != 1001 {
			t.Errorf("%d nodes carry the trash root, want 1001", got)
		}
		if got := names(f.listAll(alice, home.ID, biz.OrderName, false, 100)); len(got) != 0 {
			t.Errorf("home after delete = %q", got)
		}
		p, err = f.node.Search(ctx, alice, "file-", nil, 1000)
		if err != nil || len(p.Items) != 0 {
			t.Errorf("search after delete = %d, %v", len(p.Items), err)
		}
		p, err = f.node.Search(ctx, alice, "sub", nil, 1000)
		if err != nil || len(p.Items) != 0 {
			t.Errorf("search sub after delete = %d, %v", len(p.Items), err)
		}
		if got := sortedNames(f.trashList(alice, 100)); !slices.Equal(got, []string{"big", "binned"}) {
			t.Errorf("trash = %q, want only the tops", got)
		}
		_, err = f.node.Stat(ctx, alice, files[500].ID)
		wantReason(t, "Stat deep inside the trash", err, nodeNotFound)

		// Restore: all 1,000 back under the old parent, in one call.
		outbox = f.outboxRows()
		out, err := f.trash.Restore(ctx, alice, []int64{top.ID})
		if err != nil || len(out) != 1 || out[0].ParentID != home.ID {
			t.Fatalf("Restore(big) = %v, %v; want it back in home", out, err)
		}
		if got := f.outboxRows() - outbox; got != 1 {
			t.Errorf("Restore wrote %d events, want 1", got)
		}
		if got := len(f.walk(alice, top.ID, "big")); got != 1000 {
			t.Errorf("restored %d descendants, want 1000", got)
		}
		if got := f.count("nodes", "owner_id = ? AND trashed_at IS NOT NULL", alice); got != 1 {
			t.Errorf("%d trashed nodes after restore, want 1 (binned)", got)
		}
		if got := f.used(alice); got != usedBefore {
			t.Errorf("usage changed by delete/restore: %d → %d", usedBefore, got)
		}
		// With its old parent in the trash too, it comes back at the root,
		// renamed when the root has the name.
		f.del(alice, top.ID)
		f.del(alice, home.ID)
		f.mkdir(alice, 0, "BIG")
		out, err = f.trash.Restore(ctx, alice, []int64{top.ID})
		if err != nil || len(out) != 1 || out[0].ParentID != 0 || out[0].Name != "big (1)" {
			t.Fatalf("Restore(big) with home trashed = %+v, %v; want root/big (1)", out, err)
		}
		if got := len(f.walk(alice, top.ID, "big")); got != 1000 {
			t.Errorf("restored %d descendants at the root, want 1000", got)
		}

		// Purge: gone, quota freed exactly.
		f.del(alice, top.ID)
		outbox = f.outboxRows()
		purged, err := f.trash.Purge(ctx, alice, []int64{top.ID})
		if err != nil || purged.Nodes != 1001 || purged.Bytes != bytes {
			t.Fatalf("Purge(big) = %+v, %v; want 1001 nodes, %d bytes", purged, err, bytes)
		}
		if got := f.outboxRows() - outbox; got != 1 {
			t.Errorf("Purge wrote %d events, want 1", got)
		}
		if got := f.used(alice); got != usedBefore-bytes {
			t.Errorf("usage after purge = %d, want %d", got, usedBefore-bytes)
		}
		if got := f.count("nodes", "owner_id = ?", alice); got != 4 { // shared, binned, home, BIG
			t.Errorf("alice has %d nodes after purge, want 4", got)
		}

		// Blob GC: purged-only hashes are free; shared and trashed ones are not.
		var ask []string
		for h := range hashes {
			ask = append(ask, h)
		}
		ask = append(ask, hashOf("never stored"))
		refs, err := f.node.ReferencedHashes(ctx, ask)
		ok(t, "ReferencedHashes", err)
		slices.Sort(refs)
		want := []string{shared, binnedHash}
		slices.Sort(want)
		if !slices.Equal(refs, want) {
			t.Errorf("ReferencedHashes = %q, want %q", refs, want)
		}
		// Bob's live file keeps a hash referenced across users.
		_, err = f.node.CreateFile(ctx, biz.NewFile{Owner: bob, Name: "x", Size: 1, ContentHash: files[5].ContentHash})
		ok(t, "create bob's x", err)
		refs, err = f.node.ReferencedHashes(ctx, []string{files[5].ContentHash})
		if err != nil || len(refs) != 1 {
			t.Errorf("ReferencedHashes(bob's) = %q, %v", refs, err)
		}
		if refs, err := f.node.ReferencedHashes(ctx, nil); err != nil || len(refs) != 0 {
			t.Errorf("ReferencedHashes(nil) = %q, %v", refs, err)
		}
	})
}

func TestPurgeExpired(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		retention := f.policy.TrashRetention
		oldDir := f.mkdir(alice, 0, "old")
		f.file(alice, oldDir.ID, "in-old", 10)
		oldFile := f.file(bob, 0, "bob-old", 20)
		young := f.file(alice, 0, "young", 40)
		live := f.file(alice, 0, "live", 80)
		f.del(alice, oldDir.ID)
		f.del(bob, oldFile.ID)
		f.clock.Advance(retention / 2)
		f.del(alice, young.ID)
		f.clock.Advance(retention/2 + time.Minute)

		purged, err := f.trash.PurgeExpired(ctx)
		if err != nil || purged.Nodes != 3 || purged.Bytes != 30 {
			t.Fatalf("PurgeExpired = %+v, %v; want 3 nodes, 30 bytes", purged, err)
		}
		if got := names(f.trashList(alice, 10)); !slices.Equal(got, []string{"young"}) {
			t.Errorf("alice's trash after PurgeExpired = %q", got)
		}
		if got := f.trashList(bob, 10); len(got) != 0 {
			t.Errorf("bob's trash after PurgeExpired = %q", names(got))
		}
		if got := f.used(alice); got != 120 {
			t.Errorf("alice's usage = %d, want 120", got)
		}
		if got := f.used(bob); got != 0 {
			t.Errorf("bob's usage = %d, want 0", got)
		}
		f.stat(alice, live.ID)
		if p, err := f.trash.PurgeExpired(ctx); err != nil || p.Nodes != 0 {
			t.Errorf("second PurgeExpired = %+v, %v", p, err)
		}
		f.clock.Advance(retention)
		if p, err := f.trash.PurgeExpired(ctx); err != nil || p.Nodes != 1 || p.Bytes != 40 {
			t.Errorf("PurgeExpired later = %+v, %v", p, err)
		}
	})
	// Retention 0 keeps the trash forever.
	t.Run("no retention", func(t *testing.T) {
		eachBackendPolicy(t, func() *biz.Policy { p := defaultPolicy(); p.TrashRetention = 0; return p }, func(t *testing.T, f *fx) {
			n := f.file(alice, 0, "x", 1)
			f.del(alice, n.ID)
			f.clock.Advance(1000 * 24 * time.Hour)
			if p, err := f.trash.PurgeExpired(f.ctx); err != nil || p.Nodes != 0 {
				t.Errorf("PurgeExpired without retention = %+v, %v", p, err)
			}
		})
	})
}

// A name taken among a trashed folder's descendants when it comes back is
// biz's conflict, not a raw driver error (the use cases never create in a
// trashed folder, but the repo must not leak gorm's error if one is there:
// the cache consistency load, which drives the repos directly, hit it).
func TestRestoreDescendantNameTakenIsAConflict(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		docs := f.mkdir(alice, 0, "docs")
		f.file(alice, docs.ID, "a.txt", 10)
		if _, err := f.trash.Delete(f.ctx, alice, []int64{docs.ID}); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		now := time.Now().UTC()
		twin := &biz.Node{OwnerID: alice, ParentID: docs.ID, Name: "a.txt", Kind: biz.KindFile, CreatedAt: now, UpdatedAt: now}
		if err := f.nodes.Create(f.ctx, twin); err != nil {
			t.Fatalf("Create in the trashed folder (repo level): %v", err)
		}
		err := f.tx.InTx(f.ctx, func(ctx context.Context) error {
			return f.nodes.Restore(ctx, alice, docs.ID, 0, "docs", now)
		})
		if !errors.Is(err, biz.ErrDuplicate) {
			t.Fatalf("Restore with a descendant's name taken = %v, want biz.ErrDuplicate", err)
		}
	})
}
