package data_test

import (
	"context"
	"testing"

	"clouddrive/app/file/internal/biz"
)

// Bob holding Alice's ids gets "not found" from every use case, exactly as
// for ids that do not exist, and changes nothing.
func TestCrossUserIsolation(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		aDir := f.mkdir(alice, 0, "alice-dir")
		aSub := f.mkdir(alice, aDir.ID, "alice-sub")
		aFile := f.file(alice, aDir.ID, "alice.txt", 10)
		aRoot := f.file(alice, 0, "alice-root.txt", 10)
		aBin := f.mkdir(alice, 0, "alice-binned")
		f.file(alice, aBin.ID, "inside", 10)
		f.del(alice, aBin.ID)
		bDir := f.mkdir(bob, 0, "bob-dir")
		bFile := f.file(bob, 0, "bob.txt", 5)
		bBin := f.file(bob, 0, "bob-binned", 5)
		f.del(bob, bBin.ID)
		before := f.snapshot()

		cases := []struct {
			name string
			want reason
			call func(ctx context.Context) error
		}{
			{"Stat", nodeNotFound, func(ctx context.Context) error { return errOf(f.node.Stat(ctx, bob, aFile.ID)) }},
			{"Stat folder", nodeNotFound, func(ctx context.Context) error { return errOf(f.node.Stat(ctx, bob, aDir.ID)) }},
			{"Stat trashed", nodeNotFound, func(ctx context.Context) error { return errOf(f.node.Stat(ctx, bob, aBin.ID)) }},
			{"Path", nodeNotFound, func(ctx context.Context) error { return errOf(f.node.Path(ctx, bob, aSub.ID)) }},
			{"GetNode", nodeNotFound, func(ctx context.Context) error { return errOf(f.node.GetNode(ctx, bob, aFile.ID)) }},
			{"GetNode trashed", nodeNotFound, func(ctx context.Context) error { return errOf(f.node.GetNode(ctx, bob, aBin.ID)) }},
			{"List", nodeNotFound, func(ctx context.Context) error {
				return errOf(f.node.List(ctx, biz.ListQuery{Owner: bob, Parent: aDir.ID}))
			}},
			{"Mkdir in", parentNotFound, func(ctx context.Context) error { return errOf(f.node.Mkdir(ctx, bob, aDir.ID, "x", true)) }},
			{"CreateFile in", parentNotFound, func(ctx context.Context) error {
				return errOf(f.node.CreateFile(ctx, biz.NewFile{Owner: bob, Parent: aDir.ID, Name: "x", Size: 1, Rename: true}))
			}},
			{"Rename", nodeNotFound, func(ctx context.Context) error { return errOf(f.node.Rename(ctx, bob, aFile.ID, "x", true)) }},
			{"Rename trashed", nodeNotFound, func(ctx context.Context) error { return errOf(f.node.Rename(ctx, bob, aBin.ID, "x", true)) }},
			{"Move theirs into mine", nodeNotFound, func(ctx context.Context) error {
				return errOf(f.node.Move(ctx, bob, []int64{aFile.ID}, bDir.ID, true))
			}},
			{"Move theirs to my root", nodeNotFound, func(ctx context.Context) error {
				return errOf(f.node.Move(ctx, bob, []int64{aRoot.ID}, 0, true))
			}},
			{"Move mine and theirs", nodeNotFound, func(ctx context.Context) error {
				return errOf(f.node.Move(ctx, bob, []int64{bFile.ID, aFile.ID}, bDir.ID, true))
			}},
			{"Move mine into theirs", parentNotFound, func(ctx context.Context) error {
				return errOf(f.node.Move(ctx, bob, []int64{bFile.ID}, aDir.ID, true))
			}},
			{"Move theirs into theirs", parentNotFound, func(ctx context.Context) error {
				return errOf(f.node.Move(ctx, bob, []int64{aRoot.ID}, aDir.ID, true))
			}},
			{"Copy theirs into mine", nodeNotFound, func(ctx context.Context) error {
				return errOf(f.node.Copy(ctx, bob, []int64{aDir.ID}, bDir.ID, true))
			}},
			{"Copy theirs to my root", nodeNotFound, func(ctx context.Context) error {
				return errOf(f.node.Copy(ctx, bob, []int64{aRoot.ID}, 0, true))
			}},
			{"Copy mine and theirs", nodeNotFound, func(ctx context.Context) error {
				return errOf(f.node.Copy(ctx, bob, []int64{bFile.ID, aRoot.ID}, 0, true))
			}},
			{"Copy mine into theirs", parentNotFound, func(ctx context.Context) error {
				return errOf(f.node.Copy(ctx, bob, []int64{bFile.ID}, aSub.ID, true))
			}},
			{"Delete", nodeNotFound, func(ctx context.Context) error { return errOf(f.trash.Delete(ctx, bob, []int64{aRoot.ID})) }},
			{"Delete folder", nodeNotFound, func(ctx context.Context) error { return errOf(f.trash.Delete(ctx, bob, []int64{aDir.ID})) }},
			{"Delete trashed", nodeNotFound, func(ctx context.Context) error { return errOf(f.trash.Delete(ctx, bob, []int64{aBin.ID})) }},
			{"Delete mine and theirs", nodeNotFound, func(ctx context.Context) error {
				return errOf(f.trash.Delete(ctx, bob, []int64{bFile.ID, aRoot.ID}))
			}},
			{"Restore", nodeNotFound, func(ctx context.Context) error { return errOf(f.trash.Restore(ctx, bob, []int64{aBin.ID})) }},
			{"Restore live", nodeNotFound, func(ctx context.Context) error { return errOf(f.trash.Restore(ctx, bob, []int64{aFile.ID})) }},
			{"Restore mine and theirs", nodeNotFound, func(ctx context.Context) error {
				return errOf(f.trash.Restore(ctx, bob, []int64{bBin.ID, aBin.ID}))
			}},
			{"Purge", nodeNotFound, func(ctx context.Context) error { return errOf(f.trash.Purge(ctx, bob, []int64{aBin.ID})) }},
			{"Purge live", nodeNotFound, func(ctx context.Context) error { return errOf(f.trash.Purge(ctx, bob, []int64{aFile.ID})) }},
			{"Purge mine and theirs", nodeNotFound, func(ctx context.Context) error {
				return errOf(f.trash.Purge(ctx, bob, []int64{bBin.ID, aBin.ID}))
			}},
		}
		for _, c := range cases {
			wantReason(t, "bob: "+c.name, c.call(ctx), c.want)
		}
		f.sameAs("bob acting on alice's ids", before)

		// What Bob can list, search and see in his trash is his own.
		if got := sortedNames(f.listAll(bob, 0, biz.OrderName, false, 100)); len(got) != 2 || got[0] != "bob-dir" || got[1] != "bob.txt" {
			t.Errorf("bob's root = %q", got)
		}
		for _, q := range []string{"alice", "inside", "x", ""} {
			p, err := f.node.Search(ctx, bob, q, nil, 100)
			ok(t, "search", err)
			for _, n := range p.Items {
				if n.OwnerID != bob {
					t.Errorf("bob's Search(%q) found %+v", q, n)
				}
			}
		}
		if got := names(f.trashList(bob, 100)); len(got) != 1 || got[0] != "bob-binned" {
			t.Errorf("bob's trash = %q", got)
		}
		if q, err := f.quota.Usage(ctx, bob); err != nil || q.Used != 10 {
			t.Errorf("bob's usage = %+v, %v", q, err)
		}
		// Emptying Bob's trash leaves Alice's.
		purged, err := f.trash.Empty(ctx, bob)
		if err != nil || purged.Nodes != 1 {
			t.Errorf("bob's Empty = %+v, %v", purged, err)
		}
		if got := names(f.trashList(alice, 100)); len(got) != 1 || got[0] != "alice-binned" {
			t.Errorf("alice's trash after bob's Empty = %q", got)
		}
		if got := f.used(alice); got != 30 {
			t.Errorf("alice's usage after bob's Empty = %d", got)
		}
	})
}
