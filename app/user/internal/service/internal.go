package service

import (
	"context"

	v1 "clouddrive/api/user/v1"
	"clouddrive/app/user/internal/biz"
)

// UserInternalService is for other services (ACCESS_INTERNAL, gRPC only):
// a share's owner and recipient, whether a notification goes by email.
type UserInternalService struct {
	v1.UnimplementedUserInternalServer
	accounts *biz.AccountUsecase
}

// NewUserInternalService builds the service.
func NewUserInternalService(accounts *biz.AccountUsecase) *UserInternalService {
	return &UserInternalService{accounts: accounts}
}

func (s *UserInternalService) GetUser(ctx context.Context, req *v1.GetUserRequest) (*v1.UserInfo, error) {
	uid, ok := biz.ParseID(req.GetUserId())
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
