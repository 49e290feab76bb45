package data

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/cdc"
)

// cachedNodes reads node lookups and listing pages through the cache, and
// tells it what the writes changed; every other method is the gorm repo's.
type cachedNodes struct {
	biz.NodeRepo
	c *Cache
}

// ProvideNodeRepo is the node repo, read through the cache when it is on.
func ProvideNodeRepo(d *Data, c *Cache) biz.NodeRepo {
	if c == nil {
		return NewNodeRepo(d)
	}
	return &cachedNodes{NodeRepo: NewNodeRepo(d), c: c}
}

// Get answers from the cached row when it is there and current: a row of
// another owner, or a "missing" answer for this owner, is not found, as
// MySQL's owner filter would say. Otherwise one load per id (singleflight)
// fills the cache under the row's version; a missing id is cached as
// missing for a short while. A load under a writer's fence carries the
// fence's token, and joins only loads that began under the same fence: one
// that began before the commit holds the old row.
func (r *cachedNodes) Get(ctx context.Context, owner, id int64) (*biz.Node, error) {
	if inTx(ctx) || !r.c.up() {
		return r.NodeRepo.Get(ctx, owner, id)
	}
	key := r.c.c.NodeKey(id)
	rc, cancel := rctx(ctx)
	e, err := r.c.c.Get(rc, key)
	cancel()
	if err != nil {
		r.c.failed("get node", err)
		r.c.count("node", "error")
		return r.NodeRepo.Get(ctx, owner, id)
	}
	fence := ""
	if e != nil {
		switch {
		case e.Kind == cdc.KindRow:
			n, err := decodeNode(e.Data)
			if err == nil {
				r.c.count("node", "hit")
				if n.OwnerID != owner {
					return nil, biz.ErrNotFound
				}
				return n, nil
			}
		case e.Kind == cdc.KindMiss && e.Owner == owner:
			r.c.count("node", "hit")
			return nil, biz.ErrNotFound
		case e.Kind == cdc.KindSoft:
			fence = e.Fence
		}
	}
	r.c.count("node", "miss")
	v, err, _ := r.c.sf.Do("n:"+strconv.FormatInt(owner, 10)+":"+strconv.FormatInt(id, 10)+":"+fence, func() (any, error) {
		n, err := r.NodeRepo.Get(ctx, owner, id)
		switch {
		case errors.Is(err, biz.ErrNotFound):
			r.fill(ctx, key, cdc.KindMiss, 0, nil, owner, fence)
		case err == nil:
			if b, err := json.Marshal(rowOf(n)); err == nil {
				r.fill(ctx, key, cdc.KindRow, n.Version, b, 0, fence)
			}
		}
		return n, err
	})
	if err != nil {
		return nil, err
	}
	n := *v.(*biz.Node) // each caller its own copy
	return &n, nil
}

func (r *cachedNodes) fill(ctx context.Context, key, kind string, version int64, data []byte, owner int64, fence string) {
	rc, cancel := rctx(ctx)
	defer cancel()
	_, err := r.c.c.Fill(rc, key, kind, version, data, owner, fence)
	r.c.failed("fill", err)
}

// Reads inside a transaction go to MySQL; the nodes they return may be
// the ones the transaction is about to change (a moved node, a trashed
// subtree), whose folders' pages move on after the commit. Their keys are
// fenced by the writes that change them (Update, Trash...), not here: a
// node only read (a parent locked while a child is added) keeps its cached
// row, and every fence is followed by a change in the binlog.
func (r *cachedNodes) touched(ctx context.Context, ns ...*biz.Node) {
	if !inTx(ctx) || len(ns) == 0 {
		return
	}
	folders := make([][2]int64, len(ns))
	for i, n := range ns {
		folders[i] = [2]int64{n.OwnerID, n.ParentID}
	}
	r.c.changed(ctx, nil, folders...)
}

