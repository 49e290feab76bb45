package data

import (
	"context"
	"strings"
	"testing"
	"time"

	"clouddrive/app/user/internal/biz"
	"clouddrive/pkg/database"
)

func mustCreateUser(t *testing.T, r biz.UserRepo, u *biz.User) *biz.User {
	t.Helper()
	if u.Role == "" {
		u.Role = "user"
	}
	got, err := r.Create(context.Background(), u)
	if err != nil {
		t.Fatalf("Create(%q): %v", u.Username, err)
	}
	return got
}

func usernames(us []*biz.User) string {
	names := make([]string, len(us))
	for i, u := range us {
		names[i] = u.Username
	}
	return strings.Join(names, ",")
}

func TestUserCreate(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewUserRepo(d)
		ctx := context.Background()
		u, err := r.Create(ctx, &biz.User{Username: "Alice", Nickname: "Al", Email: " Alice@Example.com ",
			Phone: "+8613800000000", Role: "admin", PasswordHash: "h"})
		if err != nil {
			t.Fatal(err)
		}
		if u.ID <= 0 || u.Username != "Alice" || u.Nickname != "Al" || u.Email != "Alice@Example.com" ||
			u.Phone != "+8613800000000" || u.Role != "admin" || u.PasswordHash != "h" || u.Disabled || u.CreatedAt.IsZero() {
			t.Fatalf("created = %+v", u)
		}
		got, err := r.Get(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != "Alice" || got.Email != "Alice@Example.com" || got.Phone != u.Phone {
			t.Fatalf("Get = %+v", got)
		}
		if _, err := r.Get(ctx, u.ID+1000); err != biz.ErrNotFound {
			t.Fatalf("Get(absent) error = %v, want ErrNotFound", err)
		}
	})
}

func TestUserDuplicates(t *testing.T) {
	tests := []struct {
		name          string
		first, second biz.User
		wantErr       error
		wantTaken     string // Taken of the second, when it was refused
	}{
		{"username differs in case", biz.User{Username: "Alice"}, biz.User{Username: "alice"}, biz.ErrDuplicate, "username"},
		{"username with spaces", biz.User{Username: "bob"}, biz.User{Username: " BOB "}, biz.ErrDuplicate, "username"},
		{"email differs in case", biz.User{Username: "carol", Email: "c@x.io"}, biz.User{Username: "dave", Email: "C@X.IO"}, biz.ErrDuplicate, "email"},
		{"phone", biz.User{Username: "erin", Phone: "+15550001"}, biz.User{Username: "frank", Phone: "+15550001"}, biz.ErrDuplicate, "phone"},
		{"no email twice", biz.User{Username: "gina"}, biz.User{Username: "hank"}, nil, ""},
		{"different emails", biz.User{Username: "ivy", Email: "ivy@x.io"}, biz.User{Username: "jack", Email: "jack@x.io"}, nil, ""},
	}
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewUserRepo(d)
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				first, second := tt.first, tt.second
				mustCreateUser(t, r, &first)
				second.Role = "user"
				_, err := r.Create(ctx, &second)
				wantErr(t, "second Create", err, tt.wantErr)
				if tt.wantTaken == "" {
					return
				}
				field, err := r.Taken(ctx, &second)
				if err != nil || field != tt.wantTaken {
					t.Fatalf("Taken = %q, %v; want %q", field, err, tt.wantTaken)
				}
			})
		}
		// A name that is free reports no error (the field is then unused).
		if _, err := r.Taken(ctx, &biz.User{Username: "nobody", Email: "nobody@x.io", Phone: "+1999"}); err != nil {
			t.Fatalf("Taken(free): %v", err)
		}
	})
}

