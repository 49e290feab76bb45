package biz

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	commonv1 "clouddrive/api/common/v1"
	v1 "clouddrive/api/user/v1"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/ratelimit"
)

func TestNormalizeTarget(t *testing.T) {
	tests := []struct {
		in       string
		wantKind TargetKind
		want     string
	}{
		{"alice@example.com", TargetEmail, "alice@example.com"},
		{"  Alice@Example.COM ", TargetEmail, "alice@example.com"},
		{"+8613800138000", TargetPhone, "+8613800138000"},
		{"+86 138-0013-8000", TargetPhone, "+8613800138000"},
		{"+14155552671", TargetPhone, "+14155552671"},
		{"13800138000", TargetPhone, "+8613800138000"},
		{"138 0013 8000", TargetPhone, "+8613800138000"},
		{"", 0, ""},
		{"hello", 0, ""},
		{"alice@", 0, ""},
		{"Alice <alice@example.com>", 0, ""},
		{"a@b@c", 0, ""},
		{"23800138000", 0, ""},       // 11 digits not starting with 1, no +
		{"1380013800", 0, ""},        // 10 digits, no +
		{"+0123456789", 0, ""},       // country codes do not start with 0
		{"+12345", 0, ""},            // too short
		{"+1234567890123456", 0, ""}, // too long
		{"+86138abc8000", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			kind, got, err := NormalizeTarget(tt.in)
			if tt.wantKind == 0 {
				wantReason(t, err, v1.IsInvalidTarget, "INVALID_TARGET")
				if metadataOf(err)["field"] != "target" {
					t.Errorf("metadata = %v", metadataOf(err))
				}
				return
			}
			if err != nil || kind != tt.wantKind || got != tt.want {
				t.Fatalf("NormalizeTarget(%q) = %v, %q, %v; want %v, %q", tt.in, kind, got, err, tt.wantKind, tt.want)
			}
		})
	}
}

var sixDigitsRE = regexp.MustCompile(`^[0-9]{6}$`)

func TestCodeSend(t *testing.T) {
	ctx := context.Background()
	client := Client{IP: "203.0.113.7"}

	t.Run("stores the HMAC of the code it sends", func(t *testing.T) {
		for _, tt := range []struct {
			target, normal string
			kind           TargetKind
			latest         *LoginCode
		}{
			{"13800138000", "+8613800138000", TargetPhone, nil},
			{"Bob@Example.com", "bob@example.com", TargetEmail, &LoginCode{ID: 1, CreatedAt: testNow.Add(-61 * time.Second)}},
		} {
			t.Run(tt.target, func(t *testing.T) {
				f := newFixture(t)
				if tt.latest == nil {
					f.codes.EXPECT().Latest(gomock.Any(), tt.normal).Return(nil, ErrNotFound)
				} else {
					f.codes.EXPECT().Latest(gomock.Any(), tt.normal).Return(tt.latest, nil)
				}
				var stored *LoginCode
				var sent string
				gomock.InOrder(
					f.codes.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, c *LoginCode) error {
						stored = c
						return nil
					}),
					f.sender.EXPECT().Send(gomock.Any(), tt.kind, tt.normal, gomock.Any(), 5*time.Minute).
						DoAndReturn(func(_ context.Context, _ TargetKind, _, code string, _ time.Duration) error {
							sent = code
							return nil
						}),
				)
				res, err := f.codeUC().Send(ctx, tt.target, client)
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				if res.ExpiresIn != 5*time.Minute || res.ResendAfter != time.Minute {
					t.Errorf("result = %+v", res)
				}
				if !sixDigitsRE.MatchString(sent) {
					t.Fatalf("sent code %q is not 6 digits", sent)
				}
				if stored.Hash != codeHash(testSecret, tt.normal, sent) {
					t.Fatal("stored hash is not the HMAC of the sent code")
				}
				if stored.Target != tt.normal || !stored.CreatedAt.Equal(testNow) || !stored.ExpiresAt.Equal(testNow.Add(5*time.Minute)) {
					t.Errorf("stored code = %+v", stored)
				}
			})
		}
	})

	t.Run("resend too soon", func(t *testing.T) {
		f := newFixture(t)
		f.codes.EXPECT().Latest(gomock.Any(), "+8613800138000").
			Return(&LoginCode{ID: 1, Target: "+8613800138000", CreatedAt: testNow.Add(-10 * time.Second)}, nil)
		// No Create, no Send.
		_, err := f.codeUC().Send(ctx, "+86 13800138000", client)
		wantReason(t, err, v1.IsCodeResendTooSoon, "CODE_RESEND_TOO_SOON")
		if got := metadataOf(err)["retry_after_seconds"]; got != "51" {
			t.Errorf("retry_after_seconds = %q, want 51", got)
		}
	})

	t.Run("invalid target touches nothing", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.codeUC().Send(ctx, "not a target", client)
		wantReason(t, err, v1.IsInvalidTarget, "INVALID_TARGET")
	})

	t.Run("sender failure", func(t *testing.T) {
		f := newFixture(t)
		f.codes.EXPECT().Latest(gomock.Any(), gomock.Any()).Return(nil, ErrNotFound)
		f.codes.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
		f.sender.EXPECT().Send(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return(errors.New("smtp: 550 secret detail"))
		// The code that never arrived is voided, so a retry is not throttled.
		f.codes.EXPECT().Consume(gomock.Any(), gomock.Any()).Return(true, nil)
		_, err := f.codeUC().Send(ctx, "bob@example.com", client)
		wantReason(t, err, v1.IsSendFailed, "SEND_FAILED")
		if strings.Contains(err.Error(), "smtp") {
			t.Errorf("driver text reached the client: %v", err)
		}
	})

	t.Run("rate limited per target and per IP", func(t *testing.T) {
		f := newFixture(t)
		f.policy.CodePerTarget = ratelimit.Rule{Limit: 1, Window: time.Hour}
		f.policy.CodePerIP = ratelimit.Rule{Limit: 2, Window: time.Hour}
		f.codes.EXPECT().Latest(gomock.Any(), gomock.Any()).Return(nil, ErrNotFound).Times(2)
		f.codes.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil).Times(2)
		f.sender.EXPECT().Send(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).Times(2)
		uc := f.codeUC()
		if _, err := uc.Send(ctx, "a@example.com", client); err != nil {
			t.Fatal(err)
		}
		_, err := uc.Send(ctx, "A@example.com", Client{IP: "198.51.100.1"})
		wantReason(t, err, commonv1.IsRateLimited, "RATE_LIMITED per target")
		if _, err := uc.Send(ctx, "b@example.com", client); err != nil {
			t.Fatal(err)
		}
		_, err = uc.Send(ctx, "c@example.com", client) // the IP's third
		wantReason(t, err, commonv1.IsRateLimited, "RATE_LIMITED per IP")
	})
}

