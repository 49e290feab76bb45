package data

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

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

// GetForUpdate locks with SELECT ... FOR UPDATE on MySQL; SQLite (whose
// writers take the database lock at BEGIN IMMEDIATE) has no row locks.
func (r *nodeRepo) GetForUpdate(ctx context.Context, owner, id int64) (*biz.Node, error) {
	var m nodeModel
	err := r.d.db(ctx).Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
		Where("id = ? AND owner_id = ?", id, owner).Take(&m).Error
	if err != nil {
		return nil, mapErr(err)
	}
	return toNode(&m), nil
}

// List reads one kind at a time (folders, then files), each in a
// single-direction order that an index serves forwards or backwards, from
// a range bound ("col >= v"): a mixed "kind ASC, col DESC" order, or an OR
// across kinds, makes MySQL and SQLite sort or scan the folder every page.
func (r *nodeRepo) List(ctx context.Context, q biz.ListQuery) ([]*biz.Node, error) {
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
	op, dir := ">", " ASC"
	if q.Desc {
		op, dir = "<", " DESC"
	}
	var out []*biz.Node
	for _, kind := range []biz.Kind{biz.KindFolder, biz.KindFile} {
		if q.After != nil && kind < q.After.Kind {
			continue
		}
		db := r.d.db(ctx).Where("owner_id = ? AND parent_id = ? AND live = 1 AND kind = ?", q.Owner, q.Parent, int8(kind))
		if q.After != nil && kind == q.After.Kind {
			db = db.Where(col+" "+op+"= ? AND ("+col+" "+op+" ? OR id "+op+" ?)", val, val, q.After.ID)
		}
		rows, err := db.Model(&nodeModel{}).Select(listColumns).Order(col + dir).Order("id" + dir).Limit(q.Limit - len(out)).Rows()
		if err != nil {
			return nil, err
		}
		if out, err = scanListed(rows, q.Owner, q.Parent, kind, out); err != nil {
			return nil, err
		}
		if len(out) >= q.Limit {
			break
		}
	}
	return out, nil
}

// listColumns are what a listed node shows and the WHERE does not fix:
// not the owner, parent, kind or live flag (asked for), nor the trash
// columns (a live node is never trashed: NULL and 0). Every column read
// costs the SQLite driver a type lookup per row.
const listColumns = "id, name, size, content_hash, mime, created_at, updated_at, version"

// scanListed appends the rows of listColumns to out, scanned field by
// field: gorm's reflection per row cost a third of a listing's time.
func scanListed(rows *sql.Rows, owner, parent int64, kind biz.Kind, out []*biz.Node) ([]*biz.Node, error) {
	defer rows.Close()
	for rows.Next() {
		n := &biz.Node{OwnerID: owner, ParentID: parent, Kind: kind}
		if err := rows.Scan(&n.ID, &n.Name, &n.Size, &n.ContentHash, &n.Mime,
			&n.CreatedAt, &n.UpdatedAt, &n.Version); err != nil {
			return out, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
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
	// and the use cases create nothing in a trashed folder; should a name be
	// taken anyway, it is a conflict biz knows, not a driver error.
	return mapErr(r.d.db(ctx).Model(&nodeModel{}).Where("owner_id = ? AND trash_root = ?", owner, root).
		Updates(map[string]any{"live": 1, "trashed_at": nil, "trash_root": 0, "updated_at": at,
			"version": gorm.Expr("version + 1")}).Error)
}

func (r *nodeRepo) Purge(ctx context.Context, owner, root int64) (int64, int64, error) {
	// A locking read (current, not snapshot) of the rows it then deletes:
	// a racing purge or restore waits, and then finds nothing to free.
	var sum struct {
		N     int64
		Bytes int64
	}
	err := r.d.db(ctx).Model(&nodeModel{}).Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
		Select("COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes").
		Where("owner_id = ? AND trash_root = ?", owner, root).Scan(&sum).Error
	if err != nil || sum.N == 0 {
		return 0, 0, err
	}
	res := r.d.db(ctx).Where("owner_id = ? AND trash_root = ?", owner, root).Delete(&nodeModel{})
	if res.Error != nil {
		return 0, 0, res.Error
	}
	if res.RowsAffected != sum.N {
		return 0, 0, fmt.Errorf("purge of %d: %d rows locked, %d deleted", root, sum.N, res.RowsAffected)
	}
	return sum.N, sum.Bytes, nil
}

func (r *nodeRepo) ExpiredTrash(ctx context.Context, before time.Time, limit int) ([]*biz.Node, error) {
	var ms []nodeModel
	err := r.d.db(ctx).Where("trash_root = id AND trashed_at < ?", before).Order("trashed_at").Limit(limit).Find(&ms).Error
	return toNodes(ms), err
}

func (r *nodeRepo) ReferencedHashes(ctx context.Context, hashes []string) ([]string, error) {
	return referencedHashes(r.d.db(ctx).Model(&nodeModel{}), hashes)
}

// referencedHashes lists which of hashes the model's content_hash column
// holds, asking 500 at a time so the IN list stays small.
func referencedHashes(q *gorm.DB, hashes []string) ([]string, error) {
	var out []string
	for len(hashes) > 0 {
		n := min(len(hashes), 500)
		var part []string
		if err := q.Session(&gorm.Session{}).Distinct("content_hash").Where("content_hash IN ?", hashes[:n]).
			Pluck("content_hash", &part).Error; err != nil {
			return nil, err
		}
		out = append(out, part...)
		hashes = hashes[n:]
	}
	return out, nil
}
