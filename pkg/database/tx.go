package database

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/go-sql-driver/mysql"
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
	return retry(ctx, 10, func() error {
		return t.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return fn(context.WithValue(ctx, txKey{}, tx))
		}, opts...)
	})
}

// Transaction is InTx for a repo that wants the transaction itself: fn gets
// it as a *gorm.DB. A repo's own multi-statement writes go through here, not
// gorm's db.Transaction: that one runs at MySQL's REPEATABLE READ, where an
// UPDATE that finds no row gap-locks and a concurrent INSERT into the gap
// deadlocks, and it does not retry the loser.
func Transaction(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	return NewTransactor(db).InTx(ctx, func(ctx context.Context) error { return fn(Conn(ctx, db)) })
}

// Retry runs a one-statement write (outside InTx) again when it lost a
// deadlock, timed out on a lock or found SQLite busy, as InTx does for a
// whole transaction.
func Retry(ctx context.Context, fn func() error) error { return retry(ctx, 5, fn) }

func retry(ctx context.Context, attempts int, fn func() error) error {
	var err error
	for attempt := 0; attempt < attempts; attempt++ {
		if err = fn(); !Retryable(err) || ctx.Err() != nil {
			return err
		}
		// Jitter, so that writers that collided do not retry in step.
		time.Sleep(time.Duration(attempt+1)*5*time.Millisecond + rand.N(10*time.Millisecond))
	}
	return err
}

// MySQL's error numbers for a deadlock victim and a lock wait timeout;
// SQLite's result codes for a busy or locked database.
const (
	mysqlDeadlock    = 1213
	mysqlLockTimeout = 1205
	sqliteBusy       = 5
	sqliteLocked     = 6
)

// Retryable reports whether err is a lost lock race worth running again,
// by the driver's error number (never the message, which varies).
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == mysqlDeadlock || me.Number == mysqlLockTimeout
	}
	var se interface{ Code() int }
	if errors.As(err, &se) {
		c := se.Code() & 0xff // extended codes keep the primary in the low byte
		return c == sqliteBusy || c == sqliteLocked
	}
	return false
}
