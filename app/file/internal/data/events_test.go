package data_test

import (
	"context"
	"testing"

	eventsv1 "clouddrive/api/events/v1"
	"clouddrive/app/file/internal/biz"
)

// Every change writes exactly one outbox row per changed top node, in the
// transaction of the change; a failed change writes none.
func TestOutboxEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		f.setLimit(alice, 350)
		var dir, sub, a, b *biz.Node
		type step struct {
			name  string
			do    func(ctx context.Context) error
			rows  int64
			types []eventsv1.FileEvent_Type
			fail  reason // set when the step must fail
		}
		E := eventsv1.FileEvent_CREATED
		steps := []step{
			{name: "mkdir", rows: 1, types: []eventsv1.FileEvent_Type{E}, do: func(ctx context.Context) (err error) {
				dir, err = f.node.Mkdir(ctx, alice, 0, "dir", false)
				return err
			}},
			{name: "mkdir sub", rows: 1, types: []eventsv1.FileEvent_Type{E}, do: func(ctx context.Context) (err error) {
				sub, err = f.node.Mkdir(ctx, alice, dir.ID, "sub", false)
				return err
			}},
			{name: "create a", rows: 1, types: []eventsv1.FileEvent_Type{E}, do: func(ctx context.Context) (err error) {
				a, err = f.node.CreateFile(ctx, biz.NewFile{Owner: alice, Parent: sub.ID, Name: "a", Size: 100, ContentHash: hashOf("a")})
				return err
			}},
			{name: "create b", rows: 1, types: []eventsv1.FileEvent_Type{E}, do: func(ctx context.Context) (err error) {
				b, err = f.node.CreateFile(ctx, biz.NewFile{Owner: alice, Parent: 0, Name: "b", Size: 100, ContentHash: hashOf("b")})
				return err
			}},
			{name: "mkdir conflict", fail: nameConflict, do: func(ctx context.Context) error {
				return errOf(f.node.Mkdir(ctx, alice, 0, "DIR", false))
			}},
			{name: "create over quota", fail: quotaExceeded, do: func(ctx context.Context) error {
				return errOf(f.node.CreateFile(ctx, biz.NewFile{Owner: alice, Name: "huge", Size: 151}))
			}},
			{name: "create conflict after charging", fail: nameConflict, do: func(ctx context.Context) error {
				return errOf(f.node.CreateFile(ctx, biz.NewFile{Owner: alice, Name: "B", Size: 10}))
			}},
			{name: "rename", rows: 1, types: []eventsv1.FileEvent_Type{eventsv1.FileEvent_RENAMED}, do: func(ctx context.Context) error {
				return errOf(f.node.Rename(ctx, alice, b.ID, "bee", false))
			}},
			{name: "rename to itself", do: func(ctx context.Context) error {
				return errOf(f.node.Rename(ctx, alice, b.ID, "bee", false))
			}},
			{name: "rename conflict", fail: nameConflict, do: func(ctx context.Context) error {
				return errOf(f.node.Rename(ctx, alice, b.ID, "Dir", false))
			}},
			{name: "move two", rows: 2, types: []eventsv1.FileEvent_Type{eventsv1.FileEvent_MOVED, eventsv1.FileEvent_MOVED}, do: func(ctx context.Context) error {
				return errOf(f.node.Move(ctx, alice, []int64{a.ID, b.ID}, dir.ID, false))
			}},
			{name: "move in place", do: func(ctx context.Context) error {
				return errOf(f.node.Move(ctx, alice, []int64{a.ID}, dir.ID, false))
			}},
			{name: "move into self", fail: moveIntoSelf, do: func(ctx context.Context) error {
				return errOf(f.node.Move(ctx, alice, []int64{dir.ID}, sub.ID, false))
			}},
			{name: "copy folder", rows: 1, types: []eventsv1.FileEvent_Type{eventsv1.FileEvent_COPIED}, do: func(ctx context.Context) error {
				return errOf(f.node.Copy(ctx, alice, []int64{sub.ID}, 0, false)) // sub is empty now
			}},
			{name: "copy over quota", fail: quotaExceeded, do: func(ctx context.Context) error {
				return errOf(f.node.Copy(ctx, alice, []int64{dir.ID}, 0, true)) // 200 + 200 > 350
			}},
			{name: "delete folder", rows: 1, types: []eventsv1.FileEvent_Type{eventsv1.FileEvent_TRASHED}, do: func(ctx context.Context) error {
				return errOf(f.trash.Delete(ctx, alice, []int64{dir.ID}))
			}},
			{name: "delete again", do: func(ctx context.Context) error {
				return errOf(f.trash.Delete(ctx, alice, []int64{dir.ID}))
			}},
			{name: "restore", rows: 1, types: []eventsv1.FileEvent_Type{eventsv1.FileEvent_RESTORED}, do: func(ctx context.Context) error {
				return errOf(f.trash.Restore(ctx, alice, []int64{dir.ID}))
			}},
			{name: "restore live", fail: notInTrash, do: func(ctx context.Context) error {
				return errOf(f.trash.Restore(ctx, alice, []int64{dir.ID}))
			}},
			{name: "delete two", rows: 2, types: []eventsv1.FileEvent_Type{eventsv1.FileEvent_TRASHED, eventsv1.FileEvent_TRASHED}, do: func(ctx context.Context) error {
				return errOf(f.trash.Delete(ctx, alice, []int64{a.ID, dir.ID}))
			}},
			{name: "purge", rows: 1, types: []eventsv1.FileEvent_Type{eventsv1.FileEvent_PURGED}, do: func(ctx context.Context) error {
				return errOf(f.trash.Purge(ctx, alice, []int64{dir.ID}))
			}},
			{name: "purge a live and a trashed", fail: notInTrash, do: func(ctx context.Context) error {
				return errOf(f.trash.Purge(ctx, alice, []int64{a.ID, f.mustRoot("sub").ID}))
			}},
			{name: "empty", rows: 1, types: []eventsv1.FileEvent_Type{eventsv1.FileEvent_PURGED}, do: func(ctx context.Context) error {
				return errOf(f.trash.Empty(ctx, alice))
			}},
		}
		for _, s := range steps {
			before := f.snapshot()
			err := s.do(ctx)
			if s.fail.name != "" {
				wantReason(t, s.name, err, s.fail)
				f.sameAs(s.name+" (failed)", before)
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			evs := f.events()
			got := int64(len(evs)) - before.Outbox
			if got != s.rows {
				t.Errorf("%s wrote %d outbox rows, want %d", s.name, got, s.rows)
				continue
			}
			for i, e := range evs[before.Outbox:] {
				if e.GetType() != s.types[i] || e.GetOwnerId() != alice || e.GetEventId() == "" || e.GetOccurredAt() == 0 {
					t.Errorf("%s: event %d = %v, want type %v", s.name, i, e, s.types[i])
				}
			}
		}

		// Payloads carry what consumers need.
		evs := f.events()
		ids := map[string]bool{}
		for _, e := range evs {
			if ids[e.GetEventId()] {
				t.Errorf("event id %s repeated", e.GetEventId())
			}
			ids[e.GetEventId()] = true
		}
		first := evs[0]
		if first.GetNodeId() != dir.ID || first.GetName() != "dir" || first.GetKind() != "folder" || first.GetCount() != 1 {
			t.Errorf("mkdir event = %v", first)
		}
		var trashedDir []int64
		for _, e := range evs {
			switch e.GetType() {
			case eventsv1.FileEvent_TRASHED:
				if e.GetNodeId() == dir.ID {
					trashedDir = append(trashedDir, e.GetCount())
				}
			case eventsv1.FileEvent_PURGED:
				if e.GetNodeId() == dir.ID && (e.GetCount() != 3 || e.GetSize() != 100) {
					t.Errorf("purged event of dir = %v, want 3 nodes, 100 bytes", e)
				}
			}
		}
		// dir held sub, a and bee the first time; a was trashed on its own the second.
		if len(trashedDir) != 2 || trashedDir[0] != 4 || trashedDir[1] != 3 {
			t.Errorf("trashed events of dir count %v nodes, want [4 3]", trashedDir)
		}
	})
}

