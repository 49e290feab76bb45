package data_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	eventsv1 "clouddrive/api/events/v1"
	"clouddrive/app/file/internal/biz"
)

// race runs n calls at once (released together) and returns their errors.
func race(n int, call func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = call(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// 50 parallel creates that together exceed the quota never overshoot it,
// and the bytes used are exactly those of the files that exist.
func TestConcurrentCreateFileQuota(t *testing.T) {
	slow(t)
	const (
		workers = 50
		size    = int64(1000)
		fits    = 17
		limit   = fits*size + size/2
	)
	cases := []struct {
		name string
		// preset writes the quota row before the race; without it, the
		// racers create it (from the default limit) themselves.
		preset bool
	}{
		{"quota row exists", true},
		{"first use creates the quota row", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pol := func() *biz.Policy { p := defaultPolicy(); p.DefaultQuota = limit; return p }
			eachBackendPolicy(t, pol, func(t *testing.T, f *fx) {
				dir := f.mkdir(alice, 0, "uploads")
				if c.preset {
					f.setLimit(alice, limit)
				}
				outbox := f.outboxRows()
				errs := race(workers, func(i int) error {
					_, err := f.node.CreateFile(f.ctx, biz.NewFile{Owner: alice, Parent: dir.ID,
						Name: fmt.Sprintf("part-%02d.bin", i), Size: size, ContentHash: hashOf(fmt.Sprint(i))})
					return err
				})
				created, refused := 0, 0
				for i, err := range errs {
					switch {
					case err == nil:
						created++
					case quotaExceeded.is(err):
						refused++
					default:
						t.Errorf("create %d: %v (want success or QUOTA_EXCEEDED)", i, err)
					}
				}
				q, err := f.quota.Usage(f.ctx, alice)
				ok(t, "usage", err)
				if q.Used > q.Limit || q.Limit != limit {
					t.Errorf("usage %d overshoots the limit %d", q.Used, q.Limit)
				}
				if q.Used != int64(created)*size {
					t.Errorf("usage %d, but %d files of %d bytes were created", q.Used, created, size)
				}
				if created != fits || refused != workers-fits {
					t.Errorf("%d created, %d refused; want %d and %d", created, refused, fits, workers-fits)
				}
				if n := len(f.listAll(alice, dir.ID, biz.OrderName, false, 1000)); n != created {
					t.Errorf("%d files listed, %d creates succeeded", n, created)
				}
				var createdEvents, warningEvents int
				for _, e := range f.events()[outbox:] {
					switch e.GetType() {
					case eventsv1.FileEvent_CREATED:
						createdEvents++
					case eventsv1.FileEvent_QUOTA_WARNING:
						warningEvents++
					}
				}
				if createdEvents != created || warningEvents != 1 {
					t.Errorf("outbox: %d created, %d warnings; want %d and 1", createdEvents, warningEvents, created)
				}
			})
		})
	}
}

// 20 parallel renames of 20 files to one name: one winner, 19 clear
// conflicts; with on_conflict=rename, 20 distinct names.
func TestConcurrentRenameSameName(t *testing.T) {
	slow(t)
	const workers = 20
	cases := []struct {
		name   string
		rename bool
	}{
		{"on_conflict fail", false},
		{"on_conflict rename", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, f *fx) {
				if c.rename {
				}
				dir := f.mkdir(alice, 0, "dir")
				var files []*biz.Node
				for i := range workers {
					files = append(files, f.file(alice, dir.ID, fmt.Sprintf("f%02d.txt", i), 1))
				}
				outbox := f.outboxRows()
				errs := race(workers, func(i int) error {
					_, err := f.node.Rename(f.ctx, alice, files[i].ID, "same.txt", c.rename)
					return err
				})
				won := 0
				for i, err := range errs {
					switch {
					case err == nil:
						won++
					case !c.rename && nameConflict.is(err):
					default:
						t.Errorf("rename %d: %v", i, err)
					}
				}
				want := 1
				if c.rename {
					want = workers
				}
				if won != want {
					t.Errorf("%d renames succeeded, want %d", won, want)
				}
				listed := f.listAll(alice, dir.ID, biz.OrderName, false, 100)
				seen := map[string]bool{}
				same := 0
				for _, n := range listed {
					if seen[biz.FoldName(n.Name)] {
						t.Errorf("two live siblings named %q", n.Name)
					}
					seen[biz.FoldName(n.Name)] = true
					if n.Name == "same.txt" {
						same++
					}
				}
				if len(listed) != workers || same != 1 {
					t.Errorf("folder holds %d entries, %d named same.txt: %q", len(listed), same, names(listed))
				}
				if got := f.outboxRows() - outbox; got != int64(won) {
					t.Errorf("%d renamed events for %d renames", got, won)
				}
			})
		})
	}
}

// Parallel mkdirs of one name with on_conflict=rename all succeed.
func TestConcurrentMkdirRename(t *testing.T) {
	slow(t)
	const workers = 20
	eachBackend(t, func(t *testing.T, f *fx) {
		errs := race(workers, func(int) error {
			_, err := f.node.Mkdir(f.ctx, alice, 0, "New folder", true)
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("mkdir %d: %v", i, err)
			}
		}
		got := f.listAll(alice, 0, biz.OrderName, false, 100)
		seen := map[string]bool{}
		for _, n := range got {
			if seen[n.Name] {
				t.Errorf("name %q twice", n.Name)
			}
			seen[n.Name] = true
		}
		if len(got) != workers-countErrs(errs) {
			t.Errorf("%d folders for %d successful mkdirs", len(got), workers-countErrs(errs))
		}
	})
}

