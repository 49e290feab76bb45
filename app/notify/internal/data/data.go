// Package data implements the notify service's ports: notifications in
// MySQL or SQLite through gorm (a unique (event, recipient) index makes
// handling idempotent), the user service over gRPC, and SMTP through go-mail.
package data

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"
	"gorm.io/gorm"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/pkg/database"
)

// ProviderSet is data providers.
var ProviderSet = wire.NewSet(NewData, NewNotificationRepo, NewMailRepo, NewMailer)

// Data holds the connection.
type Data struct {
	DB *gorm.DB
}

// NewData opens the database and creates the tables.
func NewData(c *confv1.Data, logger log.Logger) (*Data, func(), error) {
	d, cleanup, err := database.OpenData(c, Migrate, "notify", logger)
	if err != nil {
		return nil, nil, err
	}
	return &Data{DB: d.DB}, cleanup, nil
}

// Migrate creates or updates the tables.
func Migrate(db *gorm.DB) error {
	return database.Migrate(db, &notificationModel{})
}
