// Package data implements the storage service's repos with gorm, its blob
// backends (local disk, S3/MinIO, Tencent COS) and its client of the file
// service.
package data

import (
	"context"
	"errors"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/conf"
	"clouddrive/pkg/database"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(NewData, NewUploadRepo, NewBlobRepo, NewBlobStore, NewChunkIndex)

// Data holds the connections.
type Data struct {
	DB    *gorm.DB
	Redis redis.UniversalClient // nil on one machine
	// Prefix of every Redis key.
	Prefix string
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
		log.NewHelper(logger).Info("storage data closed")
	}, nil
}

// Migrate creates or updates the tables.
func Migrate(db *gorm.DB) error {
	return database.Migrate(db, &uploadModel{}, &chunkModel{}, &blobModel{}, &proofModel{})
}

func (d *Data) db(ctx context.Context) *gorm.DB { return d.DB.WithContext(ctx) }

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
