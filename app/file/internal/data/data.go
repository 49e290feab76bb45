// Package data implements the file service's repos with gorm on MySQL or
// SQLite: the node tree (recursive CTEs, which both speak), quotas with a
// conditional update, and the event outbox.
package data

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"
	"gorm.io/gorm"

	"clouddrive/app/file/internal/biz"
	"clouddrive/app/file/internal/conf"
	"clouddrive/pkg/database"
	"clouddrive/pkg/events"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(NewData, NewTransaction, NewNodeRepo, NewQuotaRepo, NewOutboxRepo, NewRelay)

// NewRelay publishes this service's outbox.
func NewRelay(d *Data, pub events.Publisher, logger log.Logger) *events.Relay {
	return events.NewRelay(d.DB, pub, events.RelayOptions{}, logger)
}

// Data holds the connection.
type Data struct {
	DB *gorm.DB
}

// NewData opens the database and creates the tables.
func NewData(c *conf.Data, logger log.Logger) (*Data, func(), error) {
	db, err := database.Open(database.Config{Driver: c.GetDatabase().GetDriver(), Source: c.GetDatabase().GetSource()})
	if err != nil {
		return nil, nil, err
	}
	if err := Migrate(db); err != nil {
		return nil, nil, err
	}
	return &Data{DB: db}, func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
		log.NewHelper(logger).Info("file data closed")
	}, nil
}

// Migrate creates or updates the tables.
func Migrate(db *gorm.DB) error {
	return database.Migrate(db, &nodeModel{}, &quotaModel{}, &events.OutboxRecord{})
}

type txKey struct{}

// db is the transaction in ctx, or the pool.
func (d *Data) db(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return tx
	}
	return d.DB.WithContext(ctx)
}

type transaction struct{ d *Data }

// NewTransaction returns the biz.Transaction over d.
func NewTransaction(d *Data) biz.Transaction { return &transaction{d: d} }

// InTx runs fn in a transaction (joining one already in ctx). A deadlock or
// lock timeout, which InnoDB may answer to racing writers, retries the whole
// transaction a few times.
func (t *transaction) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx)
	}
	var opts []*sql.TxOptions
	if t.d.DB.Dialector.Name() == "mysql" {
		// READ COMMITTED: each statement sees what racing writers committed
		// (a folder's children once its lock is held, the names taken by
		// the time of an auto-rename round), and InnoDB takes no gap locks.
		opts = append(opts, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	}
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		err = t.d.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return fn(context.WithValue(ctx, txKey{}, tx))
		}, opts...)
		if !retryable(err) {
			return err
		}
		// Jitter, so that writers that deadlocked together do not retry in step.
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

// mapErr turns driver errors into the errors biz knows.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return biz.ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return biz.ErrDuplicate
	}
	return err
}

// escapeLike makes % and _ literal in a LIKE pattern ('!' escapes).
func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// chunks splits ids so that IN lists stay short.
func chunks(ids []int64, n int) [][]int64 {
	var out [][]int64
	for len(ids) > n {
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}
