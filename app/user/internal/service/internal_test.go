package service_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	confv1 "clouddrive/api/conf/v1"
	v1 "clouddrive/api/user/v1"
	"clouddrive/app/user/internal/biz"
	"clouddrive/app/user/internal/data"
	"clouddrive/app/user/internal/server"
	"clouddrive/app/user/internal/service"
	"clouddrive/pkg/apimsg"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/testkit"
)

// svcFixture is the account use case on a fresh SQLite database, with the
// services that expose it.
type svcFixture struct {
	users    biz.UserRepo
	user     *service.UserService
	internal *service.UserInternalService
	alice    *biz.User
	bob      *biz.User
}

func newSvcFixture(t *testing.T) *svcFixture {
	t.Helper()
	logger := log.NewStdLogger(io.Discard)
	d, cleanup, err := data.NewData(&confv1.Data{Database: &confv1.Data_Database{Driver: "sqlite", Source: testkit.SQLite(t)}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	f := &svcFixture{users: data.NewUserRepo(d)}
	accounts := biz.NewAccountUsecase(f.users, nil, nil, &biz.Policy{}, logger)
	f.user = service.NewUserService(accounts, nil, nil, nil, nil)
	f.internal = service.NewUserInternalService(accounts, nil, nil)
	ctx := context.Background()
	if f.alice, err = f.users.Create(ctx, &biz.User{Username: "Alice", Nickname: "Al", Email: "alice@example.com", Role: auth.RoleUser}); err != nil {
		t.Fatal(err)
	}
	if f.bob, err = f.users.Create(ctx, &biz.User{Username: "bob", Role: auth.RoleUser}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *svcFixture) as(u *biz.User) context.Context {
	return auth.NewContext(context.Background(), auth.Caller{UserID: u.ID, Role: u.Role})
}

func reasonOf(err error) string {
	if err == nil {
		return ""
	}
	return kerrors.FromError(err).Reason
}

func TestUserInternalGetAndLookup(t *testing.T) {
	f := newSvcFixture(t)
	ctx := context.Background()
	alice := apimsg.FormatID(f.alice.ID)
	tests := []struct {
		name string
		call func() (*v1.UserInfo, error)
		want string // the user's id; "" for USER_NOT_FOUND
	}{
		{"get", func() (*v1.UserInfo, error) { return f.internal.GetUser(ctx, &v1.GetUserRequest{UserId: alice}) }, alice},
		{"get absent", func() (*v1.UserInfo, error) {
			return f.internal.GetUser(ctx, &v1.GetUserRequest{UserId: apimsg.FormatID(f.bob.ID + 100)})
		}, ""},
		{"get not an id", func() (*v1.UserInfo, error) { return f.internal.GetUser(ctx, &v1.GetUserRequest{UserId: "alice"}) }, ""},
		{"lookup exact", func() (*v1.UserInfo, error) {
			return f.internal.LookupUser(ctx, &v1.LookupUserRequest{Username: "Alice"})
		}, alice},
		{"lookup in another case", func() (*v1.UserInfo, error) {
			return f.internal.LookupUser(ctx, &v1.LookupUserRequest{Username: "aLICE"})
		}, alice},
		{"lookup absent", func() (*v1.UserInfo, error) {
			return f.internal.LookupUser(ctx, &v1.LookupUserRequest{Username: "carol"})
		}, ""},
		{"lookup by nickname finds nothing", func() (*v1.UserInfo, error) {
			return f.internal.LookupUser(ctx, &v1.LookupUserRequest{Username: "Al"})
		}, ""},
		{"lookup by email finds nothing", func() (*v1.UserInfo, error) {
			return f.internal.LookupUser(ctx, &v1.LookupUserRequest{Username: "alice@example.com"})
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := tt.call()
			if tt.want == "" {
				if !v1.IsUserNotFound(err) {
					t.Fatalf("= %v, %v (reason %q); want USER_NOT_FOUND", u, err, reasonOf(err))
				}
				return
			}
			if err != nil || u.GetId() != tt.want || u.GetUsername() != "Alice" || u.GetEmail() != "alice@example.com" ||
				!u.GetEmailNotifications() {
				t.Fatalf("= %v, %v; want Alice with email notifications on", u, err)
			}
		})
	}
}

// The owner turns email notifications off and on with UpdateProfile and sees
// the setting in their UserInfo; other services see it too.
func TestEmailNotificationsSetting(t *testing.T) {
	f := newSvcFixture(t)
	ctx := f.as(f.alice)
	off, on := false, true
	internal := func() *v1.UserInfo {
		t.Helper()
		u, err := f.internal.GetUser(context.Background(), &v1.GetUserRequest{UserId: apimsg.FormatID(f.alice.ID)})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	me, err := f.user.Me(ctx, &v1.MeRequest{})
	if err != nil || !me.GetEmailNotifications() {
		t.Fatalf("Me = %v, %v; want email notifications on", me, err)
	}
	steps := []struct {
		name string
		req  *v1.UpdateProfileRequest
		want bool
	}{
		{"off", &v1.UpdateProfileRequest{EmailNotifications: &off}, false},
		{"absent leaves it", &v1.UpdateProfileRequest{Nickname: str("Ally")}, false},
		{"on", &v1.UpdateProfileRequest{EmailNotifications: &on}, true},
		{"off with an email change", &v1.UpdateProfileRequest{Email: str("al@example.com"), EmailNotifications: &off}, false},
	}
	for _, s := range steps {
		u, err := f.user.UpdateProfile(ctx, s.req)
		if err != nil || u.GetEmailNotifications() != s.want {
			t.Fatalf("%s: UpdateProfile = %v, %v; want email notifications %v", s.name, u, err, s.want)
		}
		if me, err := f.user.Me(ctx, &v1.MeRequest{}); err != nil || me.GetEmailNotifications() != s.want {
			t.Fatalf("%s: Me = %v, %v", s.name, me, err)
		}
		if got := internal().GetEmailNotifications(); got != s.want {
			t.Fatalf("%s: GetUser says email notifications %v", s.name, got)
		}
	}
	if me, _ := f.user.Me(ctx, &v1.MeRequest{}); me.GetNickname() != "Ally" || me.GetEmail() != "al@example.com" {
		t.Errorf("Me = %v", me)
	}
	// Bob's setting is his own.
	if u, err := f.user.Me(f.as(f.bob), &v1.MeRequest{}); err != nil || !u.GetEmailNotifications() {
		t.Errorf("bob's Me = %v, %v", u, err)
	}
}

func str(s string) *string { return &s }

// UserInternal is served on gRPC, through the same middleware as every RPC:
// with the internal secret only, and with the request validated.
func TestUserInternalOverGRPC(t *testing.T) {
	f := newSvcFixture(t)
	const secret = "internal-secret"
	logger := log.NewStdLogger(io.Discard)
	gs := apiserver.NewGRPCServer("127.0.0.1:0", 0, apiserver.Config{Logger: logger,
		Auth: auth.Options{InternalSecret: secret, Logger: logger}})
	server.RegisterGRPC(gs, f.user, service.NewAdminService(nil), f.internal)
	ep, err := gs.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Start(context.Background()) }()
	t.Cleanup(func() { _ = gs.Stop(context.Background()) })
	conn, err := grpc.NewClient(strings.TrimPrefix(ep.Host, "grpc://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := v1.NewUserInternalClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	withSecret := func(s string) context.Context { return metadata.AppendToOutgoingContext(ctx, auth.InternalHeader, s) }

	u, err := c.LookupUser(withSecret(secret), &v1.LookupUserRequest{Username: "ALICE"})
	if err != nil || u.GetId() != apimsg.FormatID(f.alice.ID) {
		t.Fatalf("LookupUser with the secret = %v, %v", u, err)
	}
	u, err = c.GetUser(withSecret(secret), &v1.GetUserRequest{UserId: apimsg.FormatID(f.bob.ID)})
	if err != nil || u.GetUsername() != "bob" {
		t.Fatalf("GetUser with the secret = %v, %v", u, err)
	}
	for _, tc := range []struct {
		name string
		call func() error
		code int32
	}{
		{"no secret", func() error {
			_, err := c.GetUser(ctx, &v1.GetUserRequest{UserId: apimsg.FormatID(f.bob.ID)})
			return err
		}, 403},
		{"a wrong secret", func() error {
			_, err := c.LookupUser(withSecret("guess"), &v1.LookupUserRequest{Username: "bob"})
			return err
		}, 403},
		{"an empty username", func() error {
			_, err := c.LookupUser(withSecret(secret), &v1.LookupUserRequest{})
			return err
		}, 400},
		{"an unknown username", func() error {
			_, err := c.LookupUser(withSecret(secret), &v1.LookupUserRequest{Username: "carol"})
			return err
		}, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := kerrors.FromError(tc.call()).Code; got != tc.code {
				t.Fatalf("code %d, want %d", got, tc.code)
			}
		})
	}
}
