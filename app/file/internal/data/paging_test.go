package data_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"clouddrive/app/file/internal/biz"
)

// seedBigFolder fills a new folder of owner with n entries (a quarter of
// them folders) straight through NodeRepo.Create, in batches. Names mix
// case and scripts, sizes and times repeat (so the id breaks many ties).
func seedBigFolder(tb testing.TB, f *fx, owner int64, n int) (*biz.Node, []*biz.Node) {
	tb.Helper()
	dir, err := f.node.Mkdir(f.ctx, owner, 0, fmt.Sprintf("big-%d", n), true)
	if err != nil {
		tb.Fatalf("mkdir: %v", err)
	}
	words := []string{"Alpha", "beta", "GAMMA", "delta", "Ärger", "émile", "zeta", "Zeta-"}
	base := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	all := make([]*biz.Node, 0, n)
	for start := 0; start < n; start += 1000 {
		var batch []*biz.Node
		for i := start; i < min(start+1000, n); i++ {
			// 7919 is prime to 10,000: the numbers are a permutation, the names unique.
			name := fmt.Sprintf("%s %05d", words[i%len(words)], (i*7919)%100000)
			at := base.Add(time.Duration((i*13)%2000)*time.Second + time.Duration(i%7)*time.Millisecond)
			node := &biz.Node{OwnerID: owner, ParentID: dir.ID, CreatedAt: at, UpdatedAt: at, Version: 1}
			if i%4 == 0 {
				node.Kind, node.Name = biz.KindFolder, "dir "+name
			} else {
				node.Kind, node.Name = biz.KindFile, name+".dat"
				node.Size = int64((i*37)%500) * 1000
				node.ContentHash = hashOf(name)
			}
			batch = append(batch, node)
		}
		if err := f.nodes.Create(f.ctx, batch...); err != nil {
			tb.Fatalf("seed batch at %d: %v", start, err)
		}
		all = append(all, batch...)
	}
	return dir, all
}

// expectedOrder sorts like the listing must: folders first, then by the
// order (names by their folded bytes), then by id; desc reverses all but
// folders-first.
func expectedOrder(ns []*biz.Node, order string, desc bool) []int64 {
	s := slices.Clone(ns)
	slices.SortFunc(s, func(a, b *biz.Node) int {
		if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		var c int
		switch order {
		case biz.OrderSize:
			c = cmp.Compare(a.Size, b.Size)
		case biz.OrderUpdated:
			c = a.UpdatedAt.Compare(b.UpdatedAt)
		default:
			c = cmp.Compare(biz.FoldName(a.Name), biz.FoldName(b.Name))
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if desc {
			return -c
		}
		return c
	})
	ids := make([]int64, len(s))
	for i, n := range s {
		ids[i] = n.ID
	}
	return ids
}

// Paging through a 10,000-entry folder returns each entry exactly once,
// folders first, in the requested order, whatever the page size.
func TestPagingLargeFolder(t *testing.T) {
	slow(t)
	const entries = 10_000
	eachBackend(t, func(t *testing.T, f *fx) {
		dir, seeded := seedBigFolder(t, f, alice, entries)
		// Some noise that must never show: another folder, the trash, another user.
		f.file(alice, 0, "outside", 1)
		binned := f.file(alice, dir.ID, "binned", 1)
		f.del(alice, binned.ID)
		_, _ = seedBigFolder(t, f, bob, 100)

		for _, order := range []string{biz.OrderName, biz.OrderSize, biz.OrderUpdated} {
			for _, desc := range []bool{false, true} {
				want := expectedOrder(seeded, order, desc)
				for _, size := range []int{100, 1000} {
					name := fmt.Sprintf("%s/desc=%v/page=%d", order, desc, size)
					t.Run(name, func(t *testing.T) {
						pages := 0
						var got []int64
						q := biz.ListQuery{Owner: alice, Parent: dir.ID, OrderBy: order, Desc: desc, Limit: size}
						for {
							p, err := f.node.List(f.ctx, q)
							ok(t, "List", err)
							pages++
							if len(p.Items) != size && p.Next != nil {
								t.Fatalf("page %d has %d items and a next page", pages, len(p.Items))
							}
							for _, n := range p.Items {
								got = append(got, n.ID)
							}
							if p.Next == nil {
								break
							}
							if pages > entries {
								t.Fatalf("paging does not end")
							}
							q.After = p.Next
						}
						if pages != entries/size {
							t.Errorf("%d pages, want %d", pages, entries/size)
						}
						seen := make(map[int64]bool, len(got))
						for _, id := range got {
							if seen[id] {
								t.Fatalf("entry %d returned twice", id)
							}
							seen[id] = true
						}
						if len(got) != entries {
							t.Fatalf("%d entries returned, want %d", len(got), entries)
						}
						if i := firstDiff(got, want); i >= 0 {
							t.Errorf("order differs at %d of %d: got id %d, want %d", i, entries, got[i], want[i])
						}
					})
				}
			}
		}
	})
}

func firstDiff(a, b []int64) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// Entries created or deleted while someone pages do not make the pager
// repeat or skip the entries that stayed.
func TestPagingWhileChanging(t *testing.T) {
	slow(t)
	eachBackend(t, func(t *testing.T, f *fx) {
		dir, seeded := seedBigFolder(t, f, alice, 2000)
		deleted := map[int64]bool{}
		var got []int64
		q := biz.ListQuery{Owner: alice, Parent: dir.ID, OrderBy: biz.OrderName, Limit: 100}
		for page := 0; ; page++ {
			p, err := f.node.List(f.ctx, q)
			ok(t, "List", err)
			for _, n := range p.Items {
				got = append(got, n.ID)
			}
			if p.Next == nil {
				break
			}
			q.After = p.Next
			// Between pages: a new entry on either side of the cursor, a
			// deletion ahead and a rename of something already seen.
			f.file(alice, dir.ID, fmt.Sprintf("aaa-new-%d", page), 1)
			f.file(alice, dir.ID, fmt.Sprintf("zzz-new-%d", page), 1)
			victim := seeded[(page*997+500)%len(seeded)]
			if !deleted[victim.ID] && !slices.Contains(got, victim.ID) {
				f.del(alice, victim.ID)
				deleted[victim.ID] = true
			}
			_, err = f.node.Rename(f.ctx, alice, seeded[page].ID, fmt.Sprintf("renamed-%d", page), false)
			ok(t, "rename", err)
		}
		seen := map[int64]int{}
		for _, id := range got {
			seen[id]++
		}
		for id, n := range seen {
			if n > 1 && !isRenamed(seeded, id) {
				t.Errorf("entry %d returned %d times", id, n)
			}
		}
		for _, n := range seeded {
			if !deleted[n.ID] && seen[n.ID] == 0 && !isRenamed(seeded, n.ID) {
				t.Errorf("entry %q skipped", n.Name)
			}
		}
	})
}

// isRenamed: the first entries seeded are renamed while paging, which may
// legitimately move them across the cursor.
func isRenamed(seeded []*biz.Node, id int64) bool {
	for _, n := range seeded[:25] {
		if n.ID == id {
			return true
		}
	}
	return false
}
