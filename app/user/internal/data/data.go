// Package data implements the user service's repos with gorm (MySQL or
// SQLite), its rate limiter with Redis (or memory), and its ports to the
// outside: code senders and the GitHub provider.
package data

import (
	"context"
	"errors"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/user/internal/biz"
	"clouddrive/pkg/database"
	"clouddrive/pkg/ratelimit"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(
	NewData, NewLimiter,
	NewUserRepo, NewSessionRepo, NewCodeRepo, NewOAuthRepo, NewAppPasswordRepo,
	NewCodeSender, NewGitHubProvider,
)

// Data holds the connections.
type Data struct {
	DB    *gorm.DB
	Redis redis.UniversalClient // nil on one machine
	// Prefix of every Redis key.
	Prefix string
}

// NewData opens the database (creating the tables) and Redis when configured.
func NewData(c *confv1.Data, logger log.Logger) (*Data, func(), error) {
	d, cleanup, err := database.OpenData(c, Migrate, "user", logger)
	if err != nil {
		return nil, nil, err
	}
	return &Data{DB: d.DB, Redis: d.Redis, Prefix: d.Prefix}, cleanup, nil
}

// Migrate creates or updates the tables.
func Migrate(db *gorm.DB) error {
	return database.Migrate(db, &userModel{}, &sessionModel{}, &refreshTokenModel{}, &loginCodeModel{},
		&oauthLinkModel{}, &oauthTicketModel{}, &appPasswordModel{})
}

// NewLimiter counts in Redis when there is one, else in memory.
func NewLimiter(d *Data) ratelimit.Limiter {
	if d.Redis != nil {
		return ratelimit.NewRedis(d.Redis, d.Prefix)
	}
	return ratelimit.NewMemory()
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

func (d *Data) db(ctx context.Context) *gorm.DB { return d.DB.WithContext(ctx) }
