package service

import (
	"context"

	v1 "clouddrive/api/user/v1"
	"clouddrive/app/user/internal/biz"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/apimsg"
	"clouddrive/pkg/auth"
)

// AdminService implements the Admin API. The auth middleware has already
// refused callers without the admin role (ACCESS_ADMIN).
type AdminService struct {
	v1.UnimplementedAdminServer
	uc *biz.AdminUsecase
}

var _ v1.AdminHTTPServer = (*AdminService)(nil)

// NewAdminService builds the service.
func NewAdminService(uc *biz.AdminUsecase) *AdminService { return &AdminService{uc: uc} }

func (s *AdminService) ListUsers(ctx context.Context, req *v1.ListUsersRequest) (*v1.ListUsersReply, error) {
	after := int64(0)
	if req.GetPageToken() != "" {
		var ok bool
		if after, ok = apimsg.ParseID(req.GetPageToken()); !ok {
			return nil, invalidPageToken()
		}
	}
	p, err := s.uc.ListUsers(ctx, req.GetQuery(), after, int(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	out := &v1.ListUsersReply{Users: make([]*v1.UserInfo, 0, len(p.Users))}
	for _, u := range p.Users {
		out.Users = append(out.Users, toUserInfo(u))
	}
	if p.NextID > 0 {
		out.NextPageToken = apimsg.FormatID(p.NextID)
	}
	return out, nil
}

func (s *AdminService) DisableUser(ctx context.Context, req *v1.DisableUserRequest) (*v1.UserInfo, error) {
	return s.setDisabled(ctx, req.GetUserId(), s.uc.Disable)
}

func (s *AdminService) EnableUser(ctx context.Context, req *v1.EnableUserRequest) (*v1.UserInfo, error) {
	return s.setDisabled(ctx, req.GetUserId(), s.uc.Enable)
}

func (s *AdminService) setDisabled(ctx context.Context, id string, f func(context.Context, auth.Caller, int64) (*biz.User, error)) (*v1.UserInfo, error) {
	c, err := apimsg.Caller(ctx)
	if err != nil {
		return nil, err
	}
	uid, ok := apimsg.ParseID(id)
	if !ok {
		return nil, v1.ErrorUserNotFound("user not found")
	}
	u, err := f(ctx, c, uid)
	if err != nil {
		return nil, err
	}
	return toUserInfo(u), nil
}

func invalidPageToken() error { return apierror.Invalid("page_token", "malformed page token") }