func TestCodeLoginRefusals(t *testing.T) {
	const target, right = "+8613800138000", "123456"
	live := func() *LoginCode {
		return &LoginCode{ID: 9, Target: target, Hash: codeHash(testSecret, target, right),
			CreatedAt: testNow.Add(-time.Minute), ExpiresAt: testNow.Add(4 * time.Minute)}
	}
	tests := []struct {
		name    string
		code    string
		setup   func(f *fixture)
		wantErr func(error) bool
	}{
		{"no code was sent", right, func(f *fixture) {
			f.codes.EXPECT().Latest(gomock.Any(), target).Return(nil, ErrNotFound)
		}, v1.IsCodeInvalid},
		{"wrong code", "654321", func(f *fixture) {
			f.codes.EXPECT().Latest(gomock.Any(), target).Return(live(), nil)
			f.codes.EXPECT().Attempt(gomock.Any(), int64(9), 5).Return(true, nil)
		}, v1.IsCodeInvalid},
		{"expired", right, func(f *fixture) {
			c := live()
			c.ExpiresAt = testNow.Add(-time.Second)
			f.codes.EXPECT().Latest(gomock.Any(), target).Return(c, nil)
		}, v1.IsCodeExpired},
		{"too many attempts, even with the right code", right, func(f *fixture) {
			f.codes.EXPECT().Latest(gomock.Any(), target).Return(live(), nil)
			f.codes.EXPECT().Attempt(gomock.Any(), int64(9), 5).Return(false, nil)
		}, v1.IsCodeTooManyAttempts},
		{"consumed concurrently", right, func(f *fixture) {
			f.codes.EXPECT().Latest(gomock.Any(), target).Return(live(), nil)
			f.codes.EXPECT().Attempt(gomock.Any(), int64(9), 5).Return(true, nil)
			f.codes.EXPECT().Consume(gomock.Any(), int64(9)).Return(false, nil)
		}, v1.IsCodeInvalid},
		{"code for another target", right, func(f *fixture) {
			c := live()
			c.Hash = codeHash(testSecret, "+8613900139000", right)
			f.codes.EXPECT().Latest(gomock.Any(), target).Return(c, nil)
			f.codes.EXPECT().Attempt(gomock.Any(), int64(9), 5).Return(true, nil)
		}, v1.IsCodeInvalid},
		{"right code, disabled account", right, func(f *fixture) {
			f.codes.EXPECT().Latest(gomock.Any(), target).Return(live(), nil)
			f.codes.EXPECT().Attempt(gomock.Any(), int64(9), 5).Return(true, nil)
			f.codes.EXPECT().Consume(gomock.Any(), int64(9)).Return(true, nil)
			f.users.EXPECT().FindByPhone(gomock.Any(), target).Return(&User{ID: 3, Disabled: true}, nil)
		}, v1.IsUserDisabled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.setup(f)
			tok, err := f.codeUC().Login(context.Background(), "13800138000", tt.code, Client{IP: "10.0.0.1"})
			wantReason(t, err, tt.wantErr, "the expected reason")
			if tok != nil {
				t.Fatal("tokens issued")
			}
		})
	}
}

