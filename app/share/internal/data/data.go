// Package data implements the share service's repos with gorm (MySQL or
// SQLite), its limiter with Redis (or memory), the event outbox, and its
// clients of the file, storage and user services over gRPC.
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
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"clouddrive/app/share/internal/biz"
	"clouddrive/app/share/internal/conf"
	"clouddrive/pkg/database"
	"clouddrive/pkg/events"
	"clouddrive/pkg/ratelimit"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(NewData, NewTransaction, NewShareRepo, NewOutboxRepo, NewLimiter, NewRelay)

// Data holds the connections.
type Data struct {
	DB    *gorm.DB
	Redis redis.UniversalClient // nil on one machine
	// Prefix of every Redis key.
	Prefix string
}

// NewData opens the database (creating the tables) and Redis when configured.
func NewData(c *conf.Data, logger log.Logger) (*Data, func(), error) {
	db, err := database.Open(database.Config{Driver: c.GetDatabase().GetDriver(), Source: c.GetDatabase().GetSource()})
	if err != nil {
		return nil, nil, err
	}
	if err := Migrate(db); err != nil {
		if sqlDB, e := db.DB(); e == nil {
			_ = sqlDB.Close()
		}
		return nil, nil, err
	}
	d := &Data{DB: db, Prefix: c.GetRedis().GetPrefix()}
	if addr := c.GetRedis().GetAddr(); addr != "" {
		d.Redis = redis.NewClient(&redis.Options{Addr: addr, Password: c.GetRedis().GetPassword(), DB: int(c.GetRedis().GetDb())})
	}
	return d, func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
		if d.Redis != nil {
			_ = d.Redis.Close()
		}
		log.NewHelper(logger).Info("share data closed")
	}, nil
}

// Migrate creates or updates the tables.
func Migrate(db *gorm.DB) error {
	return database.Migrate(db, &shareModel{}, &events.OutboxRecord{})
}

// NewLimiter counts in Redis when there is one, else in memory.
func NewLimiter(d *Data) ratelimit.Limiter {
	if d.Redis != nil {
		return ratelimit.NewRedis(d.Redis, d.Prefix)
	}
	return ratelimit.NewMemory()
}

// NewRelay publishes this service's outbox.
func NewRelay(d *Data, pub events.Publisher, logger log.Logger) *events.Relay {
	return events.NewRelay(d.DB, pub, events.RelayOptions{}, logger)
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

// InTx runs fn in a transaction (joining one already in ctx); a deadlock,
// a lock timeout or a busy SQLite retries it a few times.
func (t *transaction) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx)
	}
	var opts []*sql.TxOptions
	if t.d.DB.Dialector.Name() == "mysql" {
		opts = append(opts, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = t.d.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