// mustRoot finds a live node of alice's root by name.
func (f *fx) mustRoot(name string) *biz.Node {
	f.t.Helper()
	for _, n := range f.listAll(alice, 0, biz.OrderName, false, 1000) {
		if n.Name == name {
			return n
		}
	}
	f.t.Fatalf("no %q at alice's root", name)
	return nil
}

// QUOTA_WARNING is written once, when usage crosses the warning line.
func TestQuotaWarning(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		f.setLimit(alice, 1000) // warning line: 900
		warnings := func() (n int, last *eventsv1.FileEvent) {
			for _, e := range f.events() {
				if e.GetType() == eventsv1.FileEvent_QUOTA_WARNING {
					n++
					last = e
				}
			}
			return n, last
		}
		steps := []struct {
			size     int64
			fail     bool
			warnings int
			rows     int64 // outbox rows written
		}{
			{size: 500, warnings: 0, rows: 1},
			{size: 300, warnings: 0, rows: 1},    // 800
			{size: 99, warnings: 0, rows: 1},     // 899
			{size: 201, fail: true, warnings: 0}, // 1100: refused
			{size: 1, warnings: 1, rows: 2},      // 900: crosses
			{size: 50, warnings: 1, rows: 1},     // 950: already above
			{size: 51, fail: true, warnings: 1},  // 1001: refused
			{size: 50, warnings: 1, rows: 1},     // 1000: exactly full
			{size: 1, fail: true, warnings: 1},
		}
		var files []*biz.Node
		for i, s := range steps {
			rows := f.outboxRows()
			n, err := f.node.CreateFile(ctx, biz.NewFile{Owner: alice, Name: "f" + string(rune('a'+i)), Size: s.size})
			if s.fail {
				wantReason(t, "create over quota", err, quotaExceeded)
			} else {
				ok(t, "create", err)
				files = append(files, n)
			}
			if got, _ := warnings(); got != s.warnings {
				t.Errorf("step %d (+%d): %d warnings, want %d", i, s.size, got, s.warnings)
			}
			if got := f.outboxRows() - rows; got != s.rows {
				t.Errorf("step %d (+%d): %d outbox rows, want %d", i, s.size, got, s.rows)
			}
		}
		_, w := warnings()
		if w.GetUsedBytes() != 900 || w.GetLimitBytes() != 1000 || w.GetOwnerId() != alice {
			t.Errorf("warning = %v, want used 900 of 1000", w)
		}
		if got := f.used(alice); got != 1000 {
			t.Errorf("usage = %d, want 1000", got)
		}
		// Back below the line (purge), then across again: a new warning.
		f.del(alice, files[0].ID)
		_, err := f.trash.Purge(ctx, alice, []int64{files[0].ID})
		ok(t, "purge", err)
		if got := f.used(alice); got != 500 {
			t.Errorf("usage after purge = %d, want 500", got)
		}
		// A copy crosses it too.
		_, err = f.node.Copy(ctx, alice, []int64{files[1].ID, files[3].ID, files[4].ID}, 0, true) // 300+1+50 → 851
		ok(t, "copy", err)
		if got, _ := warnings(); got != 1 {
			t.Errorf("warnings at 851 = %d, want 1", got)
		}
		_, err = f.node.Copy(ctx, alice, []int64{files[2].ID}, 0, true) // +99 → 950
		ok(t, "copy", err)
		if got, w := warnings(); got != 2 || w.GetUsedBytes() != 950 {
			t.Errorf("warnings after crossing by copy = %d (%v), want 2", got, w)
		}
		// Usage of someone without a quota row is the default limit.
		if q, err := f.quota.Usage(ctx, 999); err != nil || q.Used != 0 || q.Limit != f.policy.DefaultQuota {
			t.Errorf("Usage(new user) = %+v, %v", q, err)
		}
		// A limit below usage refuses new bytes and deletes nothing.
		f.setLimit(alice, 10)
		_, err = f.node.CreateFile(ctx, biz.NewFile{Owner: alice, Name: "more", Size: 1})
		wantReason(t, "create under a lowered limit", err, quotaExceeded)
		if _, err := f.node.CreateFile(ctx, biz.NewFile{Owner: alice, Name: "empty", Size: 0}); err != nil {
			t.Errorf("an empty file under a lowered limit: %v", err)
		}
		if got := f.used(alice); got != 950 {
			t.Errorf("usage under a lowered limit = %d, want 950", got)
		}
	})
}
