package data

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/database"
)

// changeHeadModel is a user's feed position: seq is bumped in place by
// every change (so one user's writers take turns on this row and
// positions have no gaps), pruned is the latest position the janitor
// dropped (cursors before it are reset).
type changeHeadModel struct {
	OwnerID int64 `gorm:"primaryKey;autoIncrement:false"`
	Seq     int64 `gorm:"not null;default:0"`
	Pruned  int64 `gorm:"not null;default:0"`
}

func (changeHeadModel) TableName() string { return "change_heads" }

// changeModel is one entry of a user's feed, keyed by (owner, seq).
type changeModel struct {
	OwnerID     int64     `gorm:"primaryKey;autoIncrement:false"`
	Seq         int64     `gorm:"primaryKey;autoIncrement:false"`
	Type        int8      `gorm:"type:tinyint;not null"`
	NodeID      int64     `gorm:"not null"`
	ParentID    int64     `gorm:"not null"`
	Kind        int8      `gorm:"type:tinyint;not null"`
	Name        string    `gorm:"type:varchar(255);not null"`
	Path        string    `gorm:"type:text;not null"`
	OldPath     string    `gorm:"type:text;not null"`
	ContentHash string    `gorm:"type:varchar(64);not null;default:''"`
	Size        int64     `gorm:"not null;default:0"`
	NodeVersion int64     `gorm:"not null;default:0"`
	At          time.Time `gorm:"not null;index:idx_change_at"`
}

func (changeModel) TableName() string { return "changes" }

type changeRepo struct{ d *Data }

var _ biz.ChangeRepo = (*changeRepo)(nil)

// NewChangeRepo returns the gorm ChangeRepo.
func NewChangeRepo(d *Data) biz.ChangeRepo { return &changeRepo{d: d} }

func (r *changeRepo) Append(ctx context.Context, c *biz.Change) error {
	db := r.d.db(ctx)
	seq, err := r.bump(db, c.OwnerID)
	if err != nil {
		return err
	}
	c.Seq = seq
	return db.Create(&changeModel{OwnerID: c.OwnerID, Seq: c.Seq, Type: int8(c.Type), NodeID: c.NodeID,
		ParentID: c.ParentID, Kind: int8(c.Kind), Name: c.Name, Path: c.Path, OldPath: c.OldPath,
		ContentHash: c.ContentHash, Size: c.Size, NodeVersion: c.NodeVersion, At: c.At}).Error
}

// bump takes the owner's next position: an upsert that bumps the row in
// place (MySQL's ON DUPLICATE KEY and SQLite's ON CONFLICT both read seq as
// the row's current value, and the row stays locked on MySQL until the
// transaction ends). SQLite returns the new value with it; MySQL, which has
// no RETURNING, reads it back.
func (r *changeRepo) bump(db *gorm.DB, owner int64) (int64, error) {
	if db.Dialector.Name() == "sqlite" {
		var seq int64
		err := db.Raw("INSERT INTO change_heads (owner_id, seq, pruned) VALUES (?, 1, 0) "+
			"ON CONFLICT (owner_id) DO UPDATE SET seq = seq + 1 RETURNING seq", owner).Scan(&seq).Error
		if err == nil && seq == 0 {
			err = errors.New("change feed: no position returned")
		}
		return seq, err
	}
	err := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "owner_id"}},
		DoUpdates: clause.Assignments(map[string]any{"seq": gorm.Expr("seq + 1")})}).
		Create(&changeHeadModel{OwnerID: owner, Seq: 1}).Error
	if err != nil {
		return 0, err
	}
	var head changeHeadModel
	err = db.Where("owner_id = ?", owner).Take(&head).Error
	return head.Seq, err
}

func (r *changeRepo) List(ctx context.Context, owner, after int64, limit int) ([]*biz.Change, error) {
	var ms []changeModel
	err := r.d.db(ctx).Where("owner_id = ? AND seq > ?", owner, after).Order("seq").Limit(limit).Find(&ms).Error
	out := make([]*biz.Change, len(ms))
	for i, m := range ms {
		out[i] = &biz.Change{Seq: m.Seq, OwnerID: m.OwnerID, Type: biz.EventType(m.Type), NodeID: m.NodeID,
			ParentID: m.ParentID, Kind: biz.Kind(m.Kind), Name: m.Name, Path: m.Path, OldPath: m.OldPath,
			ContentHash: m.ContentHash, Size: m.Size, NodeVersion: m.NodeVersion, At: m.At.UTC()}
	}
	return out, err
}

func (r *changeRepo) Head(ctx context.Context, owner int64) (int64, int64, error) {
	var ms []changeHeadModel
	if err := r.d.db(ctx).Where("owner_id = ?", owner).Limit(1).Find(&ms).Error; err != nil || len(ms) == 0 {
		return 0, 0, err
	}
	return ms[0].Seq, ms[0].Pruned, nil
}

func (r *changeRepo) Prune(ctx context.Context, before time.Time, limit int) (int64, error) {
	var heads []struct {
		OwnerID int64
		Seq     int64
	}
	err := r.d.db(ctx).Model(&changeModel{}).Select("owner_id, MAX(seq) AS seq").Where("at < ?", before).
		Group("owner_id").Limit(limit).Scan(&heads).Error
	if err != nil {
		return 0, err
	}
	var total int64
	for _, h := range heads {
		// The mark and the deletion together: a reader never sees changes
		// gone without its cursor being reset.
		var deleted int64 // set by the attempt that commits (a lost race runs again)
		err := database.Transaction(ctx, r.d.DB, func(tx *gorm.DB) error {
			if err := tx.Model(&changeHeadModel{}).Where("owner_id = ?", h.OwnerID).
				Update("pruned", gorm.Expr("CASE WHEN pruned < ? THEN ? ELSE pruned END", h.Seq, h.Seq)).Error; err != nil {
				return err
			}
			res := tx.Where("owner_id = ? AND seq <= ?", h.OwnerID, h.Seq).Delete(&changeModel{})
			deleted = res.RowsAffected
			return res.Error
		})
		if err != nil {
			return total, err
		}
		total += deleted
	}
	return total, nil
}
