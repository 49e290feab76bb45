package service

import (
	"context"

	v1 "clouddrive/api/user/v1"
	"clouddrive/app/user/internal/biz"
	"clouddrive/pkg/apimsg"
	"clouddrive/pkg/auth"
)

// UserInternalService is for other services (ACCESS_INTERNAL, gRPC only):
// a share's owner and recipient, whether a notification goes by email.
type UserInternalService struct {
	v1.UnimplementedUserInternalServer
	accounts *biz.AccountUsecase
	apps     *biz.AppPasswordUsecase
	issuer   biz.TokenIssuer
}

// NewUserInternalService builds the service.
func NewUserInternalService(accounts *biz.AccountUsecase, apps *biz.AppPasswordUsecase, issuer biz.TokenIssuer) *UserInternalService {
	return &UserInternalService{accounts: accounts, apps: apps, issuer: issuer}
}

func (s *UserInternalService) GetUser(ctx context.Context, req *v1.GetUserRequest) (*v1.UserInfo, error) {
	uid, ok := apimsg.ParseID(req.GetUserId())
	if !ok {
		return nil, v1.ErrorUserNotFound("user not found")
	}
	u, err := s.accounts.Get(ctx, uid)
	if err != nil {
		return nil, err
	}
	return toUserInfo(u), nil
}

func (s *UserInternalService) LookupUser(ctx context.Context, req *v1.LookupUserRequest) (*v1.UserInfo, error) {
	u, err := s.accounts.Lookup(ctx, req.GetUsername())
	if err != nil {
		return nil, err
	}
	return toUserInfo(u), nil
}

// AppPasswordToken signs a WebDAV client in: the app password is checked,
// and the token carries the user role only, whatever the account's, so an
// app password never acts as an administrator.
func (s *UserInternalService) AppPasswordToken(ctx context.Context, req *v1.AppPasswordTokenRequest) (*v1.AppPasswordTokenReply, error) {
	u, sid, err := s.apps.VerifySession(ctx, req.GetUsername(), req.GetPassword())
	if err != nil {
		return nil, err
	}
	// The app password's own session id: revoking it voids the token at once.
	token, err := s.issuer.Issue(auth.Caller{UserID: u.ID, Role: auth.RoleUser, SessionID: sid})
	if err != nil {
		return nil, err
	}
	return &v1.AppPasswordTokenReply{User: toUserInfo(u), AccessToken: token, ExpiresIn: int64(s.issuer.TTL().Seconds())}, nil
}
