package biz

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"
	"golang.org/x/crypto/bcrypt"

	commonv1 "clouddrive/api/common/v1"
	v1 "clouddrive/api/user/v1"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/ratelimit"
)

func TestAccountRegister(t *testing.T) {
	const goodPw = "Sturdy-Passw0rd"
	tests := []struct {
		name      string
		username  string
		password  string
		admins    []string
		count     int64
		createErr error  // what Create returns
		taken     string // what Taken says after ErrDuplicate
		wantRole  string
		wantErr   func(error) bool
		wantField string
	}{
		{name: "first user becomes admin", username: "alice", password: goodPw, count: 0, wantRole: auth.RoleAdmin},
		{name: "later user is a user", username: "bob", password: goodPw, count: 3, wantRole: auth.RoleUser},
		{name: "configured admin", username: "Boss", password: goodPw, admins: []string{"root", "boss"}, count: 7, wantRole: auth.RoleAdmin},
		{name: "not a configured admin", username: "bossy", password: goodPw, admins: []string{"boss"}, count: 7, wantRole: auth.RoleUser},
		{name: "username taken", username: "carol", password: goodPw, count: 2, createErr: ErrDuplicate, taken: "username",
			wantErr: v1.IsUsernameTaken, wantField: "username"},
		{name: "email taken", username: "dave", password: goodPw, count: 2, createErr: ErrDuplicate, taken: "email",
			wantErr: v1.IsEmailTaken, wantField: "email"},
		{name: "unknown taken field reads as username", username: "erin", password: goodPw, count: 2, createErr: ErrDuplicate, taken: "",
			wantErr: v1.IsUsernameTaken, wantField: "username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.policy.AdminUsernames = tt.admins
			ctx := context.Background()
			email := tt.username + "@example.com"

			var stored *User
			f.users.EXPECT().Count(gomock.Any()).Return(tt.count, nil)
			f.users.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, u *User) (*User, error) {
				stored = u
				if tt.createErr != nil {
					return nil, tt.createErr
				}
				c := *u
				c.ID = 42
				return &c, nil
			})
			if tt.createErr != nil {
				f.users.EXPECT().Taken(gomock.Any(), gomock.Any()).Return(tt.taken, nil)
			}

			u, err := f.accountUC().Register(ctx, tt.username, tt.password, email, Client{IP: "203.0.113.9"})
			if tt.wantErr != nil {
				wantReason(t, err, tt.wantErr, tt.name)
				if got := metadataOf(err)["field"]; got != tt.wantField {
					t.Errorf("field = %q, want %q", got, tt.wantField)
				}
				if u != nil {
					t.Errorf("user returned with an error: %+v", u)
				}
				return
			}
			if err != nil {
				t.Fatalf("Register: %v", err)
			}
			if u.ID != 42 || u.Role != tt.wantRole || u.Username != tt.username || u.Nickname != tt.username || u.Email != email {
				t.Errorf("user = %+v, want id 42 role %q", u, tt.wantRole)
			}
			if stored.Role != tt.wantRole {
				t.Errorf("stored role %q, want %q", stored.Role, tt.wantRole)
			}
			// Only a bcrypt hash of the password is stored, at the policy's cost.
			if stored.PasswordHash == tt.password || strings.Contains(stored.PasswordHash, tt.password) {
				t.Fatal("the plaintext password reached the repo")
			}
			if err := bcrypt.CompareHashAndPassword([]byte(stored.PasswordHash), []byte(tt.password)); err != nil {
				t.Errorf("stored hash is not a bcrypt hash of the password: %v", err)
			}
			if cost, err := bcrypt.Cost([]byte(stored.PasswordHash)); err != nil || cost != bcrypt.MinCost {
				t.Errorf("bcrypt cost = %d (%v), want the policy's %d", cost, err, bcrypt.MinCost)
			}
		})
	}
}

func TestAccountRegisterWeakPasswordTouchesNoRepo(t *testing.T) {
	for _, pw := range []string{"short1", "alllowercase", "password1", "xxdave-2024"} {
		t.Run(pw, func(t *testing.T) {
			f := newFixture(t) // no expectations: any repo call fails the test
			u, err := f.accountUC().Register(context.Background(), "dave", pw, "dave@example.com", Client{IP: "203.0.113.9"})
			wantReason(t, err, v1.IsWeakPassword, "WEAK_PASSWORD")
			if u != nil {
				t.Fatalf("user returned: %+v", u)
			}
		})
	}
}

