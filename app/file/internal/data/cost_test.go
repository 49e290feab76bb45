package data_test

import (
	"errors"
	"fmt"
	"testing"

	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/telemetry"
)

// A new file in a folder is one transaction of few statements: the
// parent, the quota charge, the node, the feed position, the change and
// the outbox event, and the path only below a top folder (a top folder's
// path is its name). SQLite returns the charged quota and the feed
// position from the statements that change them (RETURNING); MySQL reads
// each back. Before: 10 statements on either, at any depth.
func TestCreateFileStatements(t *testing.T) {
	want := map[string]float64{"sqlite": 6, "mariadb": 8}
	eachBackend(t, func(t *testing.T, f *fx) {
		dir, err := f.node.Mkdir(f.ctx, 1, 0, "d", false)
		if err != nil {
			t.Fatal(err)
		}
		sub, err := f.node.Mkdir(f.ctx, 1, dir.ID, "e", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.node.CreateFile(f.ctx, biz.NewFile{Owner: 1, Parent: dir.ID, Name: "first", Size: 10}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			parent int64
			name   string
			stmts  float64
		}{{dir.ID, "second", want[f.backend]}, {sub.ID, "third", want[f.backend] + 1}, {0, "fourth", want[f.backend] - 1}} {
			stmts, txs := dbCounters(t, "db")
			n, err := f.node.CreateFile(f.ctx, biz.NewFile{Owner: 1, Parent: c.parent, Name: c.name, Size: 20})
			if err != nil || n.Name != c.name {
				t.Fatalf("%s: %+v, %v", c.name, n, err)
			}
			s, x := dbCounters(t, "db")
			if s-stmts != c.stmts || x-txs != 1 {
				t.Errorf("%s: %v statements in %v transactions, want %v in 1", c.name, s-stmts, x-txs, c.stmts)
			}
		}
		// What the cut statements returned or left out is right: the feed
		// positions follow each other, the paths are whole, the quota
		// holds every file.
		var changes []struct {
			Seq  int64
			Path string
		}
		if err := f.db.Raw("SELECT seq, path FROM changes WHERE owner_id = 1 ORDER BY seq").Scan(&changes).Error; err != nil {
			t.Fatal(err)
		}
		wantPaths := []string{"/d", "/d/e", "/d/first", "/d/second", "/d/e/third", "/fourth"}
		if len(changes) != len(wantPaths) {
			t.Fatalf("changes %+v, want the paths %v", changes, wantPaths)
		}
		for i, c := range changes {
			if c.Seq != int64(i+1) || c.Path != wantPaths[i] {
				t.Errorf("change %d: %+v, want seq %d, path %s", i, c, i+1, wantPaths[i])
			}
		}
		if q, err := f.quota.Usage(f.ctx, 1); err != nil || q.Used != 70 {
			t.Errorf("usage %+v, %v; want 70 bytes", q, err)
		}
	})
}

// A page of a folder's listing is three statements whatever its size:
// the folder, its folders, its files (no statement per entry).
func TestListStatements(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		dir, err := f.node.Mkdir(f.ctx, 1, 0, "d", false)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 30 {
			if _, err := f.node.CreateFile(f.ctx, biz.NewFile{Owner: 1, Parent: dir.ID, Name: fmt.Sprintf("f%02d", i), Size: 1}); err != nil {
				t.Fatal(err)
			}
		}
		for _, limit := range []int{10, 100} {
			stmts, txs := dbCounters(t, "db")
			p, err := f.node.List(f.ctx, biz.ListQuery{Owner: 1, Parent: dir.ID, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			s, x := dbCounters(t, "db")
			if len(p.Items) != min(limit, 30) || s-stmts != 3 || x-txs != 0 {
				t.Errorf("a page of %d: %d entries in %v statements, %v transactions; want %d in 3, 0",
					limit, len(p.Items), s-stmts, x-txs, min(limit, 30))
			}
		}
	})
}

// Charge creates the quota row on first use, charges within the limit and
// refuses beyond it with the quota as it stood, the row untouched.
func TestQuotaCharge(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		if _, err := f.quotas.Charge(f.ctx, 7, 200, 100); !errors.Is(err, biz.ErrQuotaExceeded) {
			t.Fatalf("a first charge over the limit: %v, want ErrQuotaExceeded", err)
		}
		q, err := f.quotas.Charge(f.ctx, 7, 60, 100)
		if err != nil || q.Used != 60 || q.Limit != 100 || q.OwnerID != 7 {
			t.Fatalf("charge 60: %+v, %v", q, err)
		}
		q, err = f.quotas.Charge(f.ctx, 7, 50, 100)
		if !errors.Is(err, biz.ErrQuotaExceeded) || q == nil || q.Used != 60 || q.Limit != 100 {
			t.Fatalf("charge 50 more: %+v, %v; want ErrQuotaExceeded at 60 of 100", q, err)
		}
		if q, err = f.quotas.Charge(f.ctx, 7, 40, 100); err != nil || q.Used != 100 {
			t.Fatalf("charge 40 more: %+v, %v; want 100 used", q, err)
		}
	})
}

// dbCounters reads pkg/database's statement and transaction counters of
// database db.
func dbCounters(t *testing.T, db string) (stmts, txs float64) {
	t.Helper()
	fs, err := telemetry.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != "db" || l.GetValue() != db {
					continue
				}
				switch f.GetName() {
				case "clouddrive_db_statements_total":
					stmts += m.GetCounter().GetValue()
				case "clouddrive_db_transactions_total":
					txs += m.GetCounter().GetValue()
				}
			}
		}
	}
	return stmts, txs
}