func TestUserFind(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewUserRepo(d)
		ctx := context.Background()
		alice := mustCreateUser(t, r, &biz.User{Username: "Alice", Email: "Alice@Example.com", Phone: "+8613800000001"})
		mustCreateUser(t, r, &biz.User{Username: "bob"})
		tests := []struct {
			name    string
			find    func() (*biz.User, error)
			wantID  int64
			wantErr error
		}{
			{"username exact", func() (*biz.User, error) { return r.FindByUsername(ctx, "Alice") }, alice.ID, nil},
			{"username folded", func() (*biz.User, error) { return r.FindByUsername(ctx, " ALICE ") }, alice.ID, nil},
			{"username absent", func() (*biz.User, error) { return r.FindByUsername(ctx, "carol") }, 0, biz.ErrNotFound},
			{"email folded", func() (*biz.User, error) { return r.FindByEmail(ctx, "alice@EXAMPLE.com") }, alice.ID, nil},
			{"email absent", func() (*biz.User, error) { return r.FindByEmail(ctx, "bob@example.com") }, 0, biz.ErrNotFound},
			{"empty email matches nobody", func() (*biz.User, error) { return r.FindByEmail(ctx, "") }, 0, biz.ErrNotFound},
			{"phone", func() (*biz.User, error) { return r.FindByPhone(ctx, "+8613800000001") }, alice.ID, nil},
			{"phone absent", func() (*biz.User, error) { return r.FindByPhone(ctx, "+8613800000002") }, 0, biz.ErrNotFound},
			{"empty phone matches nobody", func() (*biz.User, error) { return r.FindByPhone(ctx, "") }, 0, biz.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := tt.find()
				wantErr(t, tt.name, err, tt.wantErr)
				if tt.wantErr == nil && u.ID != tt.wantID {
					t.Fatalf("found id %d, want %d", u.ID, tt.wantID)
				}
			})
		}
		if n, err := r.Count(ctx); err != nil || n != 2 {
			t.Fatalf("Count = %d, %v; want 2", n, err)
		}
	})
}

func TestUserUpdateProfile(t *testing.T) {
	str := func(s string) *string { return &s }
	on, off := true, false
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewUserRepo(d)
		ctx := context.Background()
		a := mustCreateUser(t, r, &biz.User{Username: "a", Nickname: "A", Email: "a@x.io"})
		b := mustCreateUser(t, r, &biz.User{Username: "b", Nickname: "B", Email: "b@x.io"})
		mustCreateUser(t, r, &biz.User{Username: "c"}) // no email either
		tests := []struct {
			name               string
			id                 int64
			change             biz.ProfileChange
			wantErr            error
			wantNick, wantMail string
			wantNotify         bool
		}{
			{"nothing", a.ID, biz.ProfileChange{}, nil, "A", "a@x.io", true},
			{"nickname only", a.ID, biz.ProfileChange{Nickname: str("Ay")}, nil, "Ay", "a@x.io", true},
			{"email only, trimmed", a.ID, biz.ProfileChange{Email: str(" A2@X.io ")}, nil, "Ay", "A2@X.io", true},
			{"email of another, other case", a.ID, biz.ProfileChange{Email: str("B@x.io")}, biz.ErrDuplicate, "", "", false},
			{"email cleared beside another empty one", a.ID, biz.ProfileChange{Nickname: str("Ay"), Email: str("")}, nil, "Ay", "", true},
			{"email taken back by b's old one freed", b.ID, biz.ProfileChange{Email: str("b2@x.io")}, nil, "B", "b2@x.io", true},
			{"a takes b's old email", a.ID, biz.ProfileChange{Email: str("b@x.io")}, nil, "Ay", "b@x.io", true},
			{"email notifications off", a.ID, biz.ProfileChange{EmailNotifications: &off}, nil, "Ay", "b@x.io", false},
			{"off again (no row changes)", a.ID, biz.ProfileChange{EmailNotifications: &off}, nil, "Ay", "b@x.io", false},
			{"other fields leave them off", a.ID, biz.ProfileChange{Nickname: str("Al"), Email: str("a3@x.io")}, nil, "Al", "a3@x.io", false},
			{"email notifications on, with a nickname", a.ID, biz.ProfileChange{Nickname: str("Ay"), EmailNotifications: &on}, nil, "Ay", "a3@x.io", true},
			{"absent user", a.ID + 1000, biz.ProfileChange{Nickname: str("x")}, biz.ErrNotFound, "", "", false},
			{"absent user, notifications only", a.ID + 1000, biz.ProfileChange{EmailNotifications: &off}, biz.ErrNotFound, "", "", false},
			{"absent user, nothing to set", a.ID + 1000, biz.ProfileChange{}, biz.ErrNotFound, "", "", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := r.UpdateProfile(ctx, tt.id, tt.change)
				wantErr(t, "UpdateProfile", err, tt.wantErr)
				if tt.wantErr != nil {
					return
				}
				if u.Nickname != tt.wantNick || u.Email != tt.wantMail || u.EmailNotifications != tt.wantNotify {
					t.Fatalf("after update: nickname %q email %q notifications %v; want %q %q %v",
						u.Nickname, u.Email, u.EmailNotifications, tt.wantNick, tt.wantMail, tt.wantNotify)
				}
				if got, err := r.Get(ctx, tt.id); err != nil || got.EmailNotifications != tt.wantNotify {
					t.Fatalf("Get after update = %+v, %v; want notifications %v", got, err, tt.wantNotify)
				}
			})
		}
		// The folded key follows the email.
		if u, err := r.FindByEmail(ctx, "A3@X.IO"); err != nil || u.ID != a.ID {
			t.Fatalf("FindByEmail after the change = %v, %v; want user a", u, err)
		}
		if _, err := r.FindByEmail(ctx, "b@x.io"); err != biz.ErrNotFound {
			t.Fatalf("old email still found: %v", err)
		}
		// Someone else's setting is their own.
		if u, err := r.Get(ctx, b.ID); err != nil || !u.EmailNotifications {
			t.Fatalf("b after a's changes = %+v, %v; want notifications on", u, err)
		}
	})
}

