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

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/pkg/database"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(NewData, NewUploadRepo, NewBlobRepo, NewBlobStore, NewChunkIndex, NewThumbCache, NewThumbnailer,
	wire.Bind(new(biz.ThumbCache), new(*ThumbCache)), wire.Bind(new(biz.Thumbnailer), new(*Thumbnailer)))

// Data holds the connections.
type Data struct {
	DB    *gorm.DB
	Redis redis.UniversalClient // nil on one machine
	// Prefix of every Redis key.
	Prefix string
}

// NewData opens the database and creates the tables, and Redis when
// configured.
func NewData(c *confv1.Data, logger log.Logger) (*Data, func(), error) {
	d, cleanup, err := database.OpenData(c, Migrate, "storage", logger)
	if err != nil {
		return nil, nil, err
	}
	return &Data{DB: d.DB, Redis: d.Redis, Prefix: d.Prefix}, cleanup, nil
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
