package data_test

import (
	"slices"
	"testing"

	eventsv1 "clouddrive/api/events/v1"
	"clouddrive/app/file/internal/biz"
)

// Saving a share: Alice's live nodes become Bob's, nodes only, charged to
// Bob, named in Bob's folder; Alice's tree and quota are untouched.
func TestCopyFrom(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		src := f.mkdir(alice, 0, "src")
		f1 := f.file(alice, src.ID, "f1.txt", 10)
		sub := f.mkdir(alice, src.ID, "sub")
		f2 := f.file(alice, sub.ID, "f2.txt", 20)
		f.mkdir(alice, src.ID, "empty")
		binned := f.file(alice, sub.ID, "binned.txt", 1000)
		f.del(alice, binned.ID) // trashed content is not copied
		inbox := f.mkdir(bob, 0, "inbox")
		aliceUsed, bobUsed := f.used(alice), f.used(bob)
		aliceTree := f.walk(alice, src.ID, "src")
		outbox := f.outboxRows()

		out, err := f.node.CopyFrom(ctx, alice, []int64{src.ID}, bob, inbox.ID, false)
		ok(t, "CopyFrom src into bob's inbox", err)
		if len(out) != 1 || out[0].Name != "src" || out[0].OwnerID != bob || out[0].ParentID != inbox.ID || out[0].ID == src.ID {
			t.Fatalf("CopyFrom returned %+v", out)
		}
		if got := f.used(bob); got != bobUsed+30 {
			t.Errorf("bob's usage = %d, want %d + 30", got, bobUsed)
		}
		if got := f.used(alice); got != aliceUsed {
			t.Errorf("alice's usage = %d, want %d (unchanged)", got, aliceUsed)
		}
		// Bob's copy has the shape and contents of alice's live tree.
		copies := f.walk(bob, out[0].ID, "src")
		var paths []string
		for p, n := range copies {
			paths = append(paths, p)
			if n.OwnerID != bob {
				t.Errorf("copy %s belongs to %d", p, n.OwnerID)
			}
			if o := aliceTree[p]; o == nil || o.ID == n.ID || o.ContentHash != n.ContentHash || o.Size != n.Size || o.Kind != n.Kind {
				t.Errorf("copy of %s = %+v, original %+v", p, n, o)
			}
		}
		slices.Sort(paths)
		if want := []string{"src/empty", "src/f1.txt", "src/sub", "src/sub/f2.txt"}; !slices.Equal(paths, want) {
			t.Errorf("bob's copy = %q, want %q", paths, want)
		}
		if got := f.walk(alice, src.ID, "src"); len(got) != len(aliceTree) || got["src/sub/f2.txt"].ID != f2.ID {
			t.Errorf("alice's tree after the copy: %v", got)
		}
		// One COPIED event, Bob's.
		evs := f.events()[outbox:]
		if len(evs) != 1 || evs[0].GetType() != eventsv1.FileEvent_COPIED || evs[0].GetOwnerId() != bob ||
			evs[0].GetNodeId() != out[0].ID || evs[0].GetParentId() != inbox.ID || evs[0].GetCount() != 5 {
			t.Errorf("events = %v, want one COPIED of 5 nodes for bob", evs)
		}

		// Names are settled in Bob's folder, as Copy does; the root works.
		_, err = f.node.CopyFrom(ctx, alice, []int64{src.ID}, bob, inbox.ID, false)
		wantReason(t, "CopyFrom onto the earlier copy", err, nameConflict)
		out, err = f.node.CopyFrom(ctx, alice, []int64{src.ID, f1.ID}, bob, inbox.ID, true)
		if err != nil || !slices.Equal(names(out), []string{"src (1)", "f1.txt"}) {
			t.Errorf("CopyFrom with rename = %q, %v", names(out), err)
		}
		out, err = f.node.CopyFrom(ctx, alice, []int64{f1.ID}, bob, 0, false)
		if err != nil || len(out) != 1 || out[0].ParentID != 0 || out[0].ContentHash != f1.ContentHash || out[0].OwnerID != bob {
			t.Errorf("CopyFrom to bob's root = %+v, %v", out, err)
		}
		if got := f.used(bob); got != bobUsed+30+30+10+10 {
			t.Errorf("bob's usage after the copies = %d, want %d", got, bobUsed+80)
		}

		// Bob's copies outlive alice's originals.
		f.del(alice, src.ID)
		if _, err := f.trash.Purge(ctx, alice, []int64{src.ID}); err != nil {
			t.Fatalf("alice purges src: %v", err)
		}
		if got := f.walk(bob, inbox.ID, "inbox"); got["inbox/src/sub/f2.txt"] == nil || got["inbox/src (1)/f1.txt"] == nil {
			t.Errorf("bob's inbox after alice purged her src: %v", got)
		}
		refs, err := f.node.ReferencedHashes(ctx, []string{f2.ContentHash})
		if err != nil || len(refs) != 1 {
			t.Errorf("ReferencedHashes(f2) = %v, %v; bob's copy still references it", refs, err)
		}
	})
}