// Send then Login with what was sent: the account is made on first use.
func TestCodeSendThenLoginCreatesUser(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const target = "newbie@example.com"
	var stored *LoginCode
	var sent string
	f.codes.EXPECT().Latest(gomock.Any(), target).Return(nil, ErrNotFound)
	f.codes.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, c *LoginCode) error {
		c.ID = 11
		stored = c
		return nil
	})
	f.sender.EXPECT().Send(gomock.Any(), TargetEmail, target, gomock.Any(), gomock.Any()).
		DoAndReturn(func(_ context.Context, _ TargetKind, _, code string, _ time.Duration) error {
			sent = code
			return nil
		})
	uc := f.codeUC()
	if _, err := uc.Send(ctx, "NewBie@example.com", Client{IP: "10.0.0.1"}); err != nil {
		t.Fatal(err)
	}

	f.now = testNow.Add(2 * time.Minute)
	f.codes.EXPECT().Latest(gomock.Any(), target).DoAndReturn(func(context.Context, string) (*LoginCode, error) { return stored, nil })
	f.codes.EXPECT().Attempt(gomock.Any(), int64(11), 5).Return(true, nil)
	f.codes.EXPECT().Consume(gomock.Any(), int64(11)).Return(true, nil)
	f.users.EXPECT().FindByEmail(gomock.Any(), target).Return(nil, ErrNotFound)
	f.users.EXPECT().Count(gomock.Any()).Return(int64(4), nil)
	var created *User
	f.users.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, u *User) (*User, error) {
		c := *u
		c.ID = 42
		created = &c
		return created, nil
	})
	cs := f.expectSessionCreate(42)

	tok, err := uc.Login(ctx, target, sent, Client{IP: "10.0.0.1", UserAgent: "phone"})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if created.Email != target || created.Nickname != "newbie" || created.Role != auth.RoleUser || created.PasswordHash != "" {
		t.Errorf("created user = %+v", created)
	}
	if !regexp.MustCompile(`^u_[0-9]{8}$`).MatchString(created.Username) {
		t.Errorf("username = %q, want u_ and 8 digits", created.Username)
	}
	if !cs.session.CreatedAt.Equal(f.now) {
		t.Errorf("session created at %v, want %v", cs.session.CreatedAt, f.now)
	}
	f.checkTokens(tok, created, cs.session.ID, cs.token.Hash)
}

func TestCodeLoginExistingPhoneUser(t *testing.T) {
	f := newFixture(t)
	const target = "+8613800138000"
	u := &User{ID: 5, Username: "carol", Phone: target, Role: auth.RoleUser}
	f.codes.EXPECT().Latest(gomock.Any(), target).
		Return(&LoginCode{ID: 2, Hash: codeHash(testSecret, target, "000042"), ExpiresAt: testNow.Add(time.Minute)}, nil)
	f.codes.EXPECT().Attempt(gomock.Any(), int64(2), 5).Return(true, nil)
	f.codes.EXPECT().Consume(gomock.Any(), int64(2)).Return(true, nil)
	f.users.EXPECT().FindByPhone(gomock.Any(), target).Return(u, nil)
	cs := f.expectSessionCreate(5)
	// No Count or Create: the account exists.
	tok, err := f.codeUC().Login(context.Background(), "+86 138 0013 8000", "000042", Client{})
	if err != nil {
		t.Fatal(err)
	}
	f.checkTokens(tok, u, cs.session.ID, cs.token.Hash)
}

