package data

import (
	"context"
	"time"

	"clouddrive/app/file/internal/biz"
)

// cachedVersions fences the node a new version overwrites: SetContent
// changes a node row (content, size, version) outside the node repo, and
// the file's cached row and its folder's pages would show the old size
// until the binlog caught up. Everything else is the gorm repo's.
type cachedVersions struct {
	biz.VersionRepo
	nodes *cachedNodes
}

// ProvideVersionRepo is the version repo, fencing the nodes it changes when
// the cache is on.
func ProvideVersionRepo(d *Data, c *Cache) biz.VersionRepo {
	if c == nil {
		return NewVersionRepo(d)
	}
	return &cachedVersions{VersionRepo: NewVersionRepo(d), nodes: &cachedNodes{NodeRepo: NewNodeRepo(d), c: c}}
}

// LiveChild is the file an upload overwrites, read in its transaction:
// fenced with its folder after the commit.
func (r *cachedVersions) LiveChild(ctx context.Context, owner, parent int64, name string) (*biz.Node, error) {
	n, err := r.VersionRepo.LiveChild(ctx, owner, parent, name)
	if err == nil {
		r.nodes.touched(ctx, n)
	}
	return n, err
}

func (r *cachedVersions) SetContent(ctx context.Context, owner, id int64, hash string, size int64, mime string, at time.Time) error {
	// The folder: the node as the transaction read it (touched), or as
	// cached when the caller did not read it first.
	var folders [][2]int64
	if !inTx(ctx) {
		if n, err := r.nodes.Get(ctx, owner, id); err == nil {
			folders = append(folders, [2]int64{owner, n.ParentID})
		}
	}
	if err := r.VersionRepo.SetContent(ctx, owner, id, hash, size, mime, at); err != nil {
		return err
	}
	r.nodes.c.changed(ctx, []string{r.nodes.c.c.NodeKey(id)}, folders...)
	return nil
}
