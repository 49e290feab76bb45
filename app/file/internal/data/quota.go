package data

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"clouddrive/app/file/internal/biz"
)

type quotaRepo struct{ d *Data }

var _ biz.QuotaRepo = (*quotaRepo)(nil)

// NewQuotaRepo returns the gorm QuotaRepo.
func NewQuotaRepo(d *Data) biz.QuotaRepo { return &quotaRepo{d: d} }

func (r *quotaRepo) ensure(ctx context.Context, owner, def int64) error {
	return r.d.db(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&quotaModel{OwnerID: owner, LimitBytes: def, UpdatedAt: time.Now().UTC()}).Error
}

func (r *quotaRepo) Get(ctx context.Context, owner, def int64) (*biz.Quota, error) {
	var m quotaModel
	err := r.d.db(ctx).Where("owner_id = ?", owner).Take(&m).Error
	if err == gorm.ErrRecordNotFound {
		return &biz.Quota{OwnerID: owner, Limit: def}, nil
	}
	if err != nil {
		return nil, err
	}
	return &biz.Quota{OwnerID: owner, Used: m.UsedBytes, Limit: m.LimitBytes}, nil
}

func (r *quotaRepo) Charge(ctx context.Context, owner, delta, def int64) (*biz.Quota, error) {
	if err := r.ensure(ctx, owner, def); err != nil {
		return nil, err
	}
	res := r.d.db(ctx).Model(&quotaModel{}).
		Where("owner_id = ? AND used_bytes + ? <= limit_bytes", owner, delta).
		Updates(map[string]any{"used_bytes": gorm.Expr("used_bytes + ?", delta), "updated_at": time.Now().UTC(),
			"version": gorm.Expr("version + 1")})
	if res.Error != nil {
		return nil, res.Error
	}
	q, err := r.Get(ctx, owner, def)
	if err != nil {
		return nil, err
	}
	if res.RowsAffected == 0 {
		return q, biz.ErrQuotaExceeded
	}
	return q, nil
}

func (r *quotaRepo) Release(ctx context.Context, owner, delta int64) error {
	if delta == 0 {
		return nil
	}
	// CASE keeps used at zero or more whatever went wrong before.
	return r.d.db(ctx).Model(&quotaModel{}).Where("owner_id = ?", owner).
		Updates(map[string]any{
			"used_bytes": gorm.Expr("CASE WHEN used_bytes >= ? THEN used_bytes - ? ELSE 0 END", delta, delta),
			"updated_at": time.Now().UTC(), "version": gorm.Expr("version + 1")}).Error
}

func (r *quotaRepo) SetLimit(ctx context.Context, owner, limit, def int64) (*biz.Quota, error) {
	if err := r.ensure(ctx, owner, def); err != nil {
		return nil, err
	}
	if err := r.d.db(ctx).Model(&quotaModel{}).Where("owner_id = ?", owner).
		Updates(map[string]any{"limit_bytes": limit, "updated_at": time.Now().UTC(), "version": gorm.Expr("version + 1")}).Error; err != nil {
		return nil, err
	}
	return r.Get(ctx, owner, def)
}
