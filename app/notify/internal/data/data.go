// Package data implements the notify service's ports: notifications in
// MySQL or SQLite through gorm (a unique (event, recipient) index makes
// handling idempotent), the user service over gRPC, and SMTP through go-mail.
package data

import (
	"math/rand/v2"
	"strings"
	"time"

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

// retryDeadlock runs a one-statement write again when InnoDB picked it as a
// deadlock victim or it timed out on a lock (racing writers of one row), or
// SQLite was busy.
func retryDeadlock(fn func() error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = fn(); !retryable(err) {
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