// Email notifications are on for every new account, whatever Create is
// given, and for the accounts that existed before the column did.
func TestUserEmailNotificationsDefault(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewUserRepo(d)
		ctx := context.Background()
		u := mustCreateUser(t, r, &biz.User{Username: "new", EmailNotifications: false})
		if !u.EmailNotifications {
			t.Errorf("Create returned notifications off")
		}
		if got, err := r.FindByUsername(ctx, "NEW"); err != nil || !got.EmailNotifications {
			t.Errorf("FindByUsername(new) = %+v, %v; want notifications on", got, err)
		}
	})
	for _, b := range backends {
		t.Run(b.name+"/migrated", func(t *testing.T) {
			db, err := database.Open(database.Config{Driver: b.name, Source: b.source(t)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if sqlDB, err := db.DB(); err == nil {
					_ = sqlDB.Close()
				}
			})
			if err := db.AutoMigrate(&legacyUser{}); err != nil {
				t.Fatalf("legacy users table: %v", err)
			}
			old := &legacyUser{Username: "old", UsernameKey: "old", Role: "user"}
			if err := db.Create(old).Error; err != nil {
				t.Fatal(err)
			}
			if err := Migrate(db); err != nil {
				t.Fatalf("Migrate over the legacy table: %v", err)
			}
			u, err := NewUserRepo(&Data{DB: db}).Get(context.Background(), old.ID)
			if err != nil || u.Username != "old" || !u.EmailNotifications {
				t.Fatalf("legacy user after Migrate = %+v, %v; want notifications on", u, err)
			}
		})
	}
}

