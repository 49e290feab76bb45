package data

import (
	"context"
	"strconv"

	userv1 "clouddrive/api/user/v1"
	"clouddrive/app/notify/internal/biz"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/auth"
)

// UserClient reaches the user service through its internal gRPC API (or, in
// the standalone binary, the same API on this process's own port).
type UserClient struct {
	c userv1.UserInternalClient
	auth.InternalClient
}

var _ biz.UserService = (*UserClient)(nil)

// NewUserClient wraps a UserInternal client; secret is the internal secret.
func NewUserClient(c userv1.UserInternalClient, secret string) *UserClient {
	return &UserClient{c: c, InternalClient: auth.InternalClient{Secret: secret}}
}

// GetUser implements biz.UserService.
func (u *UserClient) GetUser(ctx context.Context, id int64) (*biz.User, error) {
	ctx = u.Sign(ctx)
	out, err := u.c.GetUser(ctx, &userv1.GetUserRequest{UserId: strconv.FormatInt(id, 10)})
	if err != nil {
		// A gRPC status becomes the kratos error it was.
		se := apierror.FromRemote(err)
		if userv1.IsUserNotFound(se) {
			return nil, biz.ErrUserNotFound
		}
		return nil, se
	}
	uid, _ := strconv.ParseInt(out.GetId(), 10, 64)
	if uid == 0 {
		uid = id
	}
	return &biz.User{ID: uid, Nickname: out.GetNickname(), Email: out.GetEmail(),
		EmailNotifications: out.GetEmailNotifications(), Disabled: out.GetDisabled()}, nil
}
