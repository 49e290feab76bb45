package biz

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	v1 "clouddrive/api/user/v1"
	"clouddrive/pkg/auth"
)

// fakeAppPasswords backs the mock with a map so that Verify sees what Create stored.
func fakeAppPasswords(f *fixture) map[string]*AppPassword {
	byHash := map[string]*AppPassword{}
	var next int64
	f.apps.EXPECT().Create(gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(func(_ context.Context, p *AppPassword) error {
		next++
		p.ID = next
		byHash[p.Hash] = p
		return nil
	})
	f.apps.EXPECT().FindByHash(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().
		DoAndReturn(func(_ context.Context, uid int64, h string) (*AppPassword, error) {
			if p, ok := byHash[h]; ok && p.UserID == uid {
				return p, nil
			}
			return nil, ErrNotFound
		})
	return byHash
}

var appSecretRE = regexp.MustCompile(`^cdap-[a-z2-7]{32}$`)

func TestAppPasswordCreate(t *testing.T) {
	f := newFixture(t)
	stored := fakeAppPasswords(f)
	uc := f.appPasswordUC()
	p, secret, err := uc.Create(context.Background(), 7, "  laptop webdav ")
	if err != nil {
		t.Fatal(err)
	}
	if !appSecretRE.MatchString(secret) {
		t.Fatalf("secret %q is not cdap- and 32 base32 characters", secret)
	}
	if p.Hash != HashToken(secret) || stored[HashToken(secret)] != p {
		t.Fatal("the stored hash is not HashToken(secret)")
	}
	if strings.Contains(p.Hash, strings.TrimPrefix(secret, "cdap-")) {
		t.Fatal("the secret is stored in clear")
	}
	if p.UserID != 7 || p.Name != "laptop webdav" || !p.CreatedAt.Equal(testNow) {
		t.Errorf("stored = %+v", p)
	}
	_, secret2, err := uc.Create(context.Background(), 7, "phone")
	if err != nil || secret2 == secret {
		t.Fatalf("second secret %q (%v) repeats the first", secret2, err)
	}
}

func TestAppPasswordVerify(t *testing.T) {
	ctx := context.Background()
	alice := &User{ID: 7, Username: "alice"}
	bob := &User{ID: 8, Username: "bob"}

	f := newFixture(t)
	fakeAppPasswords(f)
	uc := f.appPasswordUC()
	_, secret, err := uc.Create(ctx, alice.ID, "webdav")
	if err != nil {
		t.Fatal(err)
	}
	wrong := "cdap-" + strings.Repeat("a", 32)

	tests := []struct {
		name     string
		username string
		secret   string
		setup    func()
		wantErr  func(error) bool
	}{
		{"right secret", "alice", secret, func() {
			f.users.EXPECT().FindByUsername(gomock.Any(), "alice").Return(alice, nil)
			f.apps.EXPECT().Touch(gomock.Any(), int64(7), int64(1), testNow).Return(nil)
		}, nil},
		{"wrong secret", "alice", wrong, func() {
			f.users.EXPECT().FindByUsername(gomock.Any(), "alice").Return(alice, nil)
		}, v1.IsInvalidCredentials},
		{"someone else's secret", "bob", secret, func() {
			f.users.EXPECT().FindByUsername(gomock.Any(), "bob").Return(bob, nil)
		}, v1.IsInvalidCredentials},
		{"account password instead of an app password", "alice", "Correct-horse-9", func() {}, v1.IsInvalidCredentials},
		{"unknown user", "nobody", secret, func() {
			f.users.EXPECT().FindByUsername(gomock.Any(), "nobody").Return(nil, ErrNotFound)
		}, v1.IsInvalidCredentials},
		{"disabled user", "alice", secret, func() {
			f.users.EXPECT().FindByUsername(gomock.Any(), "alice").Return(&User{ID: 7, Username: "alice", Disabled: true}, nil)
		}, v1.IsUserDisabled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup()
			u, err := uc.Verify(ctx, tt.username, tt.secret)
			if tt.wantErr == nil {
				if err != nil || u != alice {
					t.Fatalf("Verify = %+v, %v; want alice", u, err)
				}
				return
			}
			wantReason(t, err, tt.wantErr, "the expected reason")
			if u != nil {
				t.Fatalf("user returned: %+v", u)
			}
		})
	}
}

func TestAppPasswordRevoke(t *testing.T) {
	f := newFixture(t)
	f.apps.EXPECT().Revoke(gomock.Any(), int64(7), int64(3)).Return(nil)
	f.apps.EXPECT().Revoke(gomock.Any(), int64(7), int64(4)).Return(ErrNotFound)
	uc := f.appPasswordUC()
	// A token issued for app password 3 (what a WebDAV client holds) and
	// one for app password 5.
	mine, _ := f.issuer.Issue(auth.Caller{UserID: 7, Role: auth.RoleUser, SessionID: AppPasswordSession(3)})
	other, _ := f.issuer.Issue(auth.Caller{UserID: 7, Role: auth.RoleUser, SessionID: AppPasswordSession(5)})
	if err := uc.Revoke(context.Background(), 7, 3); err != nil {
		t.Fatal(err)
	}
	wantReason(t, uc.Revoke(context.Background(), 7, 4), v1.IsAppPasswordNotFound, "APP_PASSWORD_NOT_FOUND")
	rec, _ := f.revoked.Get(context.Background(), 7)
	if c, _ := f.verifier.Verify(mine); !rec.Voids(c) {
		t.Error("a token of the revoked app password still works")
	}
	if c, _ := f.verifier.Verify(other); rec.Voids(c) {
		t.Error("a token of another app password was revoked")
	}
	if len(rec.Sessions) != 1 {
		t.Errorf("revocations %+v, want app password 3's only", rec)
	}
}
