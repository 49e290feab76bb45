// Package data implements the storage service's repos with gorm, its blob
// backends (local disk, S3/MinIO, Tencent COS) and its client of the file
// service.
package data

import (
	"context"
	"errors"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"
	"gorm.io/gorm"

	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/conf"
	"clouddrive/pkg/database"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(NewData, NewUploadRepo, NewBlobRepo, NewBlobStore)

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
		log.NewHelper(logger).Info("storage data closed")
	}, nil
}

// Migrate creates or updates the tables.
func Migrate(db *gorm.DB) error {
	return database.Migrate(db, &uploadModel{}, &chunkModel{}, &blobModel{})
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
