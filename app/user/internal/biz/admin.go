package biz

import (
	"context"
	"errors"

	"github.com/go-kratos/kratos/v2/log"

	commonv1 "clouddrive/api/common/v1"
	"clouddrive/pkg/auth"
)

// AdminUsecase is what administrators do with accounts.
type AdminUsecase struct {
	users       UserRepo
	sessions    SessionRepo
	revocations auth.Revocations
	policy      *Policy
	now         Clock
	log         *log.Helper
}

// NewAdminUsecase builds the use case.
func NewAdminUsecase(users UserRepo, sessions SessionRepo, revocations auth.Revocations, p *Policy, now Clock, logger log.Logger) *AdminUsecase {
	return &AdminUsecase{users: users, sessions: sessions, revocations: revocations, policy: p, now: now,
		log: log.NewHelper(log.With(logger, "module", "biz/admin"))}
}

// UserPage is one page of the user list.
type UserPage struct {
	Users  []*User
	NextID int64 // 0 at the end
}

// ListUsers pages through accounts matching query.
func (uc *AdminUsecase) ListUsers(ctx context.Context, query string, afterID int64, size int) (*UserPage, error) {
	if size <= 0 || size > 1000 {
		size = 50
	}
	us, err := uc.users.List(ctx, query, afterID, size+1)
	if err != nil {
		return nil, err
	}
	p := &UserPage{Users: us}
	if len(us) > size {
		p.Users = us[:size]
		p.NextID = us[size-1].ID
	}
	return p, nil
}

// Disable stops an account at once: no sign-in, every session revoked, and
// every access token already issued refused by every service.
func (uc *AdminUsecase) Disable(ctx context.Context, admin auth.Caller, uid int64) (*User, error) {
	if uid == admin.UserID {
		return nil, commonv1.ErrorForbidden("administrators cannot disable themselves")
	}
	u, err := uc.users.SetDisabled(ctx, uid, true)
	if errors.Is(err, ErrNotFound) {
		return nil, errUserNotFound()
	}
	if err != nil {
		return nil, err
	}
	// Every token and URL issued up to now is refused from now on.
	if err := RevokeTokens(ctx, uc.revocations, uc.policy, uid, ""); err != nil {
		return nil, err
	}
	if _, err := uc.sessions.RevokeAll(ctx, uid, ""); err != nil {
		return nil, err
	}
	uc.log.WithContext(ctx).Infow("msg", "user disabled", "uid", uid, "by", admin.UserID)
	return u, nil
}

// Enable lets an account sign in again (old sessions stay revoked).
func (uc *AdminUsecase) Enable(ctx context.Context, admin auth.Caller, uid int64) (*User, error) {
	u, err := uc.users.SetDisabled(ctx, uid, false)
	if errors.Is(err, ErrNotFound) {
		return nil, errUserNotFound()
	}
	if err == nil {
		uc.log.WithContext(ctx).Infow("msg", "user enabled", "uid", uid, "by", admin.UserID)
	}
	return u, err
}
