package data

import (
	"context"
	"time"

	"gorm.io/gorm"

	"clouddrive/app/user/internal/biz"
	"clouddrive/pkg/database"
)

type sessionRepo struct{ d *Data }

var _ biz.SessionRepo = (*sessionRepo)(nil)

// NewSessionRepo returns the gorm SessionRepo.
func NewSessionRepo(d *Data) biz.SessionRepo { return &sessionRepo{d: d} }

func toSession(m *sessionModel) *biz.Session {
	return &biz.Session{ID: m.ID, UserID: m.UserID, UserAgent: m.UserAgent, IP: m.IP, CreatedAt: m.CreatedAt,
		LastUsedAt: m.LastUsedAt, ExpiresAt: m.ExpiresAt, Revoked: m.RevokedAt != nil}
}

func (r *sessionRepo) Create(ctx context.Context, s *biz.Session, first *biz.RefreshToken) error {
	return database.Transaction(ctx, r.d.DB, func(tx *gorm.DB) error {
		if err := tx.Create(&sessionModel{ID: s.ID, UserID: s.UserID, UserAgent: s.UserAgent, IP: s.IP,
			CreatedAt: s.CreatedAt, LastUsedAt: s.LastUsedAt, ExpiresAt: s.ExpiresAt}).Error; err != nil {
			return mapErr(err)
		}
		return mapErr(tx.Create(&refreshTokenModel{Hash: first.Hash, SessionID: s.ID, UserID: s.UserID,
			ExpiresAt: first.ExpiresAt, CreatedAt: s.CreatedAt}).Error)
	})
}

func (r *sessionRepo) FindToken(ctx context.Context, hash string) (*biz.RefreshToken, *biz.Session, error) {
	var t refreshTokenModel
	if err := r.d.db(ctx).Where("hash = ?", hash).Take(&t).Error; err != nil {
		return nil, nil, mapErr(err)
	}
	var s sessionModel
	if err := r.d.db(ctx).Where("id = ? AND user_id = ?", t.SessionID, t.UserID).Take(&s).Error; err != nil {
		return nil, nil, mapErr(err)
	}
	return &biz.RefreshToken{Hash: t.Hash, SessionID: t.SessionID, UserID: t.UserID, ExpiresAt: t.ExpiresAt,
		Used: t.UsedAt != nil}, toSession(&s), nil
}

func (r *sessionRepo) UseToken(ctx context.Context, hash string, now time.Time) (bool, error) {
	// Conditional: of two concurrent refreshes with one token, one wins.
	res := r.d.db(ctx).Model(&refreshTokenModel{}).Where("hash = ? AND used_at IS NULL", hash).Update("used_at", now)
	return res.RowsAffected == 1, res.Error
}

func (r *sessionRepo) AddToken(ctx context.Context, t *biz.RefreshToken, now time.Time) error {
	return database.Transaction(ctx, r.d.DB, func(tx *gorm.DB) error {
		if err := tx.Create(&refreshTokenModel{Hash: t.Hash, SessionID: t.SessionID, UserID: t.UserID,
			ExpiresAt: t.ExpiresAt, CreatedAt: now}).Error; err != nil {
			return mapErr(err)
		}
		return tx.Model(&sessionModel{}).Where("id = ? AND user_id = ?", t.SessionID, t.UserID).
			Update("last_used_at", now).Error
	})
}

func (r *sessionRepo) Revoke(ctx context.Context, userID int64, sessionID string) error {
	var s sessionModel
	if err := r.d.db(ctx).Where("id = ? AND user_id = ?", sessionID, userID).Take(&s).Error; err != nil {
		return mapErr(err)
	}
	if s.RevokedAt != nil {
		return nil
	}
	return r.d.db(ctx).Model(&sessionModel{}).Where("id = ? AND user_id = ? AND revoked_at IS NULL", sessionID, userID).
		Update("revoked_at", time.Now().UTC()).Error
}

func (r *sessionRepo) RevokeAll(ctx context.Context, userID int64, except string) (int64, error) {
	now := time.Now().UTC()
	res := r.d.db(ctx).Model(&sessionModel{}).
		Where("user_id = ? AND id <> ? AND revoked_at IS NULL AND expires_at > ?", userID, except, now).
		Update("revoked_at", now)
	return res.RowsAffected, res.Error
}

func (r *sessionRepo) List(ctx context.Context, userID int64, now time.Time) ([]*biz.Session, error) {
	var ms []sessionModel
	err := r.d.db(ctx).Where("user_id = ? AND revoked_at IS NULL AND expires_at > ?", userID, now).
		Order("last_used_at DESC").Limit(200).Find(&ms).Error
	if err != nil {
		return nil, err
	}
	out := make([]*biz.Session, len(ms))
	for i := range ms {
		out[i] = toSession(&ms[i])
	}
	return out, nil
}