func (r *cachedNodes) GetForUpdate(ctx context.Context, owner, id int64) (*biz.Node, error) {
	n, err := r.NodeRepo.GetForUpdate(ctx, owner, id)
	if err == nil {
		r.touched(ctx, n)
	}
	return n, err
}

func (r *cachedNodes) LiveSubtree(ctx context.Context, owner, id int64) ([]*biz.Node, error) {
	ns, err := r.NodeRepo.LiveSubtree(ctx, owner, id)
	if err == nil {
		r.touched(ctx, ns...)
	}
	return ns, err
}

func (r *cachedNodes) TrashedSubtree(ctx context.Context, owner, root int64) ([]*biz.Node, error) {
	ns, err := r.NodeRepo.TrashedSubtree(ctx, owner, root)
	if err == nil {
		r.touched(ctx, ns...)
	}
	return ns, err
}

func (r *cachedNodes) Create(ctx context.Context, ns ...*biz.Node) error {
	if err := r.NodeRepo.Create(ctx, ns...); err != nil {
		return err
	}
	// A new id may be cached as missing (someone asked for it first).
	keys := make([]string, len(ns))
	folders := make([][2]int64, len(ns))
	for i, n := range ns {
		keys[i] = r.c.c.NodeKey(n.ID)
		folders[i] = [2]int64{n.OwnerID, n.ParentID}
	}
	r.c.changed(ctx, keys, folders...)
	return nil
}

func (r *cachedNodes) Update(ctx context.Context, owner, id int64, ch biz.NodeChange, at time.Time) error {
	// The old folder: the node as the transaction read it (touched), or as
	// cached when the caller did not read it first.
	var folders [][2]int64
	if !inTx(ctx) {
		if n, err := r.Get(ctx, owner, id); err == nil {
			folders = append(folders, [2]int64{owner, n.ParentID})
		}
	}
	if err := r.NodeRepo.Update(ctx, owner, id, ch, at); err != nil {
		return err
	}
	if ch.ParentID != nil {
		folders = append(folders, [2]int64{owner, *ch.ParentID})
	}
	r.c.changed(ctx, []string{r.c.c.NodeKey(id)}, folders...)
	return nil
}

func (r *cachedNodes) Trash(ctx context.Context, owner int64, ids []int64, root int64, at time.Time) error {
	if err := r.NodeRepo.Trash(ctx, owner, ids, root, at); err != nil {
		return err
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = r.c.c.NodeKey(id)
	}
	r.c.changed(ctx, keys)
	return nil
}

func (r *cachedNodes) Restore(ctx context.Context, owner, root, parent int64, name string, at time.Time) error {
	// Every node the restore brings back, not only its top: a child's
	// cached row says "trashed" until fenced, and so may the pages of the
	// folders inside the subtree.
	sub, err := r.NodeRepo.TrashedSubtree(ctx, owner, root)
	if err != nil {
		return err
	}
	if err := r.NodeRepo.Restore(ctx, owner, root, parent, name, at); err != nil {
		return err
	}
	keys := []string{r.c.c.NodeKey(root)}
	folders := [][2]int64{{owner, parent}}
	for _, n := range sub {
		keys = append(keys, r.c.c.NodeKey(n.ID))
		folders = append(folders, [2]int64{owner, n.ParentID})
	}
	r.c.changed(ctx, keys, folders...)
	return nil
}

// Purge fences the rows it deletes: a cached row would still say
// "trashed" for an id that is gone until the binlog's delete arrives.
func (r *cachedNodes) Purge(ctx context.Context, owner, root int64) (int64, int64, error) {
	sub, err := r.NodeRepo.TrashedSubtree(ctx, owner, root)
	if err != nil {
		return 0, 0, err
	}
	n, bytes, err := r.NodeRepo.Purge(ctx, owner, root)
	if err != nil || n == 0 {
		return n, bytes, err
	}
	keys := make([]string, len(sub))
	for i, s := range sub {
		keys[i] = r.c.c.NodeKey(s.ID)
	}
	r.c.changed(ctx, keys)
	return n, bytes, nil
}
