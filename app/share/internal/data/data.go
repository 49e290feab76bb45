// Package data implements the share service's repos with gorm (MySQL or
// SQLite), its limiter with Redis (or memory), the event outbox, and its
// clients of the file, storage and user services over gRPC.
package data

import (
	"context"
	"errors"

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
	return events.NewRelay(d.DB, pub, events.RelayOptions{Name: "share"}, logger)
}

// db is the transaction in ctx, or the pool.
func (d *Data) db(ctx context.Context) *gorm.DB { return database.Conn(ctx, d.DB) }

// NewTransaction returns the biz.Transaction over d.
func NewTransaction(d *Data) biz.Transaction { return database.NewTransactor(d.DB) }

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
