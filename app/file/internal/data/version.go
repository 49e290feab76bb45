package data

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"clouddrive/app/file/internal/biz"
)

// versionModel is an older content of a file. Its content_hash keeps the
// blob referenced (ReferencedHashes) until the row goes.
type versionModel struct {
	ID          int64     `gorm:"primaryKey;autoIncrement"`
	OwnerID     int64     `gorm:"not null;index:idx_version_node,priority:1"`
	NodeID      int64     `gorm:"not null;index:idx_version_node,priority:2"`
	ContentHash string    `gorm:"type:varchar(64);not null;index:idx_version_hash"`
	Size        int64     `gorm:"not null;default:0"`
	Mime        string    `gorm:"type:varchar(255);not null;default:''"`
	NodeVersion int64     `gorm:"not null;default:0"`
	CreatedAt   time.Time `gorm:"not null"`
	ReplacedAt  time.Time `gorm:"not null;index:idx_version_replaced"`
}

func (versionModel) TableName() string { return "versions" }

type versionRepo struct{ d *Data }

var _ biz.VersionRepo = (*versionRepo)(nil)

// NewVersionRepo returns the gorm VersionRepo.
func NewVersionRepo(d *Data) biz.VersionRepo { return &versionRepo{d: d} }

func toVersion(m *versionModel) *biz.Version {
	return &biz.Version{ID: m.ID, OwnerID: m.OwnerID, NodeID: m.NodeID, ContentHash: m.ContentHash, Size: m.Size,
		Mime: m.Mime, NodeVersion: m.NodeVersion, CreatedAt: m.CreatedAt.UTC(), ReplacedAt: m.ReplacedAt.UTC()}
}

func toVersions(ms []versionModel) []*biz.Version {
	out := make([]*biz.Version, len(ms))
	for i := range ms {
		out[i] = toVersion(&ms[i])
	}
	return out
}

func (r *versionRepo) LiveChild(ctx context.Context, owner, parent int64, name string) (*biz.Node, error) {
	var m nodeModel
	err := r.d.db(ctx).Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
		Where("owner_id = ? AND parent_id = ? AND name_key = ? AND live = 1", owner, parent, nameKey(biz.FoldName(name))).
		Take(&m).Error
	if err != nil {
		return nil, mapErr(err)
	}
	return toNode(&m), nil
}

func (r *versionRepo) Add(ctx context.Context, v *biz.Version) error {
	m := &versionModel{OwnerID: v.OwnerID, NodeID: v.NodeID, ContentHash: v.ContentHash, Size: v.Size, Mime: v.Mime,
		NodeVersion: v.NodeVersion, CreatedAt: v.CreatedAt, ReplacedAt: v.ReplacedAt}
	if err := r.d.db(ctx).Create(m).Error; err != nil {
		return err
	}
	v.ID = m.ID
	return nil
}

func (r *versionRepo) List(ctx context.Context, owner, node int64) ([]*biz.Version, error) {
	var ms []versionModel
	err := r.d.db(ctx).Where("owner_id = ? AND node_id = ?", owner, node).Order("id DESC").Find(&ms).Error
	return toVersions(ms), err
}

func (r *versionRepo) Get(ctx context.Context, owner, node, id int64) (*biz.Version, error) {
	var m versionModel
	if err := r.d.db(ctx).Where("id = ? AND owner_id = ? AND node_id = ?", id, owner, node).Take(&m).Error; err != nil {
		return nil, mapErr(err)
	}
	return toVersion(&m), nil
}

func (r *versionRepo) SetContent(ctx context.Context, owner, id int64, hash string, size int64, mime string, at time.Time) error {
	res := r.d.db(ctx).Model(&nodeModel{}).Where("id = ? AND owner_id = ? AND live = 1 AND kind = ?", id, owner, int8(biz.KindFile)).
		Updates(map[string]any{"content_hash": hash, "size": size, "mime": mime, "updated_at": at,
			"version": gorm.Expr("version + 1")})
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return biz.ErrNotFound
	}
	return nil
}

// deleteLocked deletes the versions db selects, after a locking read of
// them (current, not a snapshot): a racing deleter waits, then finds
// nothing, so no byte is given back twice.
func (r *versionRepo) deleteLocked(ctx context.Context, where func(*gorm.DB) *gorm.DB) (int64, error) {
	var rows []struct {
		ID   int64
		Size int64
	}
	err := where(r.d.db(ctx).Model(&versionModel{}).Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})).
		Select("id, size").Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	ids := make([]int64, len(rows))
	var bytes int64
	for i, row := range rows {
		ids[i] = row.ID
		bytes += row.Size
	}
	var deleted int64
	for _, part := range chunks(ids, 500) {
		res := r.d.db(ctx).Where("id IN ?", part).Delete(&versionModel{})
		if res.Error != nil {
			return 0, res.Error
		}
		deleted += res.RowsAffected
	}
	if deleted != int64(len(ids)) {
		return 0, fmt.Errorf("versions: %d rows locked, %d deleted", len(ids), deleted)
	}
	return bytes, nil
}

func (r *versionRepo) PurgeTrashed(ctx context.Context, owner, root int64) (int64, error) {
	return r.deleteLocked(ctx, func(db *gorm.DB) *gorm.DB {
		return db.Where("owner_id = ? AND node_id IN (?)", owner,
			r.d.db(ctx).Model(&nodeModel{}).Select("id").Where("owner_id = ? AND trash_root = ?", owner, root))
	})
}

func (r *versionRepo) Delete(ctx context.Context, owner int64, ids []int64) (int64, error) {
	return r.deleteLocked(ctx, func(db *gorm.DB) *gorm.DB { return db.Where("owner_id = ? AND id IN ?", owner, ids) })
}

func (r *versionRepo) Bytes(ctx context.Context, owner int64) (int64, error) {
	var n int64
	err := r.d.db(ctx).Model(&versionModel{}).Select("COALESCE(SUM(size), 0)").Where("owner_id = ?", owner).Scan(&n).Error
	return n, err
}

func (r *versionRepo) ReferencedHashes(ctx context.Context, hashes []string) ([]string, error) {
	return referencedHashes(r.d.db(ctx).Model(&versionModel{}), hashes)
}

func (r *versionRepo) Expired(ctx context.Context, keep int, before time.Time, limit int) ([]*biz.Version, error) {
	// ROW_NUMBER (MariaDB 10.2+, SQLite 3.25+) numbers each file's
	// versions from the latest replaced: past keep, a version goes.
	ranked := r.d.db(ctx).Model(&versionModel{}).
		Select("versions.*, ROW_NUMBER() OVER (PARTITION BY owner_id, node_id ORDER BY id DESC) AS rn")
	db := r.d.db(ctx).Table("(?) AS ranked", ranked)
	switch {
	case keep > 0 && !before.IsZero():
		db = db.Where("rn > ? OR replaced_at < ?", keep, before)
	case keep > 0:
		db = db.Where("rn > ?", keep)
	case !before.IsZero():
		db = db.Where("replaced_at < ?", before)
	default:
		return nil, nil
	}
	var ms []versionModel
	err := db.Select("id, owner_id, node_id, content_hash, size, mime, node_version, created_at, replaced_at").
		Order("id").Limit(limit).Scan(&ms).Error
	return toVersions(ms), err
}
