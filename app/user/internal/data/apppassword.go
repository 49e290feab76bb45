package data

import (
	"context"
	"time"

	"clouddrive/app/user/internal/biz"
)

type appPasswordRepo struct{ d *Data }

var _ biz.AppPasswordRepo = (*appPasswordRepo)(nil)

// NewAppPasswordRepo returns the gorm AppPasswordRepo.
func NewAppPasswordRepo(d *Data) biz.AppPasswordRepo { return &appPasswordRepo{d: d} }

func toAppPassword(m *appPasswordModel) *biz.AppPassword {
	return &biz.AppPassword{ID: m.ID, UserID: m.UserID, Name: m.Name, Hash: m.Hash, CreatedAt: m.CreatedAt, LastUsedAt: m.LastUsedAt}
}

func (r *appPasswordRepo) Create(ctx context.Context, p *biz.AppPassword) error {
	m := &appPasswordModel{UserID: p.UserID, Name: p.Name, Hash: p.Hash, CreatedAt: p.CreatedAt}
	if err := r.d.db(ctx).Create(m).Error; err != nil {
		return mapErr(err)
	}
	p.ID = m.ID
	return nil
}

func (r *appPasswordRepo) List(ctx context.Context, userID int64) ([]*biz.AppPassword, error) {
	var ms []appPasswordModel
	if err := r.d.db(ctx).Where("user_id = ?", userID).Order("id").Find(&ms).Error; err != nil {
		return nil, err
	}
	out := make([]*biz.AppPassword, len(ms))
	for i := range ms {
		out[i] = toAppPassword(&ms[i])
	}
	return out, nil
}

func (r *appPasswordRepo) Revoke(ctx context.Context, userID, id int64) error {
	res := r.d.db(ctx).Where("id = ? AND user_id = ?", id, userID).Delete(&appPasswordModel{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return biz.ErrNotFound
	}
	return nil
}

func (r *appPasswordRepo) RevokeAll(ctx context.Context, userID int64) error {
	return r.d.db(ctx).Where("user_id = ?", userID).Delete(&appPasswordModel{}).Error
}

func (r *appPasswordRepo) FindByHash(ctx context.Context, userID int64, hash string) (*biz.AppPassword, error) {
	var m appPasswordModel
	if err := r.d.db(ctx).Where("user_id = ? AND hash = ?", userID, hash).Take(&m).Error; err != nil {
		return nil, mapErr(err)
	}
	return toAppPassword(&m), nil
}

func (r *appPasswordRepo) Touch(ctx context.Context, userID, id int64, at time.Time) error {
	return r.d.db(ctx).Model(&appPasswordModel{}).Where("id = ? AND user_id = ?", id, userID).Update("last_used_at", at).Error
}
