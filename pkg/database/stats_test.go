package database

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"clouddrive/pkg/telemetry"
	"clouddrive/pkg/testkit"
)

// The counters see every statement and every transaction: a write outside
// a transaction is one, a transaction of several statements is one, reads
// outside a transaction are none; prepared or not.
func TestStatementsAndTransactionsCounted(t *testing.T) {
	for _, prepared := range []bool{false, true} {
		name := "stats-test-" + testkit.Random(t, 8)
		db, err := Open(Config{Driver: "sqlite", Source: testkit.SQLite(t), Name: name})
		if err != nil {
			t.Fatal(err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sqlDB.Close() })
		type Row struct {
			ID int64
			V  int
		}
		if err := db.AutoMigrate(&Row{}); err != nil {
			t.Fatal(err)
		}
		if prepared {
			db = db.Session(&gorm.Session{PrepareStmt: true})
		}
		stmts := func() float64 { return counted(t, "clouddrive_db_statements_total", name) }
		txs := func() float64 { return counted(t, "clouddrive_db_transactions_total", name) }
		s0, t0 := stmts(), txs()

		ctx := context.Background()
		if err := db.WithContext(ctx).Session(&gorm.Session{SkipDefaultTransaction: true}).Create(&Row{V: 1}).Error; err != nil {
			t.Fatal(err)
		}
		var got Row
		if err := db.WithContext(ctx).First(&got).Error; err != nil {
			t.Fatal(err)
		}
		if err := NewTransactor(db).InTx(ctx, func(ctx context.Context) error {
			if err := Conn(ctx, db).Create(&Row{V: 2}).Error; err != nil {
				return err
			}
			return Conn(ctx, db).Model(&Row{}).Where("v = ?", 2).Update("v", 3).Error
		}); err != nil {
			t.Fatal(err)
		}
		// A write in gorm's own transaction.
		if err := db.WithContext(ctx).Create(&Row{V: 4}).Error; err != nil {
			t.Fatal(err)
		}
		if s, x := stmts()-s0, txs()-t0; s != 5 || x != 3 {
			t.Errorf("prepared %v: %v statements in %v transactions, want 5 in 3", prepared, s, x)
		}
	}
}

// counted sums the counter family's series of database db.
func counted(t *testing.T, family, db string) float64 {
	t.Helper()
	fs, err := telemetry.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, f := range fs {
		if f.GetName() != family {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "db" && l.GetValue() == db {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}