// Nothing but the source owner's live nodes is copied, nowhere but into a
// live folder of the destination owner, and a refusal changes nothing.
func TestCopyFromRefusals(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		aDir := f.mkdir(alice, 0, "alice-dir")
		aFile := f.file(alice, aDir.ID, "alice.txt", 10)
		aBin := f.file(alice, 0, "alice-binned", 10)
		f.del(alice, aBin.ID)
		bDir := f.mkdir(bob, 0, "bob-dir")
		bFile := f.file(bob, 0, "bob.txt", 5)
		bBin := f.mkdir(bob, 0, "bob-binned")
		f.del(bob, bBin.ID)
		before := f.snapshot()

		for _, c := range []struct {
			name       string
			from       int64
			ids        []int64
			to, parent int64
			want       reason
		}{
			{"a node of the destination owner", alice, []int64{bFile.ID}, bob, bDir.ID, nodeNotFound},
			{"a node of someone else than the source owner", 303, []int64{aFile.ID}, bob, bDir.ID, nodeNotFound},
			{"a trashed node", alice, []int64{aBin.ID}, bob, bDir.ID, nodeNotFound},
			{"a missing node", alice, []int64{987654}, bob, 0, nodeNotFound},
			{"a good node, then a foreign one", alice, []int64{aFile.ID, bFile.ID}, bob, 0, nodeNotFound},
			{"into the source owner's folder", alice, []int64{aFile.ID}, bob, aDir.ID, parentNotFound},
			{"into a trashed folder", alice, []int64{aFile.ID}, bob, bBin.ID, parentNotFound},
			{"into a missing folder", alice, []int64{aFile.ID}, bob, 987654, parentNotFound},
			{"into a file", alice, []int64{aFile.ID}, bob, bFile.ID, notAFolder},
			{"a folder into itself, one owner", alice, []int64{aDir.ID}, alice, aDir.ID, moveIntoSelf},
		} {
			_, err := f.node.CopyFrom(ctx, c.from, c.ids, c.to, c.parent, true)
			wantReason(t, c.name, err, c.want)
		}
		f.sameAs("refused CopyFrom", before)
	})
}

// The destination's quota bounds the whole selection: all or nothing, with
// the same conditional charge as every write.
func TestCopyFromQuota(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		src := f.mkdir(alice, 0, "src")
		f.file(alice, src.ID, "a.bin", 40)
		f.file(alice, src.ID, "b.bin", 20)
		small := f.file(alice, 0, "small.bin", 5)
		f.setLimit(bob, 64)

		// 5 bytes fit, the 60 after them do not: neither is copied.
		before := f.snapshot()
		_, err := f.node.CopyFrom(ctx, alice, []int64{small.ID, src.ID}, bob, 0, true)
		wantReason(t, "CopyFrom of 65 bytes into 64", err, quotaExceeded)
		f.sameAs("CopyFrom over quota", before)

		f.setLimit(bob, 65)
		_, err = f.node.CopyFrom(ctx, alice, []int64{small.ID, src.ID}, bob, 0, true)
		ok(t, "CopyFrom to exactly the limit", err)
		if got := f.used(bob); got != 65 {
			t.Errorf("bob's usage = %d, want 65", got)
		}
		_, err = f.node.CopyFrom(ctx, alice, []int64{src.ID}, bob, 0, true)
		wantReason(t, "CopyFrom past a full quota", err, quotaExceeded)
		// The source owner's quota plays no part.
		f.setLimit(alice, 0)
		f.setLimit(bob, 200)
		_, err = f.node.CopyFrom(ctx, alice, []int64{src.ID}, bob, 0, true)
		ok(t, "CopyFrom from a user over their own quota", err)
	})
}

// Racing saves of one share never take the destination past its limit.
func TestConcurrentCopyFromQuota(t *testing.T) {
	slow(t)
	const workers, fits = 12, 4
	eachBackend(t, func(t *testing.T, f *fx) {
		src := f.mkdir(alice, 0, "src")
		f.file(alice, src.ID, "a.bin", 40)
		f.file(alice, src.ID, "b.bin", 20)
		f.setLimit(bob, fits*60+30)
		errs := race(workers, func(int) error {
			return errOf(f.node.CopyFrom(f.ctx, alice, []int64{src.ID}, bob, 0, true))
		})
		copied := 0
		for i, err := range errs {
			switch {
			case err == nil:
				copied++
			case !quotaExceeded.is(err):
				t.Errorf("copy %d: %v (want success or QUOTA_EXCEEDED)", i, err)
			}
		}
		if copied != fits {
			t.Errorf("%d copies succeeded, want %d", copied, fits)
		}
		if got := f.used(bob); got != int64(copied)*60 {
			t.Errorf("bob's usage = %d, want %d", got, copied*60)
		}
		if got := f.count("nodes", "owner_id = ?", bob); got != int64(copied)*3 {
			t.Errorf("bob holds %d nodes, want %d", got, copied*3)
		}
		if got := len(f.listAll(bob, 0, biz.OrderName, false, 100)); got != copied {
			t.Errorf("bob's root holds %d entries, want %d", got, copied)
		}
	})
}
