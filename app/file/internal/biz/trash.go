package biz

import (
	"context"
	"errors"

	"github.com/go-kratos/kratos/v2/log"

	v1 "clouddrive/api/file/v1"
)

// TrashUsecase is delete, restore and purge. Each acts on whole subtrees in
// one transaction: a folder with a thousand descendants goes, comes back or
// disappears at once.
type TrashUsecase struct {
	nodes    NodeRepo
	quota    QuotaRepo
	events   OutboxRepo
	feed     *Feed
	versions VersionRepo
	tx       Transaction
	policy   *Policy
	now      Clock
	log      *log.Helper
}

// NewTrashUsecase builds the use case. Every change is recorded in the
// owner's change feed; a purge takes the purged files' versions with it.
func NewTrashUsecase(nodes NodeRepo, quota QuotaRepo, events OutboxRepo, feed *Feed, versions VersionRepo, tx Transaction, p *Policy, now Clock, logger log.Logger) *TrashUsecase {
	return &TrashUsecase{nodes: nodes, quota: quota, events: events, feed: feed, versions: versions, tx: tx, policy: p, now: now,
		log: log.NewHelper(log.With(logger, "module", "biz/trash"))}
}

// Delete moves live subtrees to the trash and returns how many nodes went.
func (uc *TrashUsecase) Delete(ctx context.Context, owner int64, ids []int64) (int64, error) {
	var total int64
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		now := uc.now()
		for _, id := range dedupe(ids) {
			n, err := uc.nodes.GetForUpdate(ctx, owner, id)
			if errors.Is(err, ErrNotFound) {
				return errNodeNotFound()
			}
			if err != nil {
				return err
			}
			if !n.Live() {
				if n.TrashRoot == n.ID {
					continue // deleting twice is harmless
				}
				return errNodeNotFound()
			}
			tree, err := uc.nodes.LiveSubtree(ctx, owner, id)
			if err != nil {
				return err
			}
			treeIDs := make([]int64, len(tree))
			for i, t := range tree {
				treeIDs[i] = t.ID
			}
			path, err := uc.feed.oldPath(ctx, n)
			if err != nil {
				return err
			}
			if err := uc.nodes.Trash(ctx, owner, treeIDs, id, now); err != nil {
				return err
			}
			total += int64(len(tree))
			n.TrashedAt, n.TrashRoot, n.UpdatedAt = &now, id, now
			n.Version++
			if err := uc.feed.recordAt(ctx, uc.events, nodeEvent(EventTrashed, n, int64(len(tree)), now.UnixMilli()), n, path, ""); err != nil {
				return err
			}
		}
		return nil
	})
	return total, err
}

// List pages the trash: the tops of deleted subtrees, latest deleted first.
func (uc *TrashUsecase) List(ctx context.Context, owner int64, after *Cursor, limit int) (*Page, error) {
	limit = clampLimit(limit)
	ns, err := uc.nodes.ListTrash(ctx, owner, after, limit+1)
	if err != nil {
		return nil, err
	}
	p := pageOf(ns, limit)
	if p.Next != nil {
		last := p.Items[len(p.Items)-1]
		p.Next = &Cursor{Updated: *last.TrashedAt, ID: last.ID}
	}
	return p, nil
}

