package data

import (
	"context"
	"time"

	"gorm.io/gorm"

	"clouddrive/app/file/internal/biz"
)

type nodeRepo struct{ d *Data }

var _ biz.NodeRepo = (*nodeRepo)(nil)

// NewNodeRepo returns the gorm NodeRepo.
func NewNodeRepo(d *Data) biz.NodeRepo { return &nodeRepo{d: d} }

var one int8 = 1

func toNode(m *nodeModel) *biz.Node {
	return &biz.Node{ID: m.ID, OwnerID: m.OwnerID, ParentID: m.ParentID, Name: m.Name, Kind: biz.Kind(m.Kind),
		Size: m.Size, ContentHash: m.ContentHash, Mime: m.Mime, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
		TrashedAt: m.TrashedAt, TrashRoot: m.TrashRoot, Version: m.Version}
}

func toNodes(ms []nodeModel) []*biz.Node {
	out := make([]*biz.Node, len(ms))
	for i := range ms {
		out[i] = toNode(&ms[i])
	}
	return out
}

func (r *nodeRepo) Get(ctx context.Context, owner, id int64) (*biz.Node, error) {
	var m nodeModel
	if err := r.d.db(ctx).Where("id = ? AND owner_id = ?", id, owner).Take(&m).Error; err != nil {
		return nil, mapErr(err)
	}
	return toNode(&m), nil
}

// keyset adds "after the cursor" for an order on column col, folders first.
func keyset(q *gorm.DB, col string, val any, c *biz.Cursor, desc bool) *gorm.DB {
	op := ">"
	if desc {
		op = "<"
	}
	return q.Where("(kind > ?) OR (kind = ? AND ("+col+" "+op+" ? OR ("+col+" = ? AND id "+op+" ?)))",
		c.Kind, c.Kind, val, val, c.ID)
}

func (r *nodeRepo) List(ctx context.Context, q biz.ListQuery) ([]*biz.Node, error) {
	db := r.d.db(ctx).Where("owner_id = ? AND parent_id = ? AND live = 1", q.Owner, q.Parent)
	col := "name_key"
	var val any
	if q.After != nil {
		val = q.After.Name
	}
	switch q.OrderBy {
	case biz.OrderSize:
		col = "size"
		if q.After != nil {
			val = q.After.Size
		}
	case biz.OrderUpdated:
		col = "updated_at"
		if q.After != nil {
			val = q.After.Updated
		}
	}
	if q.After != nil {
		db = keyset(db, col, val, q.After, q.Desc)
	}
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	var ms []nodeModel
	err := db.Order("kind ASC").Order(col + dir).Order("id" + dir).Limit(q.Limit).Find(&ms).Error
	return toNodes(ms), err
}

func (r *nodeRepo) Search(ctx context.Context, owner int64, q string, after *biz.Cursor, limit int) ([]*biz.Node, error) {
	db := r.d.db(ctx).Where("owner_id = ? AND live = 1 AND name_key LIKE ? ESCAPE '!'", owner, "%"+escapeLike(q)+"%")
	if after != nil {
		db = db.Where("name_key > ? OR (name_key = ? AND id > ?)", after.Name, after.Name, after.ID)
	}
	var ms []nodeModel
	err := db.Order("name_key").Order("id").Limit(limit).Find(&ms).Error
	return toNodes(ms), err
}

func (r *nodeRepo) ListTrash(ctx context.Context, owner int64, after *biz.Cursor, limit int) ([]*biz.Node, error) {
	db := r.d.db(ctx).Where("owner_id = ? AND trash_root = id", owner)
	if after != nil {
		db = db.Where("trashed_at < ? OR (trashed_at = ? AND id < ?)", after.Updated, after.Updated, after.ID)
	}
	var ms []nodeModel
	err := db.Order("trashed_at DESC").Order("id DESC").Limit(limit).Find(&ms).Error
	return toNodes(ms), err
}

// The depth bound stops a walk on a corrupt (cyclic) tree.
const maxDepth = 4096

func (r *nodeRepo) Ancestors(ctx context.Context, owner, id int64) ([]*biz.Node, error) {
	var ms []nodeModel
	err := r.d.db(ctx).Raw(`
WITH RECURSIVE up(id, parent_id, depth) AS (
  SELECT id, parent_id, 0 FROM nodes WHERE id = ? AND owner_id = ?
  UNION ALL
  SELECT n.id, n.parent_id, up.depth + 1 FROM nodes n JOIN up ON n.id = up.parent_id
  WHERE n.owner_id = ? AND up.depth < ?
)
SELECT nodes.* FROM nodes JOIN up ON nodes.id = up.id WHERE nodes.id <> ? ORDER BY up.depth DESC`,
		id, owner, owner, maxDepth, id).Scan(&ms).Error
	return toNodes(ms), err
}

func (r *nodeRepo) LiveSubtree(ctx context.Context, owner, id int64) ([]*biz.Node, error) {
	var ms []nodeModel
	err := r.d.db(ctx).Raw(`
WITH RECURSIVE sub(id, depth) AS (
  SELECT id, 0 FROM nodes WHERE id = ? AND owner_id = ? AND live = 1
  UNION ALL
  SELECT n.id, sub.depth + 1 FROM nodes n JOIN sub ON n.parent_id = sub.id
  WHERE n.owner_id = ? AND n.live = 1 AND sub.depth < ?
)
SELECT nodes.* FROM nodes JOIN sub ON nodes.id = sub.id ORDER BY sub.depth, nodes.id`,
		id, owner, owner, maxDepth).Scan(&ms).Error
	return toNodes(ms), err
}

