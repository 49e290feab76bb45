package data

import (
	"context"
	"time"

	"gorm.io/gorm"

	"clouddrive/app/share/internal/biz"
)

type shareRepo struct{ d *Data }

var _ biz.ShareRepo = (*shareRepo)(nil)

// NewShareRepo returns the gorm ShareRepo.
func NewShareRepo(d *Data) biz.ShareRepo { return &shareRepo{d: d} }

func toShare(m *shareModel) *biz.Share {
	return &biz.Share{ID: m.ID, Token: m.Token, OwnerID: m.OwnerID, NodeID: m.NodeID, Name: m.Name, Folder: m.Folder,
		Size: m.Size, CodeHash: m.CodeHash, CodeSealed: m.CodeSealed, ExpiresAt: utc(m.ExpiresAt),
		MaxDownloads: m.MaxDownloads, RecipientID: m.RecipientID, RecipientName: m.RecipientName, Views: m.Views,
		Downloads: m.Downloads, Saves: m.Saves, RevokedAt: utc(m.RevokedAt), CodeFailures: m.CodeFailures,
		LockedUntil: utc(m.LockedUntil), CreatedAt: m.CreatedAt.UTC()}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func toShares(ms []shareModel) []*biz.Share {
	out := make([]*biz.Share, len(ms))
	for i := range ms {
		out[i] = toShare(&ms[i])
	}
	return out
}

func (r *shareRepo) Create(ctx context.Context, s *biz.Share) error {
	m := &shareModel{Token: s.Token, OwnerID: s.OwnerID, RecipientID: s.RecipientID, RecipientName: s.RecipientName,
		NodeID: s.NodeID, Name: s.Name, Folder: s.Folder, Size: s.Size, CodeHash: s.CodeHash, CodeSealed: s.CodeSealed,
		ExpiresAt: s.ExpiresAt, MaxDownloads: s.MaxDownloads}
	if err := r.d.db(ctx).Create(m).Error; err != nil {
		return mapErr(err)
	}
	s.ID, s.CreatedAt = m.ID, m.CreatedAt.UTC()
	return nil
}

func (r *shareRepo) ByToken(ctx context.Context, token string) (*biz.Share, error) {
	var m shareModel
	if err := r.d.db(ctx).Where("token = ?", token).Take(&m).Error; err != nil {
		return nil, mapErr(err)
	}
	return toShare(&m), nil
}

func (r *shareRepo) list(ctx context.Context, col string, id, before int64, limit int, live bool) ([]*biz.Share, error) {
	q := r.d.db(ctx).Where(col+" = ?", id)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	if live {
		q = q.Where("revoked_at IS NULL")
	}
	var ms []shareModel
	if err := q.Order("id DESC").Limit(limit).Find(&ms).Error; err != nil {
		return nil, mapErr(err)
	}
	return toShares(ms), nil
}

func (r *shareRepo) ListByOwner(ctx context.Context, owner, before int64, limit int) ([]*biz.Share, error) {
	return r.list(ctx, "owner_id", owner, before, limit, false)
}

func (r *shareRepo) ListByRecipient(ctx context.Context, recipient, before int64, limit int) ([]*biz.Share, error) {
	if recipient == 0 {
		return nil, nil
	}
	return r.list(ctx, "recipient_id", recipient, before, limit, true)
}

func (r *shareRepo) Revoke(ctx context.Context, owner int64, token string, at time.Time) (*biz.Share, bool, error) {
	res := r.d.db(ctx).Model(&shareModel{}).Where("owner_id = ? AND token = ? AND revoked_at IS NULL", owner, token).
		Update("revoked_at", at)
	if res.Error != nil {
		return nil, false, mapErr(res.Error)
	}
	var m shareModel
	if err := r.d.db(ctx).Where("owner_id = ? AND token = ?", owner, token).Take(&m).Error; err != nil {
		return nil, false, mapErr(err)
	}
	return toShare(&m), res.RowsAffected == 1, nil
}

func (r *shareRepo) AddView(ctx context.Context, id int64) error {
	return mapErr(r.d.db(ctx).Model(&shareModel{}).Where("id = ?", id).
		UpdateColumn("views", gorm.Expr("views + 1")).Error)
}

func (r *shareRepo) TakeDownload(ctx context.Context, id int64) (bool, error) {
	res := r.d.db(ctx).Model(&shareModel{}).
		Where("id = ? AND revoked_at IS NULL AND (max_downloads = 0 OR downloads < max_downloads)", id).
		UpdateColumn("downloads", gorm.Expr("downloads + 1"))
	if res.Error != nil {
		return false, mapErr(res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (r *shareRepo) AddSave(ctx context.Context, id int64) error {
	return mapErr(r.d.db(ctx).Model(&shareModel{}).Where("id = ?", id).
		UpdateColumn("saves", gorm.Expr("saves + 1")).Error)
}

// CodeFailed is one statement, so concurrent wrong codes all count. MySQL
// assigns left to right with the new values, SQLite with the old ones:
// locked_until comes first, reading code_failures before either changes it.
func (r *shareRepo) CodeFailed(ctx context.Context, id int64, max int, lockUntil time.Time) error {
	if max <= 0 {
		return nil
	}
	return mapErr(r.d.db(ctx).Exec(`UPDATE shares SET
		locked_until = CASE WHEN code_failures + 1 >= ? THEN ? ELSE locked_until END,
		code_failures = CASE WHEN code_failures + 1 >= ? THEN 0 ELSE code_failures + 1 END
		WHERE id = ?`, max, lockUntil.UTC(), max, id).Error)
}

func (r *shareRepo) CodeSucceeded(ctx context.Context, id int64) error {
	return mapErr(r.d.db(ctx).Model(&shareModel{}).Where("id = ? AND code_failures <> 0", id).
		UpdateColumn("code_failures", 0).Error)
}