func TestAccountRegisterRepoErrors(t *testing.T) {
	boom := errors.New("db down")
	t.Run("count fails", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Count(gomock.Any()).Return(int64(0), boom)
		if _, err := f.accountUC().Register(context.Background(), "alice", "Sturdy-Passw0rd", "", Client{IP: "203.0.113.9"}); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
	})
	t.Run("taken fails", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Count(gomock.Any()).Return(int64(1), nil)
		f.users.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil, ErrDuplicate)
		f.users.EXPECT().Taken(gomock.Any(), gomock.Any()).Return("", boom)
		if _, err := f.accountUC().Register(context.Background(), "alice", "Sturdy-Passw0rd", "", Client{IP: "203.0.113.9"}); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
	})
}

func TestAccountChangePassword(t *testing.T) {
	ctx := context.Background()
	caller := auth.Caller{UserID: 7, Role: auth.RoleUser, SessionID: "keep-me"}
	const oldPw, newPw = "Old-passw0rd", "New-passw0rd!"

	t.Run("wrong current password", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Get(gomock.Any(), int64(7)).Return(&User{ID: 7, Username: "alice", PasswordHash: mustHash(t, oldPw)}, nil)
		f.sessions.EXPECT().List(gomock.Any(), int64(7), gomock.Any()).Return([]*Session{{ID: "keep-me", UserID: 7}}, nil)
		_, err := f.accountUC().ChangePassword(ctx, caller, "nope-Passw0rd", newPw)
		wantReason(t, err, v1.IsInvalidCredentials, "INVALID_CREDENTIALS")
		if metadataOf(err)["field"] != "old_password" {
			t.Errorf("metadata = %v, want field old_password", metadataOf(err))
		}
	})
	t.Run("weak new password", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Get(gomock.Any(), int64(7)).Return(&User{ID: 7, Username: "alice", PasswordHash: mustHash(t, oldPw)}, nil)
		f.sessions.EXPECT().List(gomock.Any(), int64(7), gomock.Any()).Return([]*Session{{ID: "keep-me", UserID: 7}}, nil)
		_, err := f.accountUC().ChangePassword(ctx, caller, oldPw, "alice-2024")
		wantReason(t, err, v1.IsWeakPassword, "WEAK_PASSWORD")
		if metadataOf(err)["field"] != "new_password" {
			t.Errorf("metadata = %v, want field new_password", metadataOf(err))
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Get(gomock.Any(), int64(7)).Return(nil, ErrNotFound)
		_, err := f.accountUC().ChangePassword(ctx, caller, oldPw, newPw)
		wantReason(t, err, v1.IsUserNotFound, "USER_NOT_FOUND")
	})
	t.Run("changes and signs out the other sessions", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Get(gomock.Any(), int64(7)).Return(&User{ID: 7, Username: "alice", PasswordHash: mustHash(t, oldPw)}, nil)
		f.sessions.EXPECT().List(gomock.Any(), int64(7), gomock.Any()).Return([]*Session{{ID: "keep-me", UserID: 7}}, nil)
		other, _ := f.issuer.Issue(auth.Caller{UserID: 7, Role: auth.RoleUser, SessionID: "other"})
		mine, _ := f.issuer.Issue(auth.Caller{UserID: 7, Role: auth.RoleUser, SessionID: "keep-me"})
		var hash string
		f.users.EXPECT().UpdatePassword(gomock.Any(), int64(7), gomock.Any()).DoAndReturn(func(_ context.Context, _ int64, h string) error {
			hash = h
			return nil
		})
		f.sessions.EXPECT().RevokeAll(gomock.Any(), int64(7), "keep-me").Return(int64(3), nil)
		n, err := f.accountUC().ChangePassword(ctx, caller, oldPw, newPw)
		if err != nil || n != 3 {
			t.Fatalf("ChangePassword = %d, %v; want 3, nil", n, err)
		}
		if !passwordMatches(hash, newPw, bcrypt.MinCost) || passwordMatches(hash, oldPw, bcrypt.MinCost) {
			t.Fatal("stored hash is not the new password's")
		}
		// The other sessions' access tokens die at once; the caller's live on.
		rec, _ := f.revoked.Get(ctx, 7)
		if c, _ := f.verifier.Verify(other); !rec.Voids(c) {
			t.Error("another session's access token survived the password change")
		}
		if c, _ := f.verifier.Verify(mine); rec.Voids(c) {
			t.Error("the caller's own access token was revoked")
		}
	})
	// An email claim cleared the password and revoked every session: a
	// token of one of them must not set a first password, even while the
	// revocation store is down (the middleware then fails open).
	t.Run("a revoked session cannot set a first password", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Get(gomock.Any(), int64(7)).Return(&User{ID: 7, Username: "alice"}, nil)
		f.sessions.EXPECT().List(gomock.Any(), int64(7), gomock.Any()).Return([]*Session{{ID: "the-owners", UserID: 7}}, nil)
		_, err := f.accountUC().ChangePassword(ctx, caller, "", newPw)
		wantReason(t, err, commonv1.IsTokenRevoked, "TOKEN_REVOKED")
	})
	t.Run("a token without a session cannot change the password", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Get(gomock.Any(), int64(7)).Return(&User{ID: 7, Username: "alice"}, nil)
		_, err := f.accountUC().ChangePassword(ctx, auth.Caller{UserID: 7, Role: auth.RoleUser}, "", newPw)
		wantReason(t, err, commonv1.IsTokenRevoked, "TOKEN_REVOKED")
	})
	t.Run("guesses of the current password are throttled per user", func(t *testing.T) {
		f := newFixture(t)
		f.policy.PasswordPerUser = ratelimit.Rule{Limit: 3, Window: time.Hour}
		u := &User{ID: 7, Username: "alice", PasswordHash: mustHash(t, oldPw)}
		f.users.EXPECT().Get(gomock.Any(), int64(7)).Return(u, nil).AnyTimes()
		f.sessions.EXPECT().List(gomock.Any(), int64(7), gomock.Any()).Return([]*Session{{ID: "keep-me", UserID: 7}}, nil).AnyTimes()
		for i := 0; i < 3; i++ {
			_, err := f.accountUC().ChangePassword(ctx, caller, "guess-Passw0rd"+string(rune('a'+i)), newPw)
			wantReason(t, err, v1.IsInvalidCredentials, "INVALID_CREDENTIALS")
		}
		// Charged before the comparison: the right one waits too, so the
		// answer says nothing about the guess.
		_, err := f.accountUC().ChangePassword(ctx, caller, oldPw, newPw)
		wantReason(t, err, commonv1.IsRateLimited, "RATE_LIMITED")
		// Another user is not affected.
		f.users.EXPECT().Get(gomock.Any(), int64(8)).Return(&User{ID: 8, Username: "bob", PasswordHash: mustHash(t, oldPw)}, nil)
		f.sessions.EXPECT().List(gomock.Any(), int64(8), gomock.Any()).Return([]*Session{{ID: "b", UserID: 8}}, nil)
		_, err = f.accountUC().ChangePassword(ctx, auth.Caller{UserID: 8, SessionID: "b"}, "guess-Passw0rd", newPw)
		wantReason(t, err, v1.IsInvalidCredentials, "INVALID_CREDENTIALS")
	})
}

