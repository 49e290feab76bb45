package biz

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"time"

	"clouddrive/pkg/ratelimit"
)

// SignInPolicy is how sign-ins are throttled and remembered.
type SignInPolicy struct {
	// PerIP and PerAccount are charged for every check that reaches the
	// user service (a remembered sign-in costs nothing), as login's are.
	PerIP      ratelimit.Rule
	PerAccount ratelimit.Rule
	// Remember is how long a checked app password is trusted before it is
	// checked again (a revoked one stops working within this time).
	Remember time.Duration
}

// SignInUsecase signs WebDAV clients in with Basic authentication: a
// username and an app password, never the account password.
type SignInUsecase struct {
	accounts Accounts
	limiter  ratelimit.Limiter
	policy   *SignInPolicy
	now      func() time.Time

	mu    sync.Mutex
	cache map[[32]byte]*User
}

// NewSignInUsecase builds the use case.
func NewSignInUsecase(accounts Accounts, limiter ratelimit.Limiter, p *SignInPolicy) *SignInUsecase {
	return &SignInUsecase{accounts: accounts, limiter: limiter, policy: p, now: time.Now, cache: map[[32]byte]*User{}}
}

// SignIn returns the user for a username and app password; ip is the
// client's address, charged with the account before anything is compared.
func (uc *SignInUsecase) SignIn(ctx context.Context, username, password, ip string) (*User, error) {
	if username == "" || password == "" {
		return nil, ErrBadCredentials
	}
	key := sha256.Sum256([]byte(username + "\x00" + password))
	now := uc.now()
	uc.mu.Lock()
	if u, ok := uc.cache[key]; ok && now.Before(u.Until) {
		uc.mu.Unlock()
		return u, nil
	}
	uc.mu.Unlock()
	account := "webdav:acct:" + strings.ToLower(strings.TrimSpace(username))
	for _, c := range []struct {
		key  string
		rule ratelimit.Rule
	}{{"webdav:ip:" + ip, uc.policy.PerIP}, {account, uc.policy.PerAccount}} {
		if err := ratelimit.Charge(ctx, uc.limiter, c.key, c.rule, throttled); err != nil {
			return nil, err
		}
	}
	u, err := uc.accounts.SignIn(ctx, username, password)
	if err != nil {
		return nil, err
	}
	_ = uc.limiter.Reset(ctx, account)
	remember := uc.policy.Remember
	if u.Until.IsZero() || now.Add(remember).Before(u.Until) {
		u.Until = now.Add(remember)
	}
	uc.mu.Lock()
	if len(uc.cache) > 10000 { // bounded: drop what has run out
		for k, c := range uc.cache {
			if !now.Before(c.Until) {
				delete(uc.cache, k)
			}
		}
	}
	uc.cache[key] = u
	uc.mu.Unlock()
	return u, nil
}

// Forget drops a remembered sign-in (its token was refused: the app
// password was revoked), so the next request checks it again.
func (uc *SignInUsecase) Forget(username, password string) {
	key := sha256.Sum256([]byte(username + "\x00" + password))
	uc.mu.Lock()
	delete(uc.cache, key)
	uc.mu.Unlock()
}

// IsThrottled reports a Throttled error.
func IsThrottled(err error) (*Throttled, bool) {
	var t *Throttled
	ok := errors.As(err, &t)
	return t, ok
}