func countErrs(errs []error) int {
	n := 0
	for _, err := range errs {
		if err != nil {
			n++
		}
	}
	return n
}

// Parallel restores of trashed nodes of one name into one folder all
// succeed, the later ones auto-renamed.
func TestConcurrentRestoreSameName(t *testing.T) {
	slow(t)
	const workers = 20
	eachBackend(t, func(t *testing.T, f *fx) {
		var ids []int64
		for range workers {
			n := f.file(alice, 0, "doc.txt", 1)
			f.del(alice, n.ID)
			ids = append(ids, n.ID)
		}
		errs := race(workers, func(i int) error {
			_, err := f.trash.Restore(f.ctx, alice, []int64{ids[i]})
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("restore %d: %v", i, err)
			}
		}
		got := f.listAll(alice, 0, biz.OrderName, false, 100)
		seen := map[string]bool{}
		for _, n := range got {
			if seen[biz.FoldName(n.Name)] {
				t.Errorf("name %q twice", n.Name)
			}
			seen[biz.FoldName(n.Name)] = true
		}
		if len(got) != workers-countErrs(errs) {
			t.Errorf("%d nodes live for %d successful restores", len(got), workers-countErrs(errs))
		}
	})
}

// orphans counts live nodes whose parent is missing or in the trash: nodes
// no listing reaches, that still count against the quota.
func (f *fx) orphans() int64 {
	f.t.Helper()
	var n int64
	err := f.db.Raw(`SELECT COUNT(*) FROM nodes c LEFT JOIN nodes p ON p.id = c.parent_id
WHERE c.live = 1 AND c.parent_id <> 0 AND (p.id IS NULL OR p.live IS NULL)`).Scan(&n).Error
	if err != nil {
		f.t.Fatalf("orphans: %v", err)
	}
	return n
}

// A create, mkdir, move or restore into a folder racing that folder's
// deletion either lands in the folder before it goes (and goes with it) or
// fails with PARENT_NOT_FOUND: never a live node under a trashed folder.
func TestConcurrentCreateIntoDeletedFolder(t *testing.T) {
	slow(t)
	const rounds = 60
	eachBackend(t, func(t *testing.T, f *fx) {
		for i := range rounds {
			dir := f.mkdir(alice, 0, fmt.Sprintf("dir-%d", i))
			loose := f.file(alice, 0, fmt.Sprintf("loose-%d", i), 1)
			errs := race(4, func(w int) error {
				var err error
				switch w {
				case 0:
					_, err = f.trash.Delete(f.ctx, alice, []int64{dir.ID})
				case 1:
					_, err = f.node.CreateFile(f.ctx, biz.NewFile{Owner: alice, Parent: dir.ID, Name: "upload", Size: 1})
				case 2:
					_, err = f.node.Mkdir(f.ctx, alice, dir.ID, "sub", false)
				case 3:
					_, err = f.node.Move(f.ctx, alice, []int64{loose.ID}, dir.ID, false)
				}
				if err != nil && !parentNotFound.is(err) {
					return err
				}
				return nil
			})
			for w, err := range errs {
				if err != nil {
					t.Errorf("round %d, worker %d: %v", i, w, err)
				}
			}
		}
		if n := f.orphans(); n != 0 {
			t.Errorf("%d live nodes under trashed folders after %d races", n, rounds)
		}
	})
}

// storedBytes is the sum of the sizes of the owner's stored nodes (live or
// trashed): what the quota's used bytes must equal.
func (f *fx) storedBytes(owner int64) int64 {
	f.t.Helper()
	var n int64
	if err := f.db.Raw("SELECT COALESCE(SUM(size), 0) FROM nodes WHERE owner_id = ?", owner).Scan(&n).Error; err != nil {
		f.t.Fatalf("stored bytes: %v", err)
	}
	return n
}

// Purges racing each other (a user's purge, the janitor's PurgeExpired, an
// Empty) or racing a restore free each byte once: usage always equals the
// bytes still stored.
func TestConcurrentPurge(t *testing.T) {
	slow(t)
	const rounds = 30
	eachBackend(t, func(t *testing.T, f *fx) {
		for i := range rounds {
			owner := int64(1000 + i) // one user per round: rounds stay independent
			dir := f.mkdir(owner, 0, "dir")
			f.file(owner, 0, "keep", 1000) // so that a double release shows (usage never goes below 0)
			f.file(owner, dir.ID, "a", 100)
			f.file(owner, dir.ID, "b", 10)
			f.del(owner, dir.ID)
			f.clock.Advance(f.policy.TrashRetention + time.Hour)
			errs := race(4, func(w int) error {
				var err error
				switch w {
				case 0:
					_, err = f.trash.Purge(f.ctx, owner, []int64{dir.ID})
				case 1:
					_, err = f.trash.Purge(f.ctx, owner, []int64{dir.ID})
				case 2:
					_, err = f.trash.PurgeExpired(f.ctx)
				case 3:
					if i%2 == 0 {
						_, err = f.trash.Restore(f.ctx, owner, []int64{dir.ID})
					} else {
						_, err = f.trash.Empty(f.ctx, owner)
					}
				}
				if nodeNotFound.is(err) || notInTrash.is(err) {
					return nil // lost the race: fine
				}
				return err
			})
			for w, err := range errs {
				if err != nil {
					t.Errorf("round %d, worker %d: %v", i, w, err)
				}
			}
			what := "restore"
			if i%2 == 1 {
				what = "empty"
			}
			if used, stored := f.used(owner), f.storedBytes(owner); used != stored {
				t.Errorf("round %d (purge, purge, PurgeExpired, %s): usage %d, but %d bytes stored", i, what, used, stored)
			}
		}
	})
}
