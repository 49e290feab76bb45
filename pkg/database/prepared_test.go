package database

import (
	"context"
	"errors"
	"slices"
	"testing"

	"gorm.io/gorm"

	"clouddrive/pkg/testkit"
)

// On SQLite, Open prepares each statement once per connection; on MySQL it
// prepares none on the server (the driver interpolates the arguments: one
// round trip, and nothing counted against the server's cap on prepared
// statements). On both, the transactor's transactions commit, and a failing
// function rolls its write back.
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
			pool, prepared := cp.ConnPool.(*gorm.PreparedStmtDB)
			if prepared != (driver == "sqlite") {
				t.Fatalf("counted pool is %T: gorm prepares on sqlite only", cp.ConnPool)
			}

			ctx := context.Background()
			tr := NewTransactor(db)
			if err := tr.InTx(ctx, func(ctx context.Context) error {
				if driver != "mysql" {
					return Conn(ctx, db).Create(&PrepRow{V: 1}).Error
				}
				// One connection: its own count of server-side prepares.
				before := serverPrepares(t, Conn(ctx, db))
				if err := Conn(ctx, db).Create(&PrepRow{V: 1}).Error; err != nil {
					return err
				}
				var n int64
				if err := Conn(ctx, db).Model(&PrepRow{}).Where("v = ?", 1).Count(&n).Error; err != nil {
					return err
				}
				if after := serverPrepares(t, Conn(ctx, db)); after != before {
					t.Errorf("statements with arguments prepared %d times on the server, want 0", after-before)
				}
				return nil
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
			if prepared {
				cached := pool.Stmts.Keys()
				if !slices.ContainsFunc(cached, func(q string) bool { return len(q) > 6 && q[:6] == "INSERT" }) {
					t.Errorf("no INSERT among the prepared statements %q", cached)
				}
			}
		})
	}
}

// serverPrepares is how many statements MySQL prepared on db's connection.
func serverPrepares(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var row struct {
		VariableName string `gorm:"column:Variable_name"`
		Value        int64  `gorm:"column:Value"`
	}
	if err := db.Raw("SHOW SESSION STATUS LIKE 'Com_stmt_prepare'").Scan(&row).Error; err != nil {
		t.Fatal(err)
	}
	return row.Value
}