// legacyUser is the users table before email_notifications.
type legacyUser struct {
	ID          int64  `gorm:"primaryKey;autoIncrement"`
	Username    string `gorm:"type:varchar(64);not null"`
	UsernameKey string `gorm:"type:varchar(64);not null;uniqueIndex"`
	Role        string `gorm:"type:varchar(16);not null"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (legacyUser) TableName() string { return "users" }

func TestUserUpdatePasswordAndDisable(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewUserRepo(d)
		ctx := context.Background()
		u := mustCreateUser(t, r, &biz.User{Username: "u", PasswordHash: "old"})
		tests := []struct {
			name    string
			run     func() error
			wantErr error
		}{
			{"password", func() error { return r.UpdatePassword(ctx, u.ID, "new") }, nil},
			{"same password again (no row changes)", func() error { return r.UpdatePassword(ctx, u.ID, "new") }, nil},
			{"password of absent user", func() error { return r.UpdatePassword(ctx, u.ID+1000, "x") }, biz.ErrNotFound},
			{"disable", func() error { _, err := r.SetDisabled(ctx, u.ID, true); return err }, nil},
			{"disable again (no row changes)", func() error { _, err := r.SetDisabled(ctx, u.ID, true); return err }, nil},
			{"disable absent user", func() error { _, err := r.SetDisabled(ctx, u.ID+1000, true); return err }, biz.ErrNotFound},
			{"enable absent user", func() error { _, err := r.SetDisabled(ctx, -1, false); return err }, biz.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { wantErr(t, tt.name, tt.run(), tt.wantErr) })
		}
		got, err := r.Get(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.PasswordHash != "new" || !got.Disabled {
			t.Fatalf("after updates: hash %q disabled %v", got.PasswordHash, got.Disabled)
		}
		en, err := r.SetDisabled(ctx, u.ID, false)
		if err != nil || en.Disabled {
			t.Fatalf("SetDisabled(false) = %+v, %v", en, err)
		}
	})
}

func TestUserList(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewUserRepo(d)
		ctx := context.Background()
		for _, u := range []biz.User{
			{Username: "alpha", Nickname: "First One", Email: "alpha@x.io"},
			{Username: "beta", Nickname: "100% sure", Email: "beta@x.io"},
			{Username: "a_b", Nickname: "Underscore"},
			{Username: "axb", Nickname: "Plain"},
			{Username: "gamma", Nickname: "Bang!", Email: "under_score@x.io"},
			{Username: "delta", Nickname: "d", Email: "Delta@Mail.io"},
		} {
			mustCreateUser(t, r, &u)
		}
		all, err := r.List(ctx, "", 0, 100)
		if err != nil || len(all) != 6 {
			t.Fatalf("List all = %d users, %v", len(all), err)
		}
		tests := []struct {
			name    string
			query   string
			afterID int64
			limit   int
			want    string
		}{
			{"all in id order", "", 0, 100, "alpha,beta,a_b,axb,gamma,delta"},
			{"first page", "", 0, 2, "alpha,beta"},
			{"second page", "", all[1].ID, 2, "a_b,axb"},
			{"last page", "", all[3].ID, 2, "gamma,delta"},
			{"past the end", "", all[5].ID, 2, ""},
			{"username substring", "lph", 0, 100, "alpha"},
			{"case-insensitive", "ALPHA", 0, 100, "alpha"},
			{"nickname, any case", "first one", 0, 100, "alpha"},
			{"email", "mail.io", 0, 100, "delta"},
			{"email, any case", "DELTA@MAIL", 0, 100, "delta"},
			{"underscore is a literal", "a_b", 0, 100, "a_b"},
			{"lone underscore", "_", 0, 100, "a_b,gamma"},
			{"percent is a literal", "%", 0, 100, "beta"},
			{"percent in a phrase", "0% s", 0, 100, "beta"},
			{"escape character is a literal", "!", 0, 100, "gamma"},
			{"query with paging", "a", all[0].ID, 2, "beta,a_b"},
			{"no match", "zzz", 0, 100, ""},
			{"query is trimmed", "  beta  ", 0, 100, "beta"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := r.List(ctx, tt.query, tt.afterID, tt.limit)
				if err != nil {
					t.Fatal(err)
				}
				if s := usernames(got); s != tt.want {
					t.Fatalf("List(%q, %d, %d) = %q, want %q", tt.query, tt.afterID, tt.limit, s, tt.want)
				}
			})
		}
	})
}

// Keys fold case and nothing else, the same on both databases: "José" and
// "jose" are two accounts, and a search for a non-ASCII nickname folds case.
func TestUserKeysFoldCaseOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		r := NewUserRepo(d)
		ctx := context.Background()
		t.Run("accents are distinct", func(t *testing.T) {
			jose := mustCreateUser(t, r, &biz.User{Username: "José", Email: "josé@x.io"})
			plain := mustCreateUser(t, r, &biz.User{Username: "jose", Email: "jose@x.io"})
			if u, err := r.FindByUsername(ctx, "JOSÉ"); err != nil || u.ID != jose.ID {
				t.Fatalf("FindByUsername(JOSÉ) = %v, %v", u, err)
			}
			if u, err := r.FindByUsername(ctx, "jose"); err != nil || u.ID != plain.ID {
				t.Fatalf("FindByUsername(jose) = %v, %v", u, err)
			}
		})
		t.Run("non-ASCII nickname search ignores case", func(t *testing.T) {
			mustCreateUser(t, r, &biz.User{Username: "ecole", Nickname: "ÉCOLE"})
			if got, err := r.List(ctx, "école", 0, 10); err != nil || usernames(got) != "ecole" {
				t.Fatalf("List(école) = %q, %v", usernames(got), err)
			}
		})
	})
}
