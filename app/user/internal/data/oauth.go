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

func (r *oauthRepo) CreateTicket(ctx context.Context, hash string, t biz.Ticket, expires time.Time) error {
	m := &oauthTicketModel{Hash: hash, UserID: t.UserID, ExpiresAt: expires}
	if t.Link != nil {
		m.LinkProvider, m.LinkSubject, m.LinkLogin = t.Link.Provider, t.Link.Subject, t.Link.Login
	}
	return mapErr(r.d.db(ctx).Create(m).Error)
}

func (r *oauthRepo) ConsumeTicket(ctx context.Context, hash string, now time.Time) (*biz.Ticket, error) {
	var m oauthTicketModel
	if err := r.d.db(ctx).Where("hash = ? AND used_at IS NULL AND expires_at > ?", hash, now).Take(&m).Error; err != nil {
		return nil, mapErr(err)
	}
	res := r.d.db(ctx).Model(&oauthTicketModel{}).Where("hash = ? AND used_at IS NULL", hash).Update("used_at", now)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected != 1 {
		return nil, biz.ErrNotFound
	}
	t := &biz.Ticket{UserID: m.UserID}
	if m.LinkProvider != "" {
		t.Link = &biz.Identity{Provider: m.LinkProvider, Subject: m.LinkSubject, Login: m.LinkLogin}
	}
	return t, nil
}
