// Package data implements the file service's repos with gorm on MySQL or
// SQLite: the node tree (recursive CTEs, which both speak), quotas with a
// conditional update, and the event outbox.
package data

import (
	"context"
	"errors"
	"strings"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"
	"gorm.io/gorm"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/database"
	"clouddrive/pkg/events"
)

// ProviderSet is data providers. The transaction and the node and quota
// repos read through the Redis cache when it is on (cache.go).
var ProviderSet = wire.NewSet(NewData, NewCache, ProvideTransaction, ProvideNodeRepo, ProvideQuotaRepo, NewOutboxRepo, NewRelay,
	NewChangeRepo, ProvideVersionRepo, NewChangeHub, NewChangeWaker)

// NewRelay publishes this service's outbox.
func NewRelay(d *Data, pub events.Publisher, logger log.Logger) *events.Relay {
	return events.NewRelay(d.DB, pub, events.RelayOptions{Name: "file"}, logger)
}

// Data holds the connection.
type Data struct {
	DB *gorm.DB
}

// NewData opens the database and creates the tables.
func NewData(c *confv1.Data, logger log.Logger) (*Data, func(), error) {
	d, cleanup, err := database.OpenData(c, Migrate, "file", logger)
	if err != nil {
		return nil, nil, err
	}
	return &Data{DB: d.DB}, cleanup, nil
}

// Migrate creates or updates the tables.
func Migrate(db *gorm.DB) error {
	return database.Migrate(db, &nodeModel{}, &quotaModel{}, &events.OutboxRecord{},
		&changeHeadModel{}, &changeModel{}, &versionModel{})
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
