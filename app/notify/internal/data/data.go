// Package data implements the notify service's ports: notifications in
// MySQL or SQLite through gorm (a unique (event, recipient) index makes
// handling idempotent), the user service over gRPC, and SMTP through go-mail.
package data

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"
	"gorm.io/gorm"

	"clouddrive/app/notify/internal/conf"
	"clouddrive/pkg/database"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(NewData, NewNotificationRepo, NewMailRepo, NewMailer)

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
		log.NewHelper(logger).Info("notify data closed")
	}, nil
}

// Migrate creates or updates the tables.
func Migrate(db *gorm.DB) error {
	return database.Migrate(db, &notificationModel{})
}
