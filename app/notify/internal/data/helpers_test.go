package data

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"clouddrive/app/notify/internal/biz"
	"clouddrive/pkg/database"
	"clouddrive/pkg/testkit"
)

const (
	alice int64 = 101
	bob   int64 = 202
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// backend opens a fresh, migrated database of one kind.
type backend struct {
	name string
	open func(t testing.TB) *gorm.DB
}

var backends = []backend{
	{"mariadb", func(t testing.TB) *gorm.DB { return openDB(t, "mysql", testkit.MySQL(t)) }},
	{"sqlite", func(t testing.TB) *gorm.DB { return openDB(t, "sqlite", testkit.SQLite(t)) }},
}

func openDB(t testing.TB, driver, source string) *gorm.DB {
	t.Helper()
	db, err := database.Open(database.Config{Driver: driver, Source: source})
	if err != nil {
		t.Fatalf("open %s: %v", driver, err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	if err := Migrate(db); err != nil {
		t.Fatalf("migrate %s: %v", driver, err)
	}
	return db
}

// fx is the repos on one fresh database.
type fx struct {
	t     testing.TB
	ctx   context.Context
	db    *gorm.DB
	repo  biz.NotificationRepo
	queue biz.MailRepo
}

// eachBackend runs fn on MariaDB and on SQLite, each on a fresh database.
func eachBackend(t *testing.T, fn func(t *testing.T, f *fx)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			d := &Data{DB: db}
			fn(t, &fx{t: t, ctx: context.Background(), db: db, repo: NewNotificationRepo(d), queue: NewMailRepo(d)})
		})
	}
}

// add stores a notification of event for recipient and says whether it was new.
func (f *fx) add(recipient int64, event string, mail biz.MailState) (*biz.Notification, bool) {
	f.t.Helper()
	n := &biz.Notification{Recipient: recipient, EventID: event, Kind: biz.KindShareSaved,
		Data: map[string]string{biz.DataName: "photos " + event, biz.DataActorNickname: "Carol"}, CreatedAt: t0, MailState: mail}
	if mail == biz.MailPending {
		at := t0
		n.MailAfter = &at
	}
	created, err := f.repo.Create(f.ctx, n)
	if err != nil {
		f.t.Fatalf("Create(%d, %s): %v", recipient, event, err)
	}
	return n, created
}

func (f *fx) rows(where string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.db.Table("notifications").Where(where, args...).Count(&n).Error; err != nil {
		f.t.Fatal(err)
	}
	return n
}

func ids(ns []*biz.Notification) []int64 {
	out := make([]int64, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

func eventName(i int) string { return fmt.Sprintf("ev%04d", i) }
