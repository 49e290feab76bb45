package service

import (
	"context"

	v1 "clouddrive/api/user/v1"
	"clouddrive/app/user/internal/biz"
	"clouddrive/pkg/apimsg"
)

// UserService implements the User API.
type UserService struct {
	v1.UnimplementedUserServer

	accounts *biz.AccountUsecase
	sessions *biz.SessionUsecase
	codes    *biz.CodeUsecase
	oauth    *biz.OAuthUsecase
	apps     *biz.AppPasswordUsecase
}

var _ v1.UserHTTPServer = (*UserService)(nil)

// NewUserService builds the service.
func NewUserService(accounts *biz.AccountUsecase, sessions *biz.SessionUsecase, codes *biz.CodeUsecase,
	oauth *biz.OAuthUsecase, apps *biz.AppPasswordUsecase) *UserService {
	return &UserService{accounts: accounts, sessions: sessions, codes: codes, oauth: oauth, apps: apps}
}

func (s *UserService) Register(ctx context.Context, req *v1.RegisterRequest) (*v1.RegisterReply, error) {
	u, err := s.accounts.Register(ctx, req.GetUsername(), req.GetPassword(), req.GetEmail(), client(ctx))
	if err != nil {
		return nil, err
	}
	return &v1.RegisterReply{User: toUserInfo(u)}, nil
}

func (s *UserService) Login(ctx context.Context, req *v1.LoginRequest) (*v1.TokenReply, error) {
	t, err := s.sessions.Login(ctx, req.GetUsername(), req.GetPassword(), client(ctx))
	if err != nil {
		return nil, err
	}
	return toTokenReply(t), nil
}

func (s *UserService) Refresh(ctx context.Context, req *v1.RefreshRequest) (*v1.TokenReply, error) {
	t, err := s.sessions.Refresh(ctx, req.GetRefreshToken())
	if err != nil {
		return nil, err
	}
	return toTokenReply(t), nil
}

func (s *UserService) Logout(ctx context.Context, req *v1.LogoutRequest) (*v1.LogoutReply, error) {
	return &v1.LogoutReply{}, s.sessions.Logout(ctx, req.GetRefreshToken())
}

