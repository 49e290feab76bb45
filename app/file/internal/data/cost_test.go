package data_test

import (
	"errors"
	"fmt"
	"testing"

	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/telemetry"
)

// A new file in a folder is one transaction of few statements: the
// parent, the quota charge, the node, its path, the feed position, the
// change and the outbox event. SQLite returns the charged quota and the
// feed position from the statements that change them (RETURNING); MySQL
// reads each back. Before: 10 statements on either.
func TestCreateFileStatements(t *testing.T) {
	want := map[string]float64{"sqlite": 7, "mariadb": 9}
	eachBackend(t, func(t *testing.T, f *fx) {
		dir, err := f.node.Mkdir(f.ctx, 1, 0, "d", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.node.CreateFile(f.ctx, biz.NewFile{Owner: 1, Parent: dir.ID, Name: "first", Size: 10}); err != nil {
			t.Fatal(err)
		}
		stmts, txs := dbCounters(t, "db")
		n, err := f.node.CreateFile(f.ctx, biz.NewFile{Owner: 1, Parent: dir.ID, Name: "second", Size: 20})
		if err != nil {
			t.Fatal(err)
		}
		s, x := dbCounters(t, "db")
		if s-stmts != want[f.backend] || x-txs != 1 {
			t.Errorf("%v statements in %v transactions, want %v in 1", s-stmts, x-txs, want[f.backend])
		}
		// What the cut statements returned is right: the feed position
		// follows the first file's, the quota holds both files.
		var seqs []int64
		if err := f.db.Raw("SELECT seq FROM changes WHERE owner_id = 1 ORDER BY seq").Scan(&seqs).Error; err != nil {
			t.Fatal(err)
		}
		if len(seqs) != 3 || seqs[2] != 3 {
			t.Errorf("feed positions %v, want 1, 2, 3", seqs)
		}
		if q, err := f.quota.Usage(f.ctx, 1); err != nil || q.Used != 30 {
			t.Errorf("usage %+v, %v; want 30 bytes", q, err)
		}
		if n.Name != "second" {
			t.Errorf("node %+v", n)
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