func (r *nodeRepo) TrashedSubtree(ctx context.Context, owner, root int64) ([]*biz.Node, error) {
	var ms []nodeModel
	err := r.d.db(ctx).Where("owner_id = ? AND trash_root = ?", owner, root).Order("id").Find(&ms).Error
	return toNodes(ms), err
}

func (r *nodeRepo) Create(ctx context.Context, ns ...*biz.Node) error {
	if len(ns) == 0 {
		return nil
	}
	ms := make([]*nodeModel, len(ns))
	for i, n := range ns {
		ms[i] = &nodeModel{OwnerID: n.OwnerID, ParentID: n.ParentID, Name: n.Name, NameKey: nameKey(biz.FoldName(n.Name)),
			Live: &one, Kind: int8(n.Kind), Size: n.Size, ContentHash: n.ContentHash, Mime: n.Mime,
			CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt, Version: 1}
	}
	if err := r.d.db(ctx).CreateInBatches(ms, 500).Error; err != nil {
		return mapErr(err)
	}
	for i, m := range ms {
		ns[i].ID = m.ID
		ns[i].Version = m.Version
	}
	return nil
}

func (r *nodeRepo) TakenNames(ctx context.Context, owner, parent int64, prefix string) (map[string]bool, error) {
	var keys []string
	err := r.d.db(ctx).Model(&nodeModel{}).
		Where("owner_id = ? AND parent_id = ? AND live = 1 AND name_key LIKE ? ESCAPE '!'", owner, parent, escapeLike(prefix)+"%").
		Pluck("name_key", &keys).Error
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[k] = true
	}
	return out, err
}

func (r *nodeRepo) Update(ctx context.Context, owner, id int64, c biz.NodeChange, at time.Time) error {
	set := map[string]any{"updated_at": at, "version": gorm.Expr("version + 1")}
	if c.ParentID != nil {
		set["parent_id"] = *c.ParentID
	}
	if c.Name != nil {
		set["name"] = *c.Name
		set["name_key"] = biz.FoldName(*c.Name)
	}
	res := r.d.db(ctx).Model(&nodeModel{}).Where("id = ? AND owner_id = ? AND live = 1", id, owner).Updates(set)
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return biz.ErrNotFound
	}
	return nil
}

func (r *nodeRepo) Trash(ctx context.Context, owner int64, ids []int64, root int64, at time.Time) error {
	for _, part := range chunks(ids, 500) {
		err := r.d.db(ctx).Model(&nodeModel{}).Where("owner_id = ? AND id IN ? AND live = 1", owner, part).
			Updates(map[string]any{"live": nil, "trashed_at": at, "trash_root": root, "updated_at": at,
				"version": gorm.Expr("version + 1")}).Error
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *nodeRepo) Restore(ctx context.Context, owner, root, parent int64, name string, at time.Time) error {
	res := r.d.db(ctx).Model(&nodeModel{}).Where("owner_id = ? AND id = ? AND trash_root = ?", owner, root, root).
		Updates(map[string]any{"parent_id": parent, "name": name, "name_key": biz.FoldName(name), "live": 1,
			"trashed_at": nil, "trash_root": 0, "updated_at": at, "version": gorm.Expr("version + 1")})
	if res.Error != nil {
		return mapErr(res.Error)
	}
	if res.RowsAffected == 0 {
		return biz.ErrNotFound
	}
	// Descendants had unique names among themselves when they were trashed,
	// and nothing can be created in a trashed folder: no conflict is possible.
	return r.d.db(ctx).Model(&nodeModel{}).Where("owner_id = ? AND trash_root = ?", owner, root).
		Updates(map[string]any{"live": 1, "trashed_at": nil, "trash_root": 0, "updated_at": at,
			"version": gorm.Expr("version + 1")}).Error
}

func (r *nodeRepo) Purge(ctx context.Context, owner, root int64) (int64, error) {
	res := r.d.db(ctx).Where("owner_id = ? AND trash_root = ?", owner, root).Delete(&nodeModel{})
	return res.RowsAffected, res.Error
}

func (r *nodeRepo) ExpiredTrash(ctx context.Context, before time.Time, limit int) ([]*biz.Node, error) {
	var ms []nodeModel
	err := r.d.db(ctx).Where("trash_root = id AND trashed_at < ?", before).Order("trashed_at").Limit(limit).Find(&ms).Error
	return toNodes(ms), err
}

func (r *nodeRepo) ReferencedHashes(ctx context.Context, hashes []string) ([]string, error) {
	var out []string
	for len(hashes) > 0 {
		n := min(len(hashes), 500)
		var part []string
		if err := r.d.db(ctx).Model(&nodeModel{}).Distinct("content_hash").Where("content_hash IN ?", hashes[:n]).
			Pluck("content_hash", &part).Error; err != nil {
			return nil, err
		}
		out = append(out, part...)
		hashes = hashes[n:]
	}
	return out, nil
}
