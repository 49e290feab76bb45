// Package biz holds the notify service's use cases: turning domain events
// into one notification per (event, recipient), reading and marking them,
// and mailing them to users who asked for email. It knows no transport,
// database or mail library: those are the ports below.
package biz

import (
	"time"

	"github.com/google/wire"
)

// ProviderSet is biz providers.
var ProviderSet = wire.NewSet(NewNotificationUsecase, NewMailUsecase)

//go:generate go tool -modfile=../../../../tools/tools.mod mockgen -destination=mock_test.go -package=biz . NotificationRepo,MailRepo,UserService,Mailer

// Clock is time, replaceable in tests.
type Clock func() time.Time

// NewClock is the real clock.
func NewClock() Clock { return func() time.Time { return time.Now().UTC() } }
