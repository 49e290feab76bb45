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

// Charge is one conditional update in the common case (the row exists):
// on SQLite it returns the quota with it; MySQL, which has no RETURNING,
// reads it back. Only a first charge creates the row.
func (r *quotaRepo) Charge(ctx context.Context, owner, delta, def int64) (*biz.Quota, error) {
	q, ok, err := r.charge(ctx, owner, delta)
	if err == nil && !ok {
		if err = r.ensure(ctx, owner, def); err == nil {
			q, ok, err = r.charge(ctx, owner, delta)
		}
	}
	if err != nil {
		return nil, err
	}
	if q == nil {
		if q, err = r.Get(ctx, owner, def); err != nil {
			return nil, err
		}
	}
	if !ok {
		return q, biz.ErrQuotaExceeded
	}
	return q, nil
}

// charge adds delta if it fits; ok says whether it did. q is the quota
// after it when the database returned it (SQLite), else nil.
func (r *quotaRepo) charge(ctx context.Context, owner, delta int64) (q *biz.Quota, ok bool, err error) {
	db := r.d.db(ctx)
	const fits = "owner_id = ? AND used_bytes + ? <= limit_bytes"
	now := time.Now().UTC()
	if db.Dialector.Name() == "sqlite" {
		var ms []quotaModel
		err := db.Raw("UPDATE quotas SET used_bytes = used_bytes + ?, updated_at = ?, version = version + 1 WHERE "+fits+
			" RETURNING owner_id, used_bytes, limit_bytes", delta, now, owner, delta).Scan(&ms).Error
		if err != nil || len(ms) == 0 {
			return nil, false, err
		}
		return &biz.Quota{OwnerID: owner, Used: ms[0].UsedBytes, Limit: ms[0].LimitBytes}, true, nil
	}
	res := db.Model(&quotaModel{}).Where(fits, owner, delta).
		Updates(map[string]any{"used_bytes": gorm.Expr("used_bytes + ?", delta), "updated_at": now,
			"version": gorm.Expr("version + 1")})
	return nil, res.RowsAffected == 1, res.Error
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
