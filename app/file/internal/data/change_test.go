package data_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	v1 "clouddrive/api/file/v1"
	"clouddrive/app/file/internal/biz"
	"clouddrive/app/file/internal/data"
	"clouddrive/pkg/events"
)

var cursorReset = reason{"CURSOR_RESET", v1.IsCursorReset}

// feed is the change use case over f's database, woken by a hub that the
// outbox's events reach through a relay and a bus, as in the standalone
// binary. Its DB poll is an hour: a waiter that wakes did not poll.
type feed struct {
	uc    *biz.ChangeUsecase
	hub   *data.ChangeHub
	relay *events.Relay
}

func (f *fx) feed() *feed {
	d := &data.Data{DB: f.db}
	logger := log.NewStdLogger(io.Discard)
	hub := data.NewChangeHub()
	bus := events.NewBus()
	bus.SubscribeAs("file-changes", events.TopicFile, hub.Handle)
	p := *f.policy
	p.ChangesPollInterval = time.Hour
	return &feed{hub: hub, relay: events.NewRelay(f.db, bus, events.RelayOptions{Name: "test"}, logger),
		uc: biz.NewChangeUsecase(data.NewChangeRepo(d), data.NewChangeWaker(hub), &p, biz.Clock(f.clock.Now), logger)}
}

func (f *fx) changes(fd *feed, owner, after int64) []*biz.Change {
	f.t.Helper()
	var out []*biz.Change
	for {
		p, err := fd.uc.List(f.ctx, owner, after, 2, false)
		if err != nil {
			f.t.Fatalf("List(%d, %d): %v", owner, after, err)
		}
		out = append(out, p.Changes...)
		after = p.Next
		if !p.HasMore {
			return out
		}
	}
}

func TestChangeFeedRecordsEveryChange(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		fd := f.feed()
		docs := f.mkdir(alice, 0, "docs")
		a := f.write(alice, docs.ID, "a.txt", "a0", 3)
		f.write(alice, docs.ID, "a.txt", "a1", 4)
		_, err := f.node.Rename(f.ctx, alice, a.ID, "b.txt", false)
		ok(t, "Rename", err)
		arch := f.mkdir(alice, 0, "arch")
		_, err = f.node.Move(f.ctx, alice, []int64{docs.ID}, arch.ID, false)
		ok(t, "Move", err)
		_, err = f.node.Copy(f.ctx, alice, []int64{a.ID}, 0, false)
		ok(t, "Copy", err)
		_, vs, _ := f.node.ListVersions(f.ctx, alice, a.ID)
		_, err = f.node.RestoreVersion(f.ctx, alice, a.ID, vs[0].ID)
		ok(t, "RestoreVersion", err)
		f.del(alice, docs.ID)
		_, err = f.trash.Restore(f.ctx, alice, []int64{docs.ID})
		ok(t, "Restore", err)
		f.del(alice, docs.ID)
		_, err = f.trash.Purge(f.ctx, alice, []int64{docs.ID})
		ok(t, "Purge", err)

		type row struct {
			typ, path, old, hash string
			size                 int64
		}
		want := []row{
			{"created", "/docs", "", "", 0},
			{"created", "/docs/a.txt", "", hashOf("a0"), 3},
			{"version", "/docs/a.txt", "", hashOf("a1"), 4},
			{"renamed", "/docs/b.txt", "/docs/a.txt", hashOf("a1"), 4},
			{"created", "/arch", "", "", 0},
			{"moved", "/arch/docs", "/docs", "", 0},
			{"created", "/b.txt", "", hashOf("a1"), 4},
			{"version_restored", "/arch/docs/b.txt", "", hashOf("a0"), 3},
			{"trashed", "/arch/docs", "", "", 0},
			{"restored", "/arch/docs", "", "", 0},
			{"trashed", "/arch/docs", "", "", 0},
			// The purge frees the file (3) and its two versions (3 + 4).
			{"purged", "/arch/docs", "", "", 10},
		}
		got := f.changes(fd, alice, 0)
		if len(got) != len(want) {
			t.Fatalf("%d changes, want %d: %+v", len(got), len(want), got)
		}
		for i, c := range got {
			w := want[i]
			if c.Seq != int64(i+1) || biz.ChangeTypeName(c.Type) != w.typ || c.Path != w.path || c.OldPath != w.old ||
				c.ContentHash != w.hash || c.Size != w.size || c.OwnerID != alice {
				t.Errorf("change %d: seq %d %s %q (was %q) %s %d, want %+v", i, c.Seq, biz.ChangeTypeName(c.Type), c.Path,
					c.OldPath, c.ContentHash, c.Size, w)
			}
		}
		// Each event on the outbox carries the position of its change.
		for i, e := range f.events() {
			if e.GetChangeSeq() != int64(i+1) {
				t.Errorf("event %d (%s) has change_seq %d", i, e.GetType(), e.GetChangeSeq())
			}
		}
		// Paging from the middle, and "latest" skips to now.
		if rest := f.changes(fd, alice, 10); len(rest) != 2 || rest[0].Seq != 11 {
			t.Errorf("after 10: %d changes", len(rest))
		}
		p, err := fd.uc.List(f.ctx, alice, 0, 0, true)
		ok(t, "latest", err)
		if p.Next != 12 || len(p.Changes) != 0 {
			t.Errorf("latest: next %d with %d changes, want 12 and none", p.Next, len(p.Changes))
		}
	})
}

