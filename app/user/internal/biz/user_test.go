package biz

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"
	"golang.org/x/crypto/bcrypt"

	v1 "clouddrive/api/user/v1"
	"clouddrive/pkg/auth"
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

			u, err := f.accountUC().Register(ctx, tt.username, tt.password, email)
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
			u, err := f.accountUC().Register(context.Background(), "dave", pw, "dave@example.com")
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
		if _, err := f.accountUC().Register(context.Background(), "alice", "Sturdy-Passw0rd", ""); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
	})
	t.Run("taken fails", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Count(gomock.Any()).Return(int64(1), nil)
		f.users.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil, ErrDuplicate)
		f.users.EXPECT().Taken(gomock.Any(), gomock.Any()).Return("", boom)
		if _, err := f.accountUC().Register(context.Background(), "alice", "Sturdy-Passw0rd", ""); !errors.Is(err, boom) {
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
		_, err := f.accountUC().ChangePassword(ctx, caller, "nope-Passw0rd", newPw)
		wantReason(t, err, v1.IsInvalidCredentials, "INVALID_CREDENTIALS")
		if metadataOf(err)["field"] != "old_password" {
			t.Errorf("metadata = %v, want field old_password", metadataOf(err))
		}
	})
	t.Run("weak new password", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Get(gomock.Any(), int64(7)).Return(&User{ID: 7, Username: "alice", PasswordHash: mustHash(t, oldPw)}, nil)
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
	})
}

func TestAccountUpdateProfile(t *testing.T) {
	ctx := context.Background()
	t.Run("trims the nickname", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().UpdateProfile(gomock.Any(), int64(7), gomock.Any(), gomock.Nil()).
			DoAndReturn(func(_ context.Context, _ int64, nick, _ *string) (*User, error) {
				if nick == nil || *nick != "Alice" {
					t.Errorf("nickname = %v, want Alice", nick)
				}
				return &User{ID: 7, Nickname: *nick}, nil
			})
		nick := "  Alice \t"
		if _, err := f.accountUC().UpdateProfile(ctx, 7, &nick, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("duplicate email", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().UpdateProfile(gomock.Any(), int64(7), gomock.Nil(), gomock.Any()).Return(nil, ErrDuplicate)
		email := "taken@example.com"
		_, err := f.accountUC().UpdateProfile(ctx, 7, nil, &email)
		wantReason(t, err, v1.IsEmailTaken, "EMAIL_TAKEN")
	})
	t.Run("not found", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().UpdateProfile(gomock.Any(), int64(7), gomock.Nil(), gomock.Nil()).Return(nil, ErrNotFound)
		_, err := f.accountUC().UpdateProfile(ctx, 7, nil, nil)
		wantReason(t, err, v1.IsUserNotFound, "USER_NOT_FOUND")
	})
}
