package database

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Transactor runs use cases' functions in one transaction that travels in
// the context: repos call Conn(ctx, db) and join it. It satisfies each service's
// biz.Transaction.
type Transactor struct{ db *gorm.DB }

// NewTransactor returns a Transactor over db.
func NewTransactor(db *gorm.DB) *Transactor { return &Transactor{db: db} }

type txKey struct{}

// Conn is the transaction that InTx put in ctx, or db (the pool).
func Conn(ctx context.Context, db *gorm.DB) *gorm.DB {
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return tx
	}
	return db.WithContext(ctx)
}

// InTx runs fn in a transaction (joining one already in ctx). On MySQL it is
// READ COMMITTED: each statement sees what racing writers committed (a
// folder's children once its lock is held, names taken by the time of an
// auto-rename round), and InnoDB takes no gap locks. A deadlock, a lock
// timeout or a busy SQLite retries the whole transaction, with jitter so
// that writers that collided do not retry in step.
func (t *Transactor) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx)
	}
	var opts []*sql.TxOptions
	if t.db.Dialector.Name() == "mysql" {
		opts = append(opts, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	}
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		err = t.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return fn(context.WithValue(ctx, txKey{}, tx))
		}, opts...)
		if !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1)*5*time.Millisecond + rand.N(10*time.Millisecond))
	}
	return err
}

func retryable(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "Error 1213") || strings.Contains(s, "Error 1205") ||
		strings.Contains(s, "database is locked") || strings.Contains(s, "SQLITE_BUSY")
}