// Restore brings trashed subtrees back to their old folder, or to the root
// when that folder is gone (or in the trash itself) or the name is taken
// there; at the root a taken name becomes "name (n)".
func (uc *TrashUsecase) Restore(ctx context.Context, owner int64, ids []int64) ([]*Node, error) {
	var out []*Node
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		now := uc.now()
		for _, id := range dedupe(ids) {
			n, err := uc.trashTop(ctx, owner, id)
			if err != nil {
				return err
			}
			parent := n.ParentID
			if parent != 0 {
				p, err := uc.nodes.GetForUpdate(ctx, owner, parent)
				if errors.Is(err, ErrNotFound) || (err == nil && (!p.Live() || p.Kind != KindFolder)) {
					parent = 0
				} else if err != nil {
					return err
				}
			}
			err = uc.nodes.Restore(ctx, owner, id, parent, n.Name, now)
			if errors.Is(err, ErrDuplicate) && parent != 0 {
				parent = 0
				err = uc.nodes.Restore(ctx, owner, id, parent, n.Name, now)
			}
			name := n.Name
			tried := map[string]bool{FoldName(n.Name): true}
			for round := 0; errors.Is(err, ErrDuplicate) && round < maxRenameRounds; round++ {
				base, _ := splitExt(n.Name, n.Kind == KindFolder)
				taken, terr := uc.nodes.TakenNames(ctx, owner, parent, FoldName(base))
				if terr != nil {
					return terr
				}
				for k := range tried {
					taken[k] = true
				}
				name = freeName(n.Name, n.Kind == KindFolder, taken)
				tried[FoldName(name)] = true
				err = uc.nodes.Restore(ctx, owner, id, parent, name, now)
			}
			switch {
			case errors.Is(err, ErrDuplicate):
				return errNameConflict(n.Name)
			case errors.Is(err, ErrNotFound):
				return errNodeNotFound() // purged by a racing call
			case err != nil:
				return err
			}
			n.ParentID, n.Name, n.TrashedAt, n.TrashRoot, n.UpdatedAt = parent, name, nil, 0, now
			n.Version++
			out = append(out, n)
			if err := uc.feed.record(ctx, uc.events, nodeEvent(EventRestored, n, 1, now.UnixMilli()), n, ""); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// Purged says what a purge removed.
type Purged struct {
	Nodes int64
	Bytes int64
}

// Purge deletes trashed subtrees for good and frees their bytes.
func (uc *TrashUsecase) Purge(ctx context.Context, owner int64, ids []int64) (*Purged, error) {
	out := &Purged{}
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		for _, id := range dedupe(ids) {
			n, err := uc.trashTop(ctx, owner, id)
			if err != nil {
				return err
			}
			if err := uc.purgeOne(ctx, n, out); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// Empty purges the whole trash of the owner, a page at a time.
func (uc *TrashUsecase) Empty(ctx context.Context, owner int64) (*Purged, error) {
	out := &Purged{}
	for {
		ns, err := uc.nodes.ListTrash(ctx, owner, nil, 500)
		if err != nil || len(ns) == 0 {
			return out, err
		}
		err = uc.tx.InTx(ctx, func(ctx context.Context) error {
			for _, n := range ns {
				if err := uc.purgeOne(ctx, n, out); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return out, err
		}
	}
}

// PurgeExpired empties what has been in anyone's trash longer than the
// retention period. The janitor calls it now and then.
func (uc *TrashUsecase) PurgeExpired(ctx context.Context) (*Purged, error) {
	out := &Purged{}
	if uc.policy.TrashRetention <= 0 {
		return out, nil
	}
	for {
		ns, err := uc.nodes.ExpiredTrash(ctx, uc.now().Add(-uc.policy.TrashRetention), 200)
		if err != nil || len(ns) == 0 {
			return out, err
		}
		for _, n := range ns {
			if err := uc.tx.InTx(ctx, func(ctx context.Context) error { return uc.purgeOne(ctx, n, out) }); err != nil {
				return out, err
			}
		}
	}
}

func (uc *TrashUsecase) purgeOne(ctx context.Context, top *Node, out *Purged) error {
	// Where it was, read while its rows are still there.
	path, err := uc.feed.oldPath(ctx, top)
	if err != nil {
		return err
	}
	// The versions of the files go with them, before the rows that
	// find them (by trash root) do.
	var vbytes int64
	if uc.versions != nil {
		if vbytes, err = uc.versions.PurgeTrashed(ctx, top.OwnerID, top.ID); err != nil {
			return err
		}
	}
	// The bytes freed are those of the rows this call deleted: a racing
	// purge (the janitor, a second click) or restore frees nothing twice.
	count, bytes, err := uc.nodes.Purge(ctx, top.OwnerID, top.ID)
	if err != nil {
		return err
	}
	bytes += vbytes
	if count == 0 {
		return uc.quota.Release(ctx, top.OwnerID, vbytes)
	}
	if err := uc.quota.Release(ctx, top.OwnerID, bytes); err != nil {
		return err
	}
	out.Nodes += count
	out.Bytes += bytes
	e := nodeEvent(EventPurged, top, count, uc.now().UnixMilli())
	e.Size = bytes
	return uc.feed.recordAt(ctx, uc.events, e, top, path, "")
}

// trashTop returns a node that heads a deleted subtree.
func (uc *TrashUsecase) trashTop(ctx context.Context, owner, id int64) (*Node, error) {
	n, err := uc.nodes.GetForUpdate(ctx, owner, id)
	if errors.Is(err, ErrNotFound) {
		return nil, errNodeNotFound()
	}
	if err != nil {
		return nil, err
	}
	if n.Live() || n.TrashRoot != n.ID {
		return nil, v1.ErrorNotInTrash("%q is not in the trash", n.Name)
	}
	return n, nil
}
