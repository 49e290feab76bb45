// Package service turns the user API's messages into calls on the use cases
// and their results back into messages. The caller comes from the context
// (pkg/auth) and is passed to biz explicitly.
package service

import (
	"context"

	"github.com/google/wire"

	v1 "clouddrive/api/user/v1"
	"clouddrive/app/user/internal/biz"
	"clouddrive/pkg/apimsg"
	"clouddrive/pkg/apiserver"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewUserService, NewAdminService, NewUserInternalService, NewOAuthHandler)

func client(ctx context.Context) biz.Client {
	c := apiserver.ClientFrom(ctx)
	return biz.Client{IP: c.IP, UserAgent: c.UserAgent}
}

func toUserInfo(u *biz.User) *v1.UserInfo {
	return &v1.UserInfo{
		Id: apimsg.FormatID(u.ID), Username: u.Username, Nickname: u.Nickname, Email: u.Email, Phone: u.Phone,
		Role: u.Role, Disabled: u.Disabled, CreatedAt: apimsg.Timestamp(u.CreatedAt),
		EmailVerified: u.EmailVerified, HasPassword: u.PasswordHash != "", EmailNotifications: u.EmailNotifications,
	}
}

func toTokenReply(t *biz.Tokens) *v1.TokenReply {
	return &v1.TokenReply{
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresIn: int64(t.ExpiresIn.Seconds()),
		TokenType: "Bearer", User: toUserInfo(t.User),
	}
}
