// Package biz holds the share service's use cases (managing one's shares,
// and opening, browsing, downloading and saving them by link) and the ports
// they need: the share repo, the outbox, and the file, storage and user
// services. It knows nothing of gorm, Redis, gRPC or HTTP.
package biz

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/google/wire"

	"clouddrive/pkg/ratelimit"
)

// ProviderSet is biz providers.
var ProviderSet = wire.NewSet(NewShareUsecase, NewAccessUsecase)

//go:generate go tool -modfile=../../../../tools/tools.mod mockgen -destination=mock_test.go -package=biz . ShareRepo,OutboxRepo,Transaction,FileService,StorageService,UserService

// Policy is the service's tunables, built from its configuration.
type Policy struct {
	// AccessTTL is the life of a share access token (X-Share-Token).
	AccessTTL time.Duration
	// MaxWrongCodes wrong extraction codes in a row lock a share for
	// Cooldown, during which every code is refused.
	MaxWrongCodes int
	Cooldown      time.Duration
	// OpenPerIP and OpenPerShare are charged before a code is compared.
	OpenPerIP    ratelimit.Rule
	OpenPerShare ratelimit.Rule
	// URLPrefix + token is a share's public page ("/s/").
	URLPrefix string
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

// Errors repos return; biz turns them into the service's reasons.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("duplicate")
)

// isNotFound reports a missing row, or another service's 404 (a node or a
// user that does not exist, or is not the owner's).
func isNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || (err != nil && kerrors.Code(err) == 404)
}

func newEventID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// parallel runs fn for i in [0, n) with at most width at a time and returns
// the first error (the others still finish).
func parallel(n, width int, fn func(i int) error) error {
	if n == 1 {
		return fn(0)
	}
	sem := make(chan struct{}, width)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(i)
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