func (s *UserService) Me(ctx context.Context, _ *v1.MeRequest) (*v1.UserInfo, error) {
	c, err := apimsg.Caller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.accounts.Me(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	return toUserInfo(u), nil
}

func (s *UserService) UpdateProfile(ctx context.Context, req *v1.UpdateProfileRequest) (*v1.UserInfo, error) {
	c, err := apimsg.Caller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.accounts.UpdateProfile(ctx, c.UserID, biz.ProfileChange{Nickname: req.Nickname, Email: req.Email,
		EmailNotifications: req.EmailNotifications})
	if err != nil {
		return nil, err
	}
	return toUserInfo(u), nil
}

func (s *UserService) ChangePassword(ctx context.Context, req *v1.ChangePasswordRequest) (*v1.ChangePasswordReply, error) {
	c, err := apimsg.Caller(ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.accounts.ChangePassword(ctx, c, req.GetOldPassword(), req.GetNewPassword())
	if err != nil {
		return nil, err
	}
	return &v1.ChangePasswordReply{RevokedSessions: n}, nil
}

func (s *UserService) SendCode(ctx context.Context, req *v1.SendCodeRequest) (*v1.SendCodeReply, error) {
	r, err := s.codes.Send(ctx, req.GetTarget(), client(ctx))
	if err != nil {
		return nil, err
	}
	return &v1.SendCodeReply{ExpiresIn: int64(r.ExpiresIn.Seconds()), ResendAfter: int64(r.ResendAfter.Seconds())}, nil
}

func (s *UserService) CodeLogin(ctx context.Context, req *v1.CodeLoginRequest) (*v1.TokenReply, error) {
	t, err := s.codes.Login(ctx, req.GetTarget(), req.GetCode(), client(ctx))
	if err != nil {
		return nil, err
	}
	return toTokenReply(t), nil
}

func (s *UserService) OAuthExchange(ctx context.Context, req *v1.OAuthExchangeRequest) (*v1.TokenReply, error) {
	t, err := s.oauth.Exchange(ctx, req.GetTicket(), client(ctx))
	if err != nil {
		return nil, err
	}
	return toTokenReply(t), nil
}

func (s *UserService) OAuthLinkURL(ctx context.Context, _ *v1.OAuthLinkURLRequest) (*v1.OAuthLinkURLReply, error) {
	c, err := apimsg.Caller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.oauth.LinkURL(c.UserID, GitHubBeginPath)
	if err != nil {
		return nil, err
	}
	return &v1.OAuthLinkURLReply{Url: u}, nil
}

func (s *UserService) OAuthLinkConfirm(ctx context.Context, req *v1.OAuthLinkConfirmRequest) (*v1.OAuthLinkConfirmReply, error) {
	c, err := apimsg.Caller(ctx)
	if err != nil {
		return nil, err
	}
	login, err := s.oauth.ConfirmLink(ctx, c.UserID, req.GetTicket())
	if err != nil {
		return nil, err
	}
	return &v1.OAuthLinkConfirmReply{Login: login}, nil
}

func (s *UserService) ListSessions(ctx context.Context, _ *v1.ListSessionsRequest) (*v1.ListSessionsReply, error) {
	c, err := apimsg.Caller(ctx)
	if err != nil {
		return nil, err
	}
	ss, err := s.sessions.List(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	out := &v1.ListSessionsReply{Sessions: make([]*v1.Session, 0, len(ss))}
	for _, x := range ss {
		out.Sessions = append(out.Sessions, &v1.Session{Id: x.ID, UserAgent: x.UserAgent, Ip: x.IP,
			CreatedAt: apimsg.Timestamp(x.CreatedAt), LastUsedAt: apimsg.Timestamp(x.LastUsedAt), Current: x.ID == c.SessionID})
	}
	return out, nil
}

func (s *UserService) RevokeSession(ctx context.Context, req *v1.RevokeSessionRequest) (*v1.RevokeSessionReply, error) {
	c, err := apimsg.Caller(ctx)
	if err != nil {
		return nil, err
	}
	return &v1.RevokeSessionReply{}, s.sessions.Revoke(ctx, c.UserID, req.GetId())
}

func toAppPassword(p *biz.AppPassword) *v1.AppPassword {
	out := &v1.AppPassword{Id: apimsg.FormatID(p.ID), Name: p.Name, CreatedAt: apimsg.Timestamp(p.CreatedAt)}
	if p.LastUsedAt != nil {
		out.LastUsedAt = apimsg.Timestamp(*p.LastUsedAt)
	}
	return out
}

func (s *UserService) CreateAppPassword(ctx context.Context, req *v1.CreateAppPasswordRequest) (*v1.CreateAppPasswordReply, error) {
	c, err := apimsg.Caller(ctx)
	if err != nil {
		return nil, err
	}
	p, secret, err := s.apps.Create(ctx, c.UserID, req.GetName())
	if err != nil {
		return nil, err
	}
	return &v1.CreateAppPasswordReply{AppPassword: toAppPassword(p), Password: secret}, nil
}

func (s *UserService) ListAppPasswords(ctx context.Context, _ *v1.ListAppPasswordsRequest) (*v1.ListAppPasswordsReply, error) {
	c, err := apimsg.Caller(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := s.apps.List(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	out := &v1.ListAppPasswordsReply{Items: make([]*v1.AppPassword, 0, len(ps))}
	for _, p := range ps {
		out.Items = append(out.Items, toAppPassword(p))
	}
	return out, nil
}

func (s *UserService) RevokeAppPassword(ctx context.Context, req *v1.RevokeAppPasswordRequest) (*v1.RevokeAppPasswordReply, error) {
	c, err := apimsg.Caller(ctx)
	if err != nil {
		return nil, err
	}
	id, ok := apimsg.ParseID(req.GetId())
	if !ok {
		return nil, v1.ErrorAppPasswordNotFound("no such app password")
	}
	return &v1.RevokeAppPasswordReply{}, s.apps.Revoke(ctx, c.UserID, id)
}
