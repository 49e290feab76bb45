package data_test

import (
	"testing"
)

// A listed node is the node Stat gives, field for field, though the listing
// reads only the columns its WHERE does not fix (parent, kind and the trash
// columns come from the query): a folder, a file, and a file restored from
// the trash, on both databases.
func TestListedNodesAreWhole(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		dir := f.mkdir(alice, 0, "dir")
		in := f.mkdir(alice, dir.ID, "in")
		a := f.file(alice, dir.ID, "a.txt", 7)
		back := f.file(alice, dir.ID, "back.txt", 9)
		f.del(alice, back.ID)
		if _, err := f.trash.Restore(f.ctx, alice, []int64{back.ID}); err != nil {
			t.Fatal(err)
		}
		got := f.listAll(alice, dir.ID, "", false, 100)
		if len(got) != 3 {
			t.Fatalf("%d listed, want 3", len(got))
		}
		for i, id := range []int64{in.ID, a.ID, back.ID} {
			l, s := got[i], f.stat(alice, id)
			if l.ID != s.ID || l.OwnerID != s.OwnerID || l.ParentID != s.ParentID || l.Name != s.Name || l.Kind != s.Kind ||
				l.Size != s.Size || l.ContentHash != s.ContentHash || l.Mime != s.Mime || l.Version != s.Version ||
				!l.CreatedAt.Equal(s.CreatedAt) || !l.UpdatedAt.Equal(s.UpdatedAt) ||
				l.TrashedAt != nil || s.TrashedAt != nil || l.TrashRoot != s.TrashRoot {
				t.Errorf("listed %+v\n  stat %+v", l, s)
			}
		}
	})
}
