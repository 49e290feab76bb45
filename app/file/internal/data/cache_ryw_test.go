package data

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"clouddrive/app/cachesync"
	"clouddrive/app/cdcrelay"
	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/cdc"
)

// Read-your-writes through two instances of the file service sharing one
// Redis (the cluster's two file instances): a change made through one is
// what the next read through the other sees, whatever the binlog is doing.
// Each case first runs with cachesync stopped, so only the writer's fence
// can make the read right, then lets the stream catch up and checks again;
// the races are forced: a read-through that loaded the old row before the
// commit fills after the fence, and a change from the binlog older than
// the commit arrives after the fence.
func TestCacheReadYourWrites(t *testing.T) {
	p := newPipeline(t)
	ctx := context.Background()
	a, b := p.instance(nil), p.instance(nil) // a writes, b reads
	const owner = 77

	// paused runs fn with cachesync stopped, then starts it again and
	// waits until the stream has shown the fenced keys what fn did.
	paused := func(t *testing.T, fn func()) {
		t.Helper()
		p.stopSync()
		fn()
		p.startSync()
	}
	name := func(t *testing.T, in *instance, id int64) string {
		t.Helper()
		n, err := in.nodes.Get(ctx, owner, id)
		if err != nil {
			t.Fatalf("get %d: %v", id, err)
		}
		return n.Name
	}
	listed := func(t *testing.T, in *instance, parent int64) map[string]*biz.Node {
		t.Helper()
		ns, err := in.list(ctx, owner, parent, biz.OrderName, false, 100)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*biz.Node{}
		for _, n := range ns {
			out[n.Name] = n
		}
		return out
	}
	// caughtUp waits until the stream has brought key's row at version
	// (or something newer) to the cache: as a row, or to a fence.
	caughtUp := func(t *testing.T, key string, version int64) {
		t.Helper()
		waitFor(t, 60*time.Second, fmt.Sprintf("the binlog to bring %s to v%d", key, version), func() error {
			e, err := p.layout.Get(ctx, key)
			if err != nil {
				return err
			}
			if e != nil && e.Kind == cdc.KindRow && e.Version >= version {
				return nil
			}
			if shown := shownOf(p, key); e != nil && e.Kind == cdc.KindSoft && shown >= version {
				return nil
			}
			return fmt.Errorf("entry %+v, the stream showed v%d", e, shownOf(p, key))
		})
	}
	converged := func(t *testing.T, queries ...biz.ListQuery) {
		t.Helper()
		waitFor(t, 60*time.Second, "every cached key to equal MySQL", func() error {
			return p.converged(queries, a.plain, b)
		})
	}

	t.Run("the quota an admin just set", func(t *testing.T) {
		// The user has no quota row yet: b caches "missing" (the default).
		if q, err := b.quotas.Get(ctx, owner, 1<<30); err != nil || q.Limit != 1<<30 {
			t.Fatalf("usage before: %+v, %v", q, err)
		}
		key := p.layout.QuotaKey(owner)
		paused(t, func() {
			// SetLimit inserts the row (v1) then sets the limit (v2).
			if _, err := a.quotas.SetLimit(ctx, owner, 12345, 1<<30); err != nil {
				t.Fatal(err)
			}
			// The insert's event, arriving after the fence (what made the
			// cluster's end-to-end suite see the default limit again).
			row, _ := json.Marshal(cdc.QuotaRow{OwnerID: owner, LimitBytes: 1 << 30, Version: 1,
				UpdatedAt: cdc.Timestamp{Time: time.Now().UTC()}})
			if _, err := p.layout.Put(ctx, key, cdc.KindRow, 1, row, 0); err != nil {
				t.Fatal(err)
			}
			if q, err := b.quotas.Get(ctx, owner, 1<<30); err != nil || q.Limit != 12345 {
				t.Fatalf("usage right after the admin set 12345: %+v, %v", q, err)
			}
		})
		caughtUp(t, key, 2)
		if q, err := b.quotas.Get(ctx, owner, 1<<30); err != nil || q.Limit != 12345 {
			t.Fatalf("usage once the binlog caught up: %+v, %v", q, err)
		}
		// And again, the stream's events landing on the fence before any
		// read: the read after them still loads the new limit.
		paused(t, func() {
			if _, err := a.quotas.SetLimit(ctx, owner, 999, 1<<30); err != nil {
				t.Fatal(err)
			}
		})
		caughtUp(t, key, 3)
		if q, err := b.quotas.Get(ctx, owner, 1<<30); err != nil || q.Limit != 999 {
			t.Fatalf("usage after the admin set 999 and the binlog caught up: %+v, %v", q, err)
		}
		converged(t)
	})

	t.Run("rename then stat and list", func(t *testing.T) {
		dir, err := a.mkdir(ctx, owner, 0, "rl")
		if err != nil {
			t.Fatal(err)
		}
		var f *biz.Node
		paused(t, func() {
			if f, err = a.upload(ctx, owner, dir.ID, "before.txt", 10); err != nil {
				t.Fatal(err)
			}
			// b caches the file and the page before the rename.
			if got := name(t, b, f.ID); got != "before.txt" {
				t.Fatalf("stat before the rename: %q", got)
			}
			if _, ok := listed(t, b, dir.ID)["before.txt"]; !ok {
				t.Fatal("the listing before the rename misses the file")
			}
			if err := a.rename(ctx, owner, f.ID, "after.txt"); err != nil {
				t.Fatal(err)
			}
			if got := name(t, b, f.ID); got != "after.txt" {
				t.Fatalf("stat right after the rename: %q", got)
			}
			ls := listed(t, b, dir.ID)
			if _, ok := ls["after.txt"]; !ok || len(ls) != 1 {
				t.Fatalf("listing right after the rename: %v", ls)
			}
		})
		caughtUp(t, p.layout.NodeKey(f.ID), 2)
		if got := name(t, b, f.ID); got != "after.txt" {
			t.Fatalf("stat once the binlog caught up: %q", got)
		}
		converged(t, biz.ListQuery{Owner: owner, Parent: dir.ID, OrderBy: biz.OrderName, Limit: 100})
	})

	t.Run("a create's late event after a rename's fence", func(t *testing.T) {
		var n *biz.Node
		var err error
		paused(t, func() {
			if n, err = a.mkdir(ctx, owner, 0, "fresh"); err != nil {
				t.Fatal(err)
			}
			created, _ := a.plain.Get(ctx, owner, n.ID)
			if err := a.rename(ctx, owner, n.ID, "renamed"); err != nil {
				t.Fatal(err)
			}
			// The binlog's insert (v1) reaches cachesync only now.
			row, _ := json.Marshal(rowOf(created))
			if _, err := p.layout.Put(ctx, p.layout.NodeKey(n.ID), cdc.KindRow, 1, row, 0); err != nil {
				t.Fatal(err)
			}
			if got := name(t, b, n.ID); got != "renamed" {
				t.Fatalf("stat after the create's late event: %q", got)
			}
		})
		caughtUp(t, p.layout.NodeKey(n.ID), 2)
		if got := name(t, b, n.ID); got != "renamed" {
			t.Fatalf("stat once the binlog caught up: %q", got)
		}
	})

	t.Run("a read-through that loaded before the commit fills after the fence", func(t *testing.T) {
		g := &gateRepo{loaded: make(chan struct{}), release: make(chan struct{})}
		slow := p.instance(func(inner biz.NodeRepo) biz.NodeRepo { g.NodeRepo = inner; return g })
		var n *biz.Node
		var err error
		paused(t, func() {
			if n, err = a.mkdir(ctx, owner, 0, "slow-old"); err != nil {
				t.Fatal(err)
			}
			p.rdb.Del(ctx, p.layout.NodeKey(n.ID)) // nothing cached: slow loads from MySQL
			g.armed.Store(true)
			stale := make(chan *biz.Node, 1)
			go func() { n, _ := slow.nodes.Get(ctx, owner, n.ID); stale <- n }()
			<-g.loaded // slow holds v1
			if err := a.rename(ctx, owner, n.ID, "slow-new"); err != nil {
				t.Fatal(err)
			}
			// A read through slow itself now must not join the load that
			// began before the commit.
			fresh := make(chan *biz.Node, 1)
			go func() { n, _ := slow.nodes.Get(ctx, owner, n.ID); fresh <- n }()
			select {
			case got := <-fresh:
				if got == nil || got.Name != "slow-new" {
					t.Errorf("a read after the fence on the slow instance: %+v", got)
				}
			case <-time.After(30 * time.Second):
				t.Error("a read after the fence joined the load that began before the commit")
			}
			close(g.release)
			if got := <-stale; got == nil || got.Version != 1 {
				t.Fatalf("the slow load returned %+v, want the old v1", got)
			}
			if got := name(t, b, n.ID); got != "slow-new" {
				t.Fatalf("stat after the stale fill: %q", got)
			}
		})
		caughtUp(t, p.layout.NodeKey(n.ID), 2)
		if got := name(t, b, n.ID); got != "slow-new" {
			t.Fatalf("stat once the binlog caught up: %q", got)
		}
	})

	t.Run("delete then stat", func(t *testing.T) {
		dir, err := a.mkdir(ctx, owner, 0, "doomed")
		if err != nil {
			t.Fatal(err)
		}
		f, err := a.upload(ctx, owner, dir.ID, "inside.txt", 5)
		if err != nil {
			t.Fatal(err)
		}
		caughtUp(t, p.layout.NodeKey(f.ID), 1)
		for _, id := range []int64{dir.ID, f.ID} {
			if n, err := b.nodes.Get(ctx, owner, id); err != nil || n.TrashedAt != nil {
				t.Fatalf("stat %d before the delete: %+v, %v", id, n, err)
			}
		}
		paused(t, func() {
			if err := a.trash(ctx, owner, dir.ID); err != nil {
				t.Fatal(err)
			}
			for _, id := range []int64{dir.ID, f.ID} {
				if n, err := b.nodes.Get(ctx, owner, id); err != nil || n.TrashedAt == nil {
					t.Fatalf("stat %d right after the delete: %+v, %v; want it trashed", id, n, err)
				}
			}
			if _, ok := listed(t, b, 0)["doomed"]; ok {
				t.Fatal("the root lists the deleted folder")
			}
			if err := a.purge(ctx, owner, dir.ID); err != nil {
				t.Fatal(err)
			}
			for _, id := range []int64{dir.ID, f.ID} {
				if n, err := b.nodes.Get(ctx, owner, id); !errors.Is(err, biz.ErrNotFound) {
					t.Fatalf("stat %d right after the purge: %+v, %v; want not found", id, n, err)
				}
			}
		})
		waitFor(t, 60*time.Second, "the purge to reach the cache", func() error {
			m, _ := strconv.ParseInt(p.rdb.HGet(ctx, p.layout.NodeKey(f.ID), "m").Val(), 10, 64)
			if m < 3 {
				return fmt.Errorf("floor %d", m)
			}
			return nil
		})
		if n, err := b.nodes.Get(ctx, owner, f.ID); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("stat once the binlog caught up: %+v, %v", n, err)
		}
	})

	t.Run("move across folders", func(t *testing.T) {
		from, err := a.mkdir(ctx, owner, 0, "from")
		if err != nil {
			t.Fatal(err)
		}
		to, err := a.mkdir(ctx, owner, 0, "to")
		if err != nil {
			t.Fatal(err)
		}
		f, err := a.upload(ctx, owner, from.ID, "moving.txt", 7)
		if err != nil {
			t.Fatal(err)
		}
		paused(t, func() {
			if len(listed(t, b, from.ID)) != 1 || len(listed(t, b, to.ID)) != 0 {
				t.Fatal("listings before the move")
			}
			if err := a.move(ctx, owner, f.ID, to.ID); err != nil {
				t.Fatal(err)
			}
			if ls := listed(t, b, from.ID); len(ls) != 0 {
				t.Fatalf("the old folder right after the move: %v", ls)
			}
			if _, ok := listed(t, b, to.ID)["moving.txt"]; !ok {
				t.Fatal("the new folder right after the move misses the file")
			}
			if n, err := b.nodes.Get(ctx, owner, f.ID); err != nil || n.ParentID != to.ID {
				t.Fatalf("stat right after the move: %+v, %v", n, err)
			}
		})
		caughtUp(t, p.layout.NodeKey(f.ID), 2)
		converged(t, biz.ListQuery{Owner: owner, Parent: from.ID, OrderBy: biz.OrderName, Limit: 100},
			biz.ListQuery{Owner: owner, Parent: to.ID, OrderBy: biz.OrderName, Limit: 100})
	})

	t.Run("a new version of a file", func(t *testing.T) {
		dir, err := a.mkdir(ctx, owner, 0, "versions")
		if err != nil {
			t.Fatal(err)
		}
		f, err := a.upload(ctx, owner, dir.ID, "doc.txt", 10)
		if err != nil {
			t.Fatal(err)
		}
		paused(t, func() {
			if n, err := b.nodes.Get(ctx, owner, f.ID); err != nil || n.Size != 10 {
				t.Fatalf("stat before: %+v, %v", n, err)
			}
			if ls := listed(t, b, dir.ID); ls["doc.txt"] == nil || ls["doc.txt"].Size != 10 {
				t.Fatalf("listing before: %v", ls)
			}
			// What an upload over the file does (biz writeVersion).
			err := a.tx.InTx(ctx, func(ctx context.Context) error {
				old, err := a.versions.LiveChild(ctx, owner, dir.ID, "doc.txt")
				if err != nil {
					return err
				}
				if err := a.versions.Add(ctx, &biz.Version{OwnerID: owner, NodeID: old.ID, ContentHash: old.ContentHash,
					Size: old.Size, Mime: old.Mime, NodeVersion: old.Version, CreatedAt: old.UpdatedAt,
					ReplacedAt: time.Now().UTC()}); err != nil {
					return err
				}
				return a.versions.SetContent(ctx, owner, old.ID, fmt.Sprintf("%064x", 99), 99, "text/plain", time.Now().UTC())
			})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := b.nodes.Get(ctx, owner, f.ID); err != nil || n.Size != 99 {
				t.Fatalf("stat right after the new version: %+v, %v", n, err)
			}
			if ls := listed(t, b, dir.ID); ls["doc.txt"] == nil || ls["doc.txt"].Size != 99 {
				t.Fatalf("listing right after the new version: %v", ls)
			}
		})
		caughtUp(t, p.layout.NodeKey(f.ID), 2)
		converged(t, biz.ListQuery{Owner: owner, Parent: dir.ID, OrderBy: biz.OrderName, Limit: 100})
	})

	// The end-to-end reset (deploy/local/cluster.sh empty) truncates the
	// tables, which puts no row in the binlog, and flushes Redis. Changes
	// from before still on their way would land after the flush on ids the
	// emptied tables hand out again: it waits until the relay and
	// cachesync have passed the truncation first.
	t.Run("a truncation between tests: drained, then flushed", func(t *testing.T) {
		writer := p.plainInstance()
		var ids []int64
		paused(t, func() {
			// Changes pile up in Kafka behind a stopped cachesync.
			for i := range 20 {
				n, err := writer.upload(ctx, owner, 0, fmt.Sprintf("old-%d.txt", i), 1)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, n.ID)
			}
			for _, tb := range []string{"nodes", "quotas"} {
				if err := p.db.Exec("TRUNCATE TABLE " + tb).Error; err != nil {
					t.Fatal(err)
				}
			}
			// The relay has published them; cachesync, stopped, has not
			// applied them: the wait must not say it has.
			wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			if err := cdcrelay.WaitCaughtUp(wctx, p.relayConf); err != nil {
				t.Fatal(err)
			}
			short, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if err := cachesync.WaitCaughtUp(short, p.syncConf); err == nil {
				t.Fatal("cachesync.WaitCaughtUp returned while cachesync was stopped with changes waiting")
			} else {
				t.Logf("while cachesync is stopped: %v", err)
			}
		})
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := cdcrelay.WaitCaughtUp(wctx, p.relayConf); err != nil {
			t.Fatal(err)
		}
		if err := cachesync.WaitCaughtUp(wctx, p.syncConf); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if e, _ := p.layout.Get(ctx, p.layout.NodeKey(id)); e == nil || e.Kind != cdc.KindRow {
				t.Fatalf("after the wait, node %d's change is not in Redis yet: %+v", id, e)
			}
		}
		if err := p.rdb.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		// Nothing from before the truncation comes back: not the quota the
		// uploads charged, not the files.
		if q, err := b.quotas.Get(ctx, owner, 1<<30); err != nil || q.Used != 0 || q.Limit != 1<<30 {
			t.Fatalf("usage after the reset: %+v, %v; want nothing used of the default", q, err)
		}
		if n, err := b.nodes.Get(ctx, owner, ids[0]); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("node %d after the reset: %+v, %v; want not found", ids[0], n, err)
		}
		// A fresh drive: the same ids again (every one the old rows had),
		// other rows.
		last := ids[len(ids)-1]
		for i := 0; ; i++ {
			n, err := a.mkdir(ctx, owner, 0, fmt.Sprintf("new-%d", i))
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 && n.ID > ids[0] {
				t.Fatalf("the truncated table handed out id %d first: no id is used again", n.ID)
			}
			if got := name(t, b, n.ID); got != n.Name {
				t.Fatalf("id %d after the reset reads %q, want %q", n.ID, got, n.Name)
			}
			if n.ID >= last {
				caughtUp(t, p.layout.NodeKey(n.ID), 1)
				break
			}
		}
		converged(t, biz.ListQuery{Owner: owner, OrderBy: biz.OrderName, Limit: 100})
	})
}
