package biz

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"clouddrive/pkg/ratelimit"
)

func newSignIn(t *testing.T, accounts Accounts) *SignInUsecase {
	return NewSignInUsecase(accounts, ratelimit.NewMemory(), &SignInPolicy{
		PerIP:      ratelimit.Rule{Limit: 100, Window: time.Minute},
		PerAccount: ratelimit.Rule{Limit: 3, Window: time.Minute},
		Remember:   time.Minute,
	})
}

// Attempts are charged before the user service compares anything: over
// the limit, even the right password is refused without a check.
func TestSignInThrottledBeforeTheCheck(t *testing.T) {
	ctx := context.Background()
	accounts := NewMockAccounts(gomock.NewController(t))
	uc := newSignIn(t, accounts)
	accounts.EXPECT().SignIn(gomock.Any(), "alice", "wrong").Return(nil, ErrBadCredentials).Times(3)
	for i := 0; i < 3; i++ {
		if _, err := uc.SignIn(ctx, "alice", "wrong", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	for _, pw := range []string{"wrong", "right"} {
		if _, err := uc.SignIn(ctx, "Alice", pw, "10.0.0.2"); err == nil {
			t.Fatalf("%s password after the limit: signed in", pw)
		} else if _, ok := IsThrottled(err); !ok {
			t.Fatalf("%s password after the limit: %v, want throttled", pw, err)
		}
	}
	if _, err := uc.SignIn(ctx, "", "x", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("no username: %v", err)
	}
}

// A checked app password is remembered for a while, then checked again
// (so a revoked one stops working).
func TestSignInRemembered(t *testing.T) {
	ctx := context.Background()
	accounts := NewMockAccounts(gomock.NewController(t))
	uc := newSignIn(t, accounts)
	now := time.Now()
	uc.now = func() time.Time { return now }
	accounts.EXPECT().SignIn(gomock.Any(), "bob", "cdap-x").Return(&User{ID: 2, Token: "t1", Until: now.Add(time.Hour)}, nil)
	for i := 0; i < 5; i++ {
		u, err := uc.SignIn(ctx, "bob", "cdap-x", "10.0.0.1")
		if err != nil || u.ID != 2 {
			t.Fatalf("sign-in %d: %+v %v", i, u, err)
		}
	}
	now = now.Add(2 * time.Minute)
	accounts.EXPECT().SignIn(gomock.Any(), "bob", "cdap-x").Return(nil, ErrBadCredentials)
	if _, err := uc.SignIn(ctx, "bob", "cdap-x", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("after Remember, a revoked app password: %v", err)
	}
}