func TestAccountRegisterThrottledPerIP(t *testing.T) {
	f := newFixture(t)
	f.policy.RegisterPerIP = ratelimit.Rule{Limit: 2, Window: time.Hour}
	f.users.EXPECT().Count(gomock.Any()).Return(int64(1), nil).Times(2)
	f.users.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, u *User) (*User, error) {
		c := *u
		c.ID = 9
		return &c, nil
	}).Times(2)
	ctx := context.Background()
	from := Client{IP: "198.51.100.7"}
	for _, name := range []string{"one", "two"} {
		if _, err := f.accountUC().Register(ctx, name, "Sturdy-Passw0rd", "", from); err != nil {
			t.Fatalf("sign-up %s: %v", name, err)
		}
	}
	// The third from that address is refused before any bcrypt or insert
	// (the mocks allow exactly two); another address still signs up.
	_, err := f.accountUC().Register(ctx, "three", "Sturdy-Passw0rd", "", from)
	wantReason(t, err, commonv1.IsRateLimited, "RATE_LIMITED")
	f.users.EXPECT().Count(gomock.Any()).Return(int64(3), nil)
	f.users.EXPECT().Create(gomock.Any(), gomock.Any()).Return(&User{ID: 10, Username: "four"}, nil)
	if _, err := f.accountUC().Register(ctx, "four", "Sturdy-Passw0rd", "", Client{IP: "198.51.100.8"}); err != nil {
		t.Fatalf("sign-up from another address: %v", err)
	}
}

