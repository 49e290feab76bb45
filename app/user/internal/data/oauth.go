package data

import (
	"context"
	"time"

	"clouddrive/app/user/internal/biz"
)

type oauthRepo struct{ d *Data }

var _ biz.OAuthRepo = (*oauthRepo)(nil)

// NewOAuthRepo returns the gorm OAuthRepo.
func NewOAuthRepo(d *Data) biz.OAuthRepo { return &oauthRepo{d: d} }

func (r *oauthRepo) FindLink(ctx context.Context, provider, subject string) (int64, error) {
	var m oauthLinkModel
	if err := r.d.db(ctx).Where("provider = ? AND subject = ?", provider, subject).Take(&m).Error; err != nil {
		return 0, mapErr(err)
	}
	return m.UserID, nil
}

func (r *oauthRepo) Link(ctx context.Context, userID int64, provider, subject, login string) error {
	return mapErr(r.d.db(ctx).Create(&oauthLinkModel{Provider: provider, Subject: subject, UserID: userID, Login: login}).Error)
}

func (r *oauthRepo) CreateTicket(ctx context.Context, hash string, userID int64, expires time.Time) error {
	return mapErr(r.d.db(ctx).Create(&oauthTicketModel{Hash: hash, UserID: userID, ExpiresAt: expires}).Error)
}

func (r *oauthRepo) ConsumeTicket(ctx context.Context, hash string, now time.Time) (int64, error) {
	var m oauthTicketModel
	if err := r.d.db(ctx).Where("hash = ? AND used_at IS NULL AND expires_at > ?", hash, now).Take(&m).Error; err != nil {
		return 0, mapErr(err)
	}
	res := r.d.db(ctx).Model(&oauthTicketModel{}).Where("hash = ? AND used_at IS NULL", hash).Update("used_at", now)
	if res.Error != nil {
		return 0, res.Error
	}
	if res.RowsAffected != 1 {
		return 0, biz.ErrNotFound
	}
	return m.UserID, nil
}
