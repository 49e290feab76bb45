package data

import (
	"context"
	"time"

	"gorm.io/gorm"

	"clouddrive/app/user/internal/biz"
	"clouddrive/pkg/database"
)

type codeRepo struct{ d *Data }

var _ biz.CodeRepo = (*codeRepo)(nil)

// NewCodeRepo returns the gorm CodeRepo.
func NewCodeRepo(d *Data) biz.CodeRepo { return &codeRepo{d: d} }

func (r *codeRepo) Create(ctx context.Context, c *biz.LoginCode) error {
	return database.Transaction(ctx, r.d.DB, func(tx *gorm.DB) error {
		// A new code voids the older ones of the target, and old rows go.
		if err := tx.Where("target = ? AND (consumed_at IS NOT NULL OR expires_at < ?)", c.Target, c.CreatedAt.Add(-24*time.Hour)).
			Delete(&loginCodeModel{}).Error; err != nil {
			return err
		}
		if err := tx.Model(&loginCodeModel{}).Where("target = ? AND consumed_at IS NULL", c.Target).
			Update("consumed_at", c.CreatedAt).Error; err != nil {
			return err
		}
		m := &loginCodeModel{Target: c.Target, Hash: c.Hash, ExpiresAt: c.ExpiresAt, CreatedAt: c.CreatedAt}
		if err := tx.Create(m).Error; err != nil {
			return err
		}
		c.ID = m.ID
		return nil
	})
}

func (r *codeRepo) Latest(ctx context.Context, target string) (*biz.LoginCode, error) {
	var m loginCodeModel
	err := r.d.db(ctx).Where("target = ? AND consumed_at IS NULL", target).Order("created_at DESC, id DESC").Take(&m).Error
	if err != nil {
		return nil, mapErr(err)
	}
	return &biz.LoginCode{ID: m.ID, Target: m.Target, Hash: m.Hash, Attempts: m.Attempts, ExpiresAt: m.ExpiresAt, CreatedAt: m.CreatedAt}, nil
}

func (r *codeRepo) Attempt(ctx context.Context, id int64, max int) (bool, error) {
	res := r.d.db(ctx).Model(&loginCodeModel{}).Where("id = ? AND attempts < ?", id, max).
		Update("attempts", gorm.Expr("attempts + 1"))
	return res.RowsAffected == 1, res.Error
}

func (r *codeRepo) Consume(ctx context.Context, id int64) (bool, error) {
	res := r.d.db(ctx).Model(&loginCodeModel{}).Where("id = ? AND consumed_at IS NULL", id).Update("consumed_at", time.Now().UTC())
	return res.RowsAffected == 1, res.Error
}
