package database

import (
	"context"
	"errors"
	"slices"
	"testing"

	"gorm.io/gorm"

	"clouddrive/pkg/testkit"
)

// Open prepares each statement once per connection, on both databases, and
// the transactor's transactions run on those statements: a write in one
// commits, and a failing function rolls its write back.
func TestOpenPreparesStatements(t *testing.T) {
	for _, driver := range []string{"sqlite", "mysql"} {
		t.Run(driver, func(t *testing.T) {
			src := testkit.SQLite(t)
			if driver == "mysql" {
				src = testkit.MySQL(t)
			}
			db, err := Open(Config{Driver: driver, Source: src})
			if err != nil {
				t.Fatal(err)
			}
			sqlDB, err := db.DB()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = sqlDB.Close() })
			type PrepRow struct {
				ID int64
				V  int
			}
			if err := Migrate(db, &PrepRow{}); err != nil {
				t.Fatal(err)
			}
			// The counting plugin wraps the pool gorm prepares on.
			cp, ok := db.ConnPool.(*countingPool)
			if !ok {
				t.Fatalf("connection pool is %T, want *countingPool", db.ConnPool)
			}
			pool, ok := cp.ConnPool.(*gorm.PreparedStmtDB)
			if !ok {
				t.Fatalf("counted pool is %T, want *gorm.PreparedStmtDB", cp.ConnPool)
			}

			ctx := context.Background()
			tr := NewTransactor(db)
			if err := tr.InTx(ctx, func(ctx context.Context) error {
				return Conn(ctx, db).Create(&PrepRow{V: 1}).Error
			}); err != nil {
				t.Fatal(err)
			}
			boom := errors.New("boom")
			if err := tr.InTx(ctx, func(ctx context.Context) error {
				if err := Conn(ctx, db).Create(&PrepRow{V: 2}).Error; err != nil {
					return err
				}
				return boom
			}); !errors.Is(err, boom) {
				t.Fatalf("InTx = %v, want %v", err, boom)
			}
			var vs []int
			if err := db.Model(&PrepRow{}).Order("v").Pluck("v", &vs).Error; err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(vs, []int{1}) {
				t.Errorf("rows %v, want [1] (the failed transaction's row rolled back)", vs)
			}
			cached := pool.Stmts.Keys()
			if !slices.ContainsFunc(cached, func(q string) bool { return len(q) > 6 && q[:6] == "INSERT" }) {
				t.Errorf("no INSERT among the prepared statements %q", cached)
			}
		})
	}
}
