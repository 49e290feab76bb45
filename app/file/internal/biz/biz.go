// Package biz holds the file service's use cases (the tree, trash, search,
// quota) and the ports they need. Every repo method takes the owner's id and
// filters by it: a handler cannot reach another user's node.
package biz

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/google/wire"

	"clouddrive/pkg/apimsg"
)

// ProviderSet is biz providers.
var ProviderSet = wire.NewSet(NewNodeUsecase, NewTrashUsecase, NewQuotaUsecase, NewFeed, NewChangeUsecase)

//go:generate go tool -modfile=../../../../tools/tools.mod mockgen -destination=mock_test.go -package=biz . NodeRepo,QuotaRepo,OutboxRepo,Transaction,ChangeRepo,VersionRepo

// Policy is the service's tunables, built from its configuration.
type Policy struct {
	DefaultQuota   int64
	TrashRetention time.Duration
	// Usage past this share of the quota raises QUOTA_WARNING.
	QuotaWarnRatio float64
	// Older versions kept per file (0: no cap), and for how long after
	// they were replaced (0: no cap); the janitor prunes the rest.
	VersionKeepCount int
	VersionKeepAge   time.Duration
	// Changes older than this leave the feed (0: kept forever).
	ChangeRetention time.Duration
	// How often a waiter on the feed reads it in case a wake-up was lost.
	ChangesPollInterval time.Duration
}

// Transaction runs fn in one database transaction; repos called with the
// ctx it passes take part in it.
type Transaction interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Clock is time, replaceable in tests.
type Clock func() time.Time

// NewClock is the real clock.
func NewClock() Clock { return func() time.Time { return time.Now().UTC() } }

// FormatID renders an id for clients: ids are opaque strings in JSON; the
// root is "".
func FormatID(id int64) string { return apimsg.FormatID(id) }

// ParseID reads a node id a client sent. ok is false for anything that
// cannot be a node: the caller answers "not found".
func ParseID(s string) (int64, bool) { return apimsg.ParseID(s) }

// ParseParentID reads a parent id where "" means the root (0).
func ParseParentID(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	return ParseID(s)
}

func newEventID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