func TestCodeLoginRetriesTakenUsername(t *testing.T) {
	f := newFixture(t)
	const target = "+14155552671"
	f.codes.EXPECT().Latest(gomock.Any(), target).
		Return(&LoginCode{ID: 2, Hash: codeHash(testSecret, target, "111111"), ExpiresAt: testNow.Add(time.Minute)}, nil)
	f.codes.EXPECT().Attempt(gomock.Any(), int64(2), 5).Return(true, nil)
	f.codes.EXPECT().Consume(gomock.Any(), int64(2)).Return(true, nil)
	f.users.EXPECT().FindByPhone(gomock.Any(), target).Return(nil, ErrNotFound)
	f.users.EXPECT().Count(gomock.Any()).Return(int64(1), nil).Times(2)
	var names []string
	gomock.InOrder(
		f.users.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, u *User) (*User, error) {
			names = append(names, u.Username)
			return nil, ErrDuplicate
		}),
		f.users.EXPECT().Taken(gomock.Any(), gomock.Any()).Return("username", nil),
		f.users.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, u *User) (*User, error) {
			names = append(names, u.Username)
			c := *u
			c.ID = 77
			return &c, nil
		}),
	)
	cs := f.expectSessionCreate(77)
	tok, err := f.codeUC().Login(context.Background(), target, "111111", Client{})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 || names[0] == names[1] {
		t.Errorf("usernames tried = %v, want two different ones", names)
	}
	if tok.User.Phone != target || tok.User.Nickname != "user2671" {
		t.Errorf("user = %+v", tok.User)
	}
	f.checkTokens(tok, tok.User, cs.session.ID, cs.token.Hash)
}

func TestCodeLoginRateLimitedPerIP(t *testing.T) {
	f := newFixture(t)
	f.policy.LoginPerIP = ratelimit.Rule{Limit: 1, Window: time.Minute}
	f.codes.EXPECT().Latest(gomock.Any(), gomock.Any()).Return(nil, ErrNotFound)
	uc := f.codeUC()
	c := Client{IP: "10.9.9.9"}
	if _, err := uc.Login(context.Background(), "a@example.com", "000000", c); !v1.IsCodeInvalid(err) {
		t.Fatalf("first: %v", err)
	}
	_, err := uc.Login(context.Background(), "b@example.com", "000000", c)
	wantReason(t, err, commonv1.IsRateLimited, "RATE_LIMITED")
}

// An account that only claimed an email (typed at sign-up, never proven) is
// handed to whoever proves the email, and everything that let others in goes.
func TestCodeLoginClaimsUnverifiedEmail(t *testing.T) {
	for _, verified := range []bool{false, true} {
		t.Run(fmt.Sprintf("verified=%v", verified), func(t *testing.T) {
			f := newFixture(t)
			const target = "victim@example.com"
			u := &User{ID: 8, Username: "squatter", Email: target, EmailVerified: verified,
				PasswordHash: mustHash(t, "Attacker-pass1"), Role: auth.RoleUser}
			f.codes.EXPECT().Latest(gomock.Any(), target).
				Return(&LoginCode{ID: 4, Hash: codeHash(testSecret, target, "123456"), ExpiresAt: testNow.Add(time.Minute)}, nil)
			f.codes.EXPECT().Attempt(gomock.Any(), int64(4), 5).Return(true, nil)
			f.codes.EXPECT().Consume(gomock.Any(), int64(4)).Return(true, nil)
			f.users.EXPECT().FindByEmail(gomock.Any(), target).Return(u, nil)
			if !verified {
				f.users.EXPECT().VerifyEmail(gomock.Any(), int64(8), true).Return(nil)
				f.sessions.EXPECT().RevokeAll(gomock.Any(), int64(8), "").Return(int64(2), nil)
				f.apps.EXPECT().RevokeAll(gomock.Any(), int64(8)).Return(nil)
			}
			cs := f.expectSessionCreate(8)
			squatters, _ := f.issuer.Issue(auth.Caller{UserID: 8, Role: auth.RoleUser, SessionID: "squatter-sid"})
			tok, err := f.codeUC().Login(context.Background(), target, "123456", Client{})
			if err != nil {
				t.Fatal(err)
			}
			f.checkTokens(tok, u, cs.session.ID, cs.token.Hash)
			if !verified && (u.PasswordHash != "" || !u.EmailVerified) {
				t.Fatalf("claimed account keeps its password (%q) or stays unverified", u.PasswordHash)
			}
			// The squatter's access token dies at once (in every service);
			// the proven owner's, issued by the claim, works.
			rec, _ := f.revoked.Get(context.Background(), 8)
			old, _ := f.verifier.Verify(squatters)
			owner, err := f.verifier.Verify(tok.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Voids(old) != !verified {
				t.Errorf("squatter's token revoked = %v, want %v", rec.Voids(old), !verified)
			}
			if rec.Voids(owner) {
				t.Error("the token the claim issued to the email's owner is revoked")
			}
		})
	}
}