func TestChangeFeedIsolationAndRestart(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		fd := f.feed()
		f.mkdir(alice, 0, "a1")
		f.mkdir(bob, 0, "b1")
		f.mkdir(alice, 0, "a2")
		for _, who := range []int64{alice, bob} {
			for _, c := range f.changes(fd, who, 0) {
				if c.OwnerID != who {
					t.Errorf("user %d's feed shows a change of %d: %+v", who, c.OwnerID, c)
				}
			}
		}
		if n := len(f.changes(fd, bob, 0)); n != 1 {
			t.Errorf("bob has %d changes, want 1", n)
		}
		// A position past bob's feed (alice's, say) is not bob's to read.
		_, err := fd.uc.List(f.ctx, bob, 2, 0, false)
		wantReason(t, "bob past his feed", err, cursorReset)

		// A new process on the same database: the cursor goes on.
		cursor := f.changes(fd, alice, 0)[1].Seq
		f.mkdir(alice, 0, "a3")
		again := (&fx{t: t, ctx: context.Background(), db: f.db, policy: f.policy, clock: f.clock}).feed()
		got := f.changes(again, alice, cursor)
		if len(got) != 1 || got[0].Path != "/a3" || got[0].Seq != 3 {
			t.Errorf("after a restart: %+v", got)
		}
	})
}

func TestChangeFeedPruneResetsOldCursors(t *testing.T) {
	policy := func() *biz.Policy {
		p := defaultPolicy()
		p.ChangeRetention = 24 * time.Hour
		return p
	}
	eachBackendPolicy(t, policy, func(t *testing.T, f *fx) {
		fd := f.feed()
		f.mkdir(alice, 0, "old1")
		f.mkdir(alice, 0, "old2")
		f.mkdir(bob, 0, "bobs")
		f.clock.Advance(48 * time.Hour)
		f.mkdir(alice, 0, "new")
		n, err := fd.uc.PruneExpired(f.ctx)
		ok(t, "PruneExpired", err)
		if n != 3 {
			t.Errorf("pruned %d, want 3", n)
		}
		_, err = fd.uc.List(f.ctx, alice, 0, 0, false)
		wantReason(t, "a cursor from before the pruning", err, cursorReset)
		_, err = fd.uc.List(f.ctx, alice, 1, 0, false)
		wantReason(t, "a cursor inside the pruned part", err, cursorReset)
		// From the last pruned position on, nothing was lost.
		if got := f.changes(fd, alice, 2); len(got) != 1 || got[0].Path != "/new" {
			t.Errorf("after 2: %+v", got)
		}
		// A fresh cursor (latest) works, and positions go on without a gap.
		p, err := fd.uc.List(f.ctx, bob, 0, 0, true)
		ok(t, "latest", err)
		f.mkdir(bob, 0, "bobs2")
		if got := f.changes(fd, bob, p.Next); len(got) != 1 || got[0].Seq != 2 {
			t.Errorf("bob after the reset: %+v", got)
		}
	})
}

func TestWaitChangesWakesAndTimesOut(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		fd := f.feed()
		f.mkdir(alice, 0, "x")
		// Already past the cursor: at once.
		moved, err := fd.uc.Wait(f.ctx, alice, 0, time.Minute)
		ok(t, "Wait behind", err)
		if !moved {
			t.Fatal("a waiter behind the feed did not return at once")
		}
		// A change of bob's does not wake alice's waiter; one of hers does,
		// through the outbox, the relay and the bus (the DB poll is an hour).
		type result struct {
			moved bool
			err   error
		}
		done := make(chan result, 1)
		sub, cancel := fd.hub.Subscribe(alice) // to know when her waiter is woken
		defer cancel()
		go func() {
			m, err := fd.uc.Wait(f.ctx, alice, 1, time.Minute)
			done <- result{m, err}
		}()
		f.mkdir(bob, 0, "y")
		_, err = fd.relay.RunOnce(f.ctx)
		ok(t, "relay bob's event", err)
		select {
		case r := <-done:
			t.Fatalf("alice's waiter returned on bob's change: %+v", r)
		default:
		}
		f.mkdir(alice, 0, "z")
		_, err = fd.relay.RunOnce(f.ctx)
		ok(t, "relay alice's event", err)
		<-sub
		if r := <-done; r.err != nil || !r.moved {
			t.Fatalf("alice's waiter: %+v", r)
		}
		// Nothing happens: a clean "no changes" when the time is up.
		moved, err = fd.uc.Wait(f.ctx, alice, 2, 50*time.Millisecond)
		if err != nil || moved {
			t.Errorf("quiet wait: moved %v, %v", moved, err)
		}
		// The caller going away ends the wait without an error of its own.
		ctx, stop := context.WithTimeout(f.ctx, 50*time.Millisecond)
		defer stop()
		moved, err = fd.uc.Wait(ctx, alice, 2, time.Minute)
		if err != nil || moved {
			t.Errorf("wait past the caller's deadline: moved %v, %v", moved, err)
		}
		// A pruned or foreign position is a reset, not a wait.
		_, err = fd.uc.Wait(f.ctx, alice, 99, time.Minute)
		wantReason(t, "wait past the feed", err, cursorReset)
	})
}
