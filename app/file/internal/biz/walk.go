package biz

import (
	"context"
	"errors"
)

// CheckCreate tells whether a file could be created now: the parent is a
// live folder of the owner, the name is valid and (unless renaming) free,
// and the quota has room. Nothing is reserved; CreateFile checks again.
func (uc *NodeUsecase) CheckCreate(ctx context.Context, f NewFile) error {
	if err := ValidateName(f.Name); err != nil {
		return err
	}
	if err := uc.checkParent(ctx, f.Owner, f.Parent); err != nil {
		return err
	}
	if !f.Rename {
		taken, err := uc.nodes.TakenNames(ctx, f.Owner, f.Parent, FoldName(f.Name))
		if err != nil {
			return err
		}
		if taken[FoldName(f.Name)] {
			if !f.Version {
				return errNameConflict(f.Name)
			}
			// Over an existing file: a new version of it. Over a folder: no.
			old, err := uc.versions.LiveChild(ctx, f.Owner, f.Parent, f.Name)
			if errors.Is(err, ErrNotFound) || (err == nil && old.Kind != KindFile) {
				return errNameConflict(f.Name)
			}
			if err != nil {
				return err
			}
		}
	}
	q, err := uc.quota.Usage(ctx, f.Owner)
	if err != nil {
		return err
	}
	if q.Used+f.Size > q.Limit {
		return errQuota(q.Used, q.Limit, f.Size)
	}
	return nil
}

// WalkEntry is a node under a selection with its path relative to it.
type WalkEntry struct {
	Path string
	Node *Node
}

// Walk lists the live nodes under the selected ones (the selected included),
// parents before children, with slash-separated relative paths: what a zip
// of the selection holds. It stops after limit entries (truncated true).
func (uc *NodeUsecase) Walk(ctx context.Context, owner int64, ids []int64, limit int) ([]WalkEntry, bool, error) {
	var out []WalkEntry
	for _, id := range dedupe(ids) {
		n, err := uc.live(ctx, owner, id)
		if err != nil {
			return nil, false, err
		}
		tree := []*Node{n}
		if n.Kind == KindFolder {
			if tree, err = uc.nodes.LiveSubtree(ctx, owner, id); err != nil {
				return nil, false, err
			}
		}
		paths := map[int64]string{}
		for _, t := range tree {
			p := t.Name
			if t.ID != n.ID {
				parent, ok := paths[t.ParentID]
				if !ok {
					return nil, false, errors.New("walk: a child came before its parent")
				}
				p = parent + "/" + t.Name
			}
			paths[t.ID] = p
			if limit > 0 && len(out) >= limit {
				return out, true, nil
			}
			out = append(out, WalkEntry{Path: p, Node: t})
		}
	}
	return out, false, nil
}