func TestAccountUpdateProfile(t *testing.T) {
	ctx := context.Background()
	t.Run("trims the nickname", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().UpdateProfile(gomock.Any(), int64(7), gomock.Any()).
			DoAndReturn(func(_ context.Context, _ int64, c ProfileChange) (*User, error) {
				if c.Nickname == nil || *c.Nickname != "Alice" || c.Email != nil || c.EmailNotifications != nil {
					t.Errorf("change = %+v, want nickname Alice only", c)
				}
				return &User{ID: 7, Nickname: *c.Nickname}, nil
			})
		nick := "  Alice \t"
		if _, err := f.accountUC().UpdateProfile(ctx, 7, ProfileChange{Nickname: &nick}); err != nil {
			t.Fatal(err)
		}
		if nick != "  Alice \t" {
			t.Errorf("the caller's nickname was changed to %q", nick)
		}
	})
	t.Run("email notifications pass through", func(t *testing.T) {
		for _, on := range []bool{false, true} {
			f := newFixture(t)
			f.users.EXPECT().UpdateProfile(gomock.Any(), int64(7), ProfileChange{EmailNotifications: &on}).
				Return(&User{ID: 7, EmailNotifications: on}, nil)
			u, err := f.accountUC().UpdateProfile(ctx, 7, ProfileChange{EmailNotifications: &on})
			if err != nil || u.EmailNotifications != on {
				t.Fatalf("UpdateProfile(email_notifications %v) = %+v, %v", on, u, err)
			}
		}
	})
	t.Run("duplicate email", func(t *testing.T) {
		f := newFixture(t)
		email := "taken@example.com"
		f.users.EXPECT().UpdateProfile(gomock.Any(), int64(7), ProfileChange{Email: &email}).Return(nil, ErrDuplicate)
		_, err := f.accountUC().UpdateProfile(ctx, 7, ProfileChange{Email: &email})
		wantReason(t, err, v1.IsEmailTaken, "EMAIL_TAKEN")
	})
	t.Run("not found", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().UpdateProfile(gomock.Any(), int64(7), ProfileChange{}).Return(nil, ErrNotFound)
		_, err := f.accountUC().UpdateProfile(ctx, 7, ProfileChange{})
		wantReason(t, err, v1.IsUserNotFound, "USER_NOT_FOUND")
	})
}

func TestAccountGetAndLookup(t *testing.T) {
	ctx := context.Background()
	alice := &User{ID: 7, Username: "Alice", EmailNotifications: true}
	tests := []struct {
		name   string
		expect func(f *fixture)
		call   func(uc *AccountUsecase) (*User, error)
		want   *User
	}{
		{"get", func(f *fixture) { f.users.EXPECT().Get(gomock.Any(), int64(7)).Return(alice, nil) },
			func(uc *AccountUsecase) (*User, error) { return uc.Get(ctx, 7) }, alice},
		{"get absent", func(f *fixture) { f.users.EXPECT().Get(gomock.Any(), int64(8)).Return(nil, ErrNotFound) },
			func(uc *AccountUsecase) (*User, error) { return uc.Get(ctx, 8) }, nil},
		{"lookup in another case", func(f *fixture) { f.users.EXPECT().FindByUsername(gomock.Any(), "ALICE").Return(alice, nil) },
			func(uc *AccountUsecase) (*User, error) { return uc.Lookup(ctx, "ALICE") }, alice},
		{"lookup absent", func(f *fixture) { f.users.EXPECT().FindByUsername(gomock.Any(), "bob").Return(nil, ErrNotFound) },
			func(uc *AccountUsecase) (*User, error) { return uc.Lookup(ctx, "bob") }, nil},
		{"lookup of nothing asks no repo", func(*fixture) {},
			func(uc *AccountUsecase) (*User, error) { return uc.Lookup(ctx, "  ") }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.expect(f)
			u, err := tt.call(f.accountUC())
			if tt.want == nil {
				wantReason(t, err, v1.IsUserNotFound, "USER_NOT_FOUND")
				return
			}
			if err != nil || u != tt.want {
				t.Fatalf("= %+v, %v; want %+v", u, err, tt.want)
			}
		})
	}
}
