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

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/share/internal/biz"
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
func NewData(c *confv1.Data, logger log.Logger) (*Data, func(), error) {
	d, cleanup, err := database.OpenData(c, Migrate, "share", logger)
	if err != nil {
		return nil, nil, err
	}
	return &Data{DB: d.DB, Redis: d.Redis, Prefix: d.Prefix}, cleanup, nil
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
