package service_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	confv1 "clouddrive/api/conf/v1"
	v1 "clouddrive/api/user/v1"
	"clouddrive/app/user/internal/biz"
	"clouddrive/app/user/internal/data"
	"clouddrive/app/user/internal/service"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/testkit"
)

// AppPasswordToken (WebDAV's sign-in) accepts an app password of the named
// user only, never the account password, and its token never carries the
// admin role.
func TestAppPasswordToken(t *testing.T) {
	ctx := context.Background()
	logger := log.NewStdLogger(io.Discard)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d, cleanup, err := data.NewData(&confv1.Data{Database: &confv1.Data_Database{Driver: "sqlite", Source: testkit.SQLite(t)}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	users := data.NewUserRepo(d)
	admin, err := users.Create(ctx, &biz.User{Username: "root", Role: auth.RoleAdmin, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := users.Create(ctx, &biz.User{Username: "eve", Role: auth.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	apps := biz.NewAppPasswordUsecase(data.NewAppPasswordRepo(d), users, auth.NewMemoryRevocations(), &biz.Policy{AccessTTL: time.Minute}, biz.NewClock(), logger)
	accounts := biz.NewAccountUsecase(users, nil, nil, &biz.Policy{}, logger)
	s := service.NewUserInternalService(accounts, apps, auth.NewIssuer(priv, time.Minute))
	_, secret, err := apps.Create(ctx, admin.ID, "webdav")
	if err != nil {
		t.Fatal(err)
	}
	_, eveSecret, err := apps.Create(ctx, other.ID, "webdav")
	if err != nil {
		t.Fatal(err)
	}

	out, err := s.AppPasswordToken(ctx, &v1.AppPasswordTokenRequest{Username: "root", Password: secret})
	if err != nil {
		t.Fatal(err)
	}
	c, err := auth.NewVerifier(pub).Verify(out.GetAccessToken())
	if err != nil {
		t.Fatal(err)
	}
	if c.UserID != admin.ID || c.Role != auth.RoleUser || out.GetUser().GetUsername() != "root" || out.GetExpiresIn() != 60 {
		t.Fatalf("token for %+v (reply %v), want user %d with the user role", c, out, admin.ID)
	}
	// The token carries the app password's session: revoking it voids the token.
	if !strings.HasPrefix(c.SessionID, "app:") {
		t.Errorf("token session %q, want the app password's (app:<id>)", c.SessionID)
	}
	for _, tc := range []struct{ name, user, pass string }{
		{"wrong password", "root", secret + "x"},
		{"another user's app password", "root", eveSecret},
		{"account password", "root", "x"},
		{"unknown user", "nobody", secret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.AppPasswordToken(ctx, &v1.AppPasswordTokenRequest{Username: tc.user, Password: tc.pass})
			if reasonOf(err) != v1.ErrorReason_INVALID_CREDENTIALS.String() {
				t.Fatalf("err = %v, want INVALID_CREDENTIALS", err)
			}
		})
	}
}
