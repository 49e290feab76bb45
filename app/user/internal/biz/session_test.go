package biz

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	commonv1 "clouddrive/api/common/v1"
	v1 "clouddrive/api/user/v1"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/ratelimit"
)

const alicePw = "Correct-horse-9"

func TestSessionLogin(t *testing.T) {
	client := Client{IP: "203.0.113.5", UserAgent: "curl/8"}
	tests := []struct {
		name    string
		login   string
		setup   func(f *fixture) *User // returns the user a success signs in
		wantErr func(error) bool
	}{
		{
			name:  "by username",
			login: "  Alice ",
			setup: func(f *fixture) *User {
				u := &User{ID: 7, Username: "alice", Role: auth.RoleUser, PasswordHash: mustHash(f.t, alicePw)}
				f.users.EXPECT().FindByUsername(gomock.Any(), "alice").Return(u, nil)
				return u
			},
		},
		{
			name:  "by email",
			login: "Alice@Example.COM",
			setup: func(f *fixture) *User {
				u := &User{ID: 7, Username: "alice", Role: auth.RoleAdmin, PasswordHash: mustHash(f.t, alicePw)}
				f.users.EXPECT().FindByEmail(gomock.Any(), "alice@example.com").Return(u, nil)
				return u
			},
		},
		{
			name:  "disabled user with the right password",
			login: "alice",
			setup: func(f *fixture) *User {
				f.users.EXPECT().FindByUsername(gomock.Any(), "alice").
					Return(&User{ID: 7, Username: "alice", Disabled: true, PasswordHash: mustHash(f.t, alicePw)}, nil)
				return nil
			},
			wantErr: v1.IsUserDisabled,
		},
		{
			name:  "account without a password (made by code sign-in)",
			login: "u_12345678",
			setup: func(f *fixture) *User {
				f.users.EXPECT().FindByUsername(gomock.Any(), "u_12345678").Return(&User{ID: 8, Username: "u_12345678"}, nil)
				return nil
			},
			wantErr: v1.IsInvalidCredentials,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			u := tt.setup(f)
			var cs *createdSession
			if tt.wantErr == nil {
				cs = f.expectSessionCreate(u.ID)
			}
			tok, err := f.sessionUC().Login(context.Background(), tt.login, alicePw, client)
			if tt.wantErr != nil {
				wantReason(t, err, tt.wantErr, "the expected reason")
				if tok != nil {
					t.Fatalf("tokens returned with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			s := cs.session
			if s.ID == "" || s.IP != client.IP || s.UserAgent != client.UserAgent || !s.CreatedAt.Equal(testNow) ||
				!s.LastUsedAt.Equal(testNow) || !s.ExpiresAt.Equal(testNow.Add(f.policy.RefreshTTL)) || s.Revoked {
				t.Errorf("session = %+v", s)
			}
			rt := cs.token
			if rt.SessionID != s.ID || rt.UserID != u.ID || rt.Used || !rt.ExpiresAt.Equal(s.ExpiresAt) {
				t.Errorf("first refresh token = %+v", rt)
			}
			f.checkTokens(tok, u, s.ID, rt.Hash)
		})
	}
}

// An unknown user and a wrong password must be indistinguishable.
func TestSessionLoginUnknownUserAndWrongPasswordAlike(t *testing.T) {
	f := newFixture(t)
	f.users.EXPECT().FindByUsername(gomock.Any(), "alice").
		Return(&User{ID: 7, Username: "alice", PasswordHash: mustHash(t, alicePw)}, nil)
	f.users.EXPECT().FindByUsername(gomock.Any(), "mallory").Return(nil, ErrNotFound)
	uc := f.sessionUC()
	ctx := context.Background()

	_, wrongPw := uc.Login(ctx, "alice", "Not-the-passw0rd", Client{IP: "198.51.100.1"})
	_, unknown := uc.Login(ctx, "mallory", alicePw, Client{IP: "198.51.100.1"})
	wantReason(t, wrongPw, v1.IsInvalidCredentials, "INVALID_CREDENTIALS")
	wantReason(t, unknown, v1.IsInvalidCredentials, "INVALID_CREDENTIALS")
	if wrongPw.Error() != unknown.Error() {
		t.Fatalf("the answers differ:\n wrong password: %v\n unknown user:   %v", wrongPw, unknown)
	}
}

func TestSessionLoginRepoError(t *testing.T) {
	f := newFixture(t)
	boom := errors.New("db down")
	f.users.EXPECT().FindByUsername(gomock.Any(), "alice").Return(nil, boom)
	if _, err := f.sessionUC().Login(context.Background(), "alice", alicePw, Client{IP: "1.2.3.4"}); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

func TestSessionLoginRateLimits(t *testing.T) {
	ctx := context.Background()
	rule := ratelimit.Rule{Limit: 2, Window: time.Minute}

	t.Run("per IP", func(t *testing.T) {
		f := newFixture(t)
		f.policy.LoginPerIP = rule
		// Only the two allowed attempts from the IP reach the repo, and one from elsewhere.
		f.users.EXPECT().FindByUsername(gomock.Any(), gomock.Any()).Return(nil, ErrNotFound).Times(3)
		uc := f.sessionUC()
		ip := Client{IP: "203.0.113.9"}
		for i, name := range []string{"a1", "a2"} {
			_, err := uc.Login(ctx, name, "whatever-1", ip)
			wantReason(t, err, v1.IsInvalidCredentials, "INVALID_CREDENTIALS on attempt "+string(rune('1'+i)))
		}
		_, err := uc.Login(ctx, "a3", "whatever-1", ip)
		wantReason(t, err, commonv1.IsRateLimited, "RATE_LIMITED")
		if secs := metadataOf(err)["retry_after_seconds"]; secs == "" || secs == "0" {
			t.Errorf("retry_after_seconds = %q", secs)
		}
		_, err = uc.Login(ctx, "a4", "whatever-1", Client{IP: "203.0.113.10"})
		wantReason(t, err, v1.IsInvalidCredentials, "another IP is not limited")
	})

	t.Run("per account and source: that source is locked out, not the owner", func(t *testing.T) {
		f := newFixture(t)
		f.policy.LoginPerAccountSource = rule
		f.users.EXPECT().FindByUsername(gomock.Any(), "alice").
			Return(&User{ID: 7, Username: "alice", PasswordHash: mustHash(t, alicePw)}, nil).Times(4)
		f.expectSessionCreate(7)
		uc := f.sessionUC()
		attacker := Client{IP: "10.0.0.66"}
		for _, name := range []string{"alice", "ALICE"} {
			_, err := uc.Login(ctx, name, "wrong-Passw0rd", attacker)
			wantReason(t, err, v1.IsInvalidCredentials, "INVALID_CREDENTIALS")
		}
		// That source is locked out of the account, even with the right
		// password (charged before the comparison, so it learns nothing).
		_, err := uc.Login(ctx, " Alice ", alicePw, attacker)
		wantReason(t, err, commonv1.IsRateLimited, "RATE_LIMITED")
		// The owner, from elsewhere, signs in.
		if _, err := uc.Login(ctx, "alice", alicePw, Client{IP: "10.0.0.7"}); err != nil {
			t.Fatalf("the owner from another source: %v", err)
		}
	})

	t.Run("per account: past the budget a slow backoff, never a lock", func(t *testing.T) {
		f := newFixture(t)
		f.policy.LoginPerAccount = rule
		f.policy.LoginBackoff = 30 * time.Second
		f.users.EXPECT().FindByUsername(gomock.Any(), "alice").
			Return(&User{ID: 7, Username: "alice", PasswordHash: mustHash(t, alicePw)}, nil).Times(4)
		uc := f.sessionUC()
		// Guesses from many sources spend the account's budget...
		for i := 0; i < 3; i++ {
			_, err := uc.Login(ctx, "alice", "wrong-Passw0rd", Client{IP: "10.0.1." + string(rune('1'+i))})
			wantReason(t, err, v1.IsInvalidCredentials, "INVALID_CREDENTIALS (the third takes the backoff's slot)")
		}
		// ...then one attempt per backoff gets through: the wait is the
		// backoff's, not a lock for the window.
		_, err := uc.Login(ctx, "alice", "wrong-Passw0rd", Client{IP: "10.0.1.9"})
		wantReason(t, err, commonv1.IsRateLimited, "RATE_LIMITED")
		if secs := atoiT(t, metadataOf(err)["retry_after_seconds"]); secs < 1 || secs > 30 {
			t.Errorf("retry_after_seconds = %d, want 1..30 (the backoff, not the window)", secs)
		}
	})

	t.Run("per account: the owner takes a free slot past the budget", func(t *testing.T) {
		f := newFixture(t)
		f.policy.LoginPerAccount = rule
		f.policy.LoginBackoff = 30 * time.Second
		f.users.EXPECT().FindByUsername(gomock.Any(), "alice").
			Return(&User{ID: 7, Username: "alice", PasswordHash: mustHash(t, alicePw)}, nil).Times(3)
		f.expectSessionCreate(7)
		uc := f.sessionUC()
		for i := 0; i < 2; i++ {
			_, err := uc.Login(ctx, "alice", "wrong-Passw0rd", Client{IP: "10.0.2." + string(rune('1'+i))})
			wantReason(t, err, v1.IsInvalidCredentials, "INVALID_CREDENTIALS")
		}
		if _, err := uc.Login(ctx, "alice", alicePw, Client{IP: "10.0.2.7"}); err != nil {
			t.Fatalf("the owner past the budget: %v", err)
		}
	})

	t.Run("a success clears the account's failures", func(t *testing.T) {
		f := newFixture(t)
		f.policy.LoginPerAccount = rule
		u := &User{ID: 7, Username: "alice", PasswordHash: mustHash(t, alicePw)}
		f.users.EXPECT().FindByUsername(gomock.Any(), "alice").Return(u, nil).Times(5)
		f.expectSessionCreate(7)
		uc := f.sessionUC()
		c := Client{IP: "10.1.1.1"}
		if _, err := uc.Login(ctx, "alice", "wrong-Passw0rd", c); !v1.IsInvalidCredentials(err) {
			t.Fatalf("1st: %v", err)
		}
		if _, err := uc.Login(ctx, "alice", alicePw, c); err != nil {
			t.Fatalf("2nd (right password): %v", err)
		}
		for i := 0; i < 2; i++ {
			if _, err := uc.Login(ctx, "alice", "wrong-Passw0rd", c); !v1.IsInvalidCredentials(err) {
				t.Fatalf("after reset, attempt %d: %v", i+1, err)
			}
		}
		_, err := uc.Login(ctx, "alice", "wrong-Passw0rd", c)
		wantReason(t, err, commonv1.IsRateLimited, "RATE_LIMITED once the fresh window is spent")
	})
}

// liveToken is a stored refresh token and its session, valid at testNow.
func liveToken(raw string) (*RefreshToken, *Session) {
	s := &Session{ID: "sid-1", UserID: 7, CreatedAt: testNow.Add(-time.Hour), ExpiresAt: testNow.Add(2 * time.Hour)}
	return &RefreshToken{Hash: HashToken(raw), SessionID: s.ID, UserID: 7, ExpiresAt: s.ExpiresAt}, s
}

func TestSessionRefreshRotates(t *testing.T) {
	f := newFixture(t)
	const old = "old-refresh-token"
	rt, s := liveToken(old)
	u := &User{ID: 7, Username: "alice", Role: auth.RoleUser}
	var added *RefreshToken
	gomock.InOrder(
		f.sessions.EXPECT().FindToken(gomock.Any(), HashToken(old)).Return(rt, s, nil),
		f.sessions.EXPECT().UseToken(gomock.Any(), HashToken(old), testNow).Return(true, nil),
		f.users.EXPECT().Get(gomock.Any(), int64(7)).Return(u, nil),
		f.sessions.EXPECT().AddToken(gomock.Any(), gomock.Any(), testNow).DoAndReturn(func(_ context.Context, t *RefreshToken, _ time.Time) error {
			added = t
			return nil
		}),
	)
	tok, err := f.sessionUC().Refresh(context.Background(), old)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if tok.RefreshToken == old {
		t.Fatal("the refresh token was not rotated")
	}
	if added.SessionID != s.ID || added.UserID != 7 || added.Used {
		t.Errorf("added token = %+v", added)
	}
	// The session's absolute expiry caps the new token (RefreshTTL is 30 days).
	if !added.ExpiresAt.Equal(s.ExpiresAt) {
		t.Errorf("new token expires %v, want the session's %v", added.ExpiresAt, s.ExpiresAt)
	}
	f.checkTokens(tok, u, s.ID, added.Hash)
}

func TestSessionRefreshReuseRevokesSession(t *testing.T) {
	const raw = "stolen-refresh-token"
	tests := []struct {
		name  string
		used  bool // already marked used when found
		useOK bool // what UseToken answers (a concurrent replay loses the race)
	}{
		{name: "token already used", used: true},
		{name: "UseToken loses the race", used: false, useOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			rt, s := liveToken(raw)
			rt.Used = tt.used
			f.sessions.EXPECT().FindToken(gomock.Any(), HashToken(raw)).Return(rt, s, nil)
			if !tt.used {
				f.sessions.EXPECT().UseToken(gomock.Any(), HashToken(raw), testNow).Return(tt.useOK, nil)
			}
			f.sessions.EXPECT().Revoke(gomock.Any(), int64(7), "sid-1").Return(nil)
			// No Get, no AddToken: nothing new is issued.
			tok, err := f.sessionUC().Refresh(context.Background(), raw)
			wantReason(t, err, v1.IsRefreshTokenReused, "REFRESH_TOKEN_REUSED")
			if rec, _ := f.revoked.Get(context.Background(), 7); rec.Sessions["sid-1"].IsZero() {
				t.Error("the session's access tokens were not revoked")
			}
			if tok != nil {
				t.Fatal("tokens issued for a reused refresh token")
			}
		})
	}
}

func TestSessionRefreshInvalid(t *testing.T) {
	const raw = "some-refresh-token"
	tests := []struct {
		name  string
		found func() (*RefreshToken, *Session, error)
	}{
		{"unknown token", func() (*RefreshToken, *Session, error) { return nil, nil, ErrNotFound }},
		{"revoked session", func() (*RefreshToken, *Session, error) {
			rt, s := liveToken(raw)
			s.Revoked = true
			return rt, s, nil
		}},
		{"expired token", func() (*RefreshToken, *Session, error) {
			rt, s := liveToken(raw)
			rt.ExpiresAt = testNow.Add(-time.Second)
			return rt, s, nil
		}},
		{"expired session", func() (*RefreshToken, *Session, error) {
			rt, s := liveToken(raw)
			s.ExpiresAt = testNow.Add(-time.Second)
			return rt, s, nil
		}},
		{"used token of a revoked session is just invalid", func() (*RefreshToken, *Session, error) {
			rt, s := liveToken(raw)
			rt.Used, s.Revoked = true, true
			return rt, s, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.sessions.EXPECT().FindToken(gomock.Any(), HashToken(raw)).Return(tt.found())
			// No UseToken, Revoke, Get or AddToken.
			tok, err := f.sessionUC().Refresh(context.Background(), raw)
			wantReason(t, err, v1.IsRefreshTokenInvalid, "REFRESH_TOKEN_INVALID")
			if tok != nil {
				t.Fatal("tokens issued")
			}
		})
	}
}

func TestSessionRefreshDisabledUser(t *testing.T) {
	f := newFixture(t)
	const raw = "refresh"
	rt, s := liveToken(raw)
	f.sessions.EXPECT().FindToken(gomock.Any(), HashToken(raw)).Return(rt, s, nil)
	f.sessions.EXPECT().UseToken(gomock.Any(), HashToken(raw), testNow).Return(true, nil)
	f.users.EXPECT().Get(gomock.Any(), int64(7)).Return(&User{ID: 7, Disabled: true}, nil)
	_, err := f.sessionUC().Refresh(context.Background(), raw)
	wantReason(t, err, v1.IsUserDisabled, "USER_DISABLED")
}

func TestSessionLogout(t *testing.T) {
	ctx := context.Background()
	t.Run("unknown token is not an error", func(t *testing.T) {
		f := newFixture(t)
		f.sessions.EXPECT().FindToken(gomock.Any(), HashToken("nope")).Return(nil, nil, ErrNotFound)
		if err := f.sessionUC().Logout(ctx, "nope"); err != nil {
			t.Fatalf("Logout = %v, want nil", err)
		}
	})
	t.Run("revokes the token's session", func(t *testing.T) {
		f := newFixture(t)
		rt, s := liveToken("mine")
		f.sessions.EXPECT().FindToken(gomock.Any(), HashToken("mine")).Return(rt, s, nil)
		f.sessions.EXPECT().Revoke(gomock.Any(), int64(7), "sid-1").Return(nil)
		before, _ := f.issuer.Issue(auth.Caller{UserID: 7, SessionID: "sid-1"})
		if err := f.sessionUC().Logout(ctx, "mine"); err != nil {
			t.Fatal(err)
		}
		// The session's access token dies with it.
		c, _ := f.verifier.Verify(before)
		if rec, _ := f.revoked.Get(ctx, 7); !rec.Voids(c) {
			t.Errorf("the signed-out session's access token still works: %+v", rec)
		}
	})
	t.Run("store errors are reported", func(t *testing.T) {
		f := newFixture(t)
		boom := errors.New("db down")
		f.sessions.EXPECT().FindToken(gomock.Any(), gomock.Any()).Return(nil, nil, boom)
		if err := f.sessionUC().Logout(ctx, "x"); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
	})
}

func TestSessionRevokeAndList(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.sessions.EXPECT().Revoke(gomock.Any(), int64(7), "gone").Return(ErrNotFound)
	f.sessions.EXPECT().Revoke(gomock.Any(), int64(7), "sid-1").Return(nil)
	want := []*Session{{ID: "sid-1"}}
	f.sessions.EXPECT().List(gomock.Any(), int64(7), testNow).Return(want, nil)
	uc := f.sessionUC()
	wantReason(t, uc.Revoke(ctx, 7, "gone"), v1.IsSessionNotFound, "SESSION_NOT_FOUND")
	if err := uc.Revoke(ctx, 7, "sid-1"); err != nil {
		t.Fatal(err)
	}
	got, err := uc.List(ctx, 7)
	if err != nil || len(got) != 1 || got[0] != want[0] {
		t.Fatalf("List = %v, %v", got, err)
	}
	rec, _ := f.revoked.Get(ctx, 7)
	if _, ok := rec.Sessions["sid-1"]; !ok || len(rec.Sessions) != 1 || !rec.At.IsZero() {
		t.Errorf("revocations = %+v, want session sid-1 only", rec)
	}
}

func TestSessionStartTruncatesUserAgent(t *testing.T) {
	f := newFixture(t)
	cs := f.expectSessionCreate(7)
	ua := strings.Repeat("a", 254) + "é" // the é straddles byte 255
	if _, err := f.sessionUC().Start(context.Background(), &User{ID: 7}, Client{UserAgent: ua}); err != nil {
		t.Fatal(err)
	}
	if got := cs.session.UserAgent; got != strings.Repeat("a", 254) {
		t.Fatalf("user agent = %q (%d bytes), want 254 a's", got, len(got))
	}
}

func atoiT(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
