// Package service turns the user API's messages into calls on the use cases
// and their results back into messages. The caller comes from the context
// (pkg/auth) and is passed to biz explicitly.
package service

import (
	"context"
	"time"

	"github.com/google/wire"

	commonv1 "clouddrive/api/common/v1"
	v1 "clouddrive/api/user/v1"
	"clouddrive/app/user/internal/biz"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewUserService, NewAdminService, NewUserInternalService, NewOAuthHandler)

func caller(ctx context.Context) (auth.Caller, error) {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Caller{}, commonv1.ErrorUnauthenticated("a bearer access token is required")
	}
	return c, nil
}

func client(ctx context.Context) biz.Client {
	c := apiserver.ClientFrom(ctx)
	return biz.Client{IP: c.IP, UserAgent: c.UserAgent}
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func toUserInfo(u *biz.User) *v1.UserInfo {
	return &v1.UserInfo{
		Id: biz.FormatID(u.ID), Username: u.Username, Nickname: u.Nickname, Email: u.Email, Phone: u.Phone,
		Role: u.Role, Disabled: u.Disabled, CreatedAt: timestamp(u.CreatedAt),
		EmailVerified: u.EmailVerified, HasPassword: u.PasswordHash != "", EmailNotifications: u.EmailNotifications,
	}
}

func toTokenReply(t *biz.Tokens) *v1.TokenReply {
	return &v1.TokenReply{
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresIn: int64(t.ExpiresIn.Seconds()),
		TokenType: "Bearer", User: toUserInfo(t.User),
	}
}
