package biz

import (
	"context"
	"errors"
	"time"

	v1 "clouddrive/api/file/v1"
)

// Version is an older content of a file, kept when new content was written
// over it. Its blob stays referenced (ReferencedHashes) and its size counts
// against the owner's quota until it is pruned or the file purged.
type Version struct {
	ID          int64
	OwnerID     int64
	NodeID      int64
	ContentHash string
	Size        int64
	Mime        string
	// NodeVersion is the node's version number while it had this content.
	NodeVersion int64
	// CreatedAt is when this content was written (the node's modification
	// time then), ReplacedAt when newer content replaced it.
	CreatedAt  time.Time
	ReplacedAt time.Time
}

// VersionRepo stores versions, and the content of the nodes they belong to.
type VersionRepo interface {
	// LiveChild is owner's live node named name (compared folded) in
	// parent, locked until the transaction ends; ErrNotFound when none.
	LiveChild(ctx context.Context, owner, parent int64, name string) (*Node, error)
	Add(ctx context.Context, v *Version) error
	// List is a node's versions, the latest replaced first.
	List(ctx context.Context, owner, node int64) ([]*Version, error)
	Get(ctx context.Context, owner, node, id int64) (*Version, error)
	// SetContent gives a live file new content, bumping its version.
	SetContent(ctx context.Context, owner, id int64, hash string, size int64, mime string, at time.Time) error
	// PurgeTrashed deletes the versions of the nodes trashed at root and
	// says how many bytes they held.
	PurgeTrashed(ctx context.Context, owner, root int64) (int64, error)
	// Bytes is what owner's versions hold.
	Bytes(ctx context.Context, owner int64) (int64, error)
	// ReferencedHashes is the subset of hashes some version references.
	ReferencedHashes(ctx context.Context, hashes []string) ([]string, error)
	// Expired lists versions of any owner beyond the keep latest of their
	// node (keep 0: none is beyond) or replaced before before (zero: none).
	Expired(ctx context.Context, keep int, before time.Time, limit int) ([]*Version, error)
	// Delete deletes owner's versions by id and says how many bytes went.
	Delete(ctx context.Context, owner int64, ids []int64) (int64, error)
}

func errVersionNotFound() error {
	return v1.ErrorVersionNotFound("this file has no such version")
}

// writeVersion writes f's content over the live file old, keeping old's
// content as a version. The caller has charged f.Size to the quota; the
// same content again is no new version, and the charge is given back.
func (uc *NodeUsecase) writeVersion(ctx context.Context, old *Node, f NewFile) (*Node, error) {
	if old.ContentHash == f.ContentHash && old.Size == f.Size {
		return old, uc.quota.repo.Release(ctx, f.Owner, f.Size)
	}
	now := uc.now()
	if err := uc.keepVersion(ctx, old, now); err != nil {
		return nil, err
	}
	mime := f.Mime
	if mime == "" {
		mime = old.Mime
	}
	if err := uc.setContent(ctx, old, f.ContentHash, f.Size, mime, now); err != nil {
		return nil, err
	}
	return old, uc.feed.record(ctx, uc.events, uc.event(EventVersioned, old, 1), old, "")
}

func (uc *NodeUsecase) keepVersion(ctx context.Context, n *Node, now time.Time) error {
	return uc.versions.Add(ctx, &Version{OwnerID: n.OwnerID, NodeID: n.ID, ContentHash: n.ContentHash, Size: n.Size,
		Mime: n.Mime, NodeVersion: n.Version, CreatedAt: n.UpdatedAt, ReplacedAt: now})
}

func (uc *NodeUsecase) setContent(ctx context.Context, n *Node, hash string, size int64, mime string, now time.Time) error {
	if err := uc.versions.SetContent(ctx, n.OwnerID, n.ID, hash, size, mime, now); err != nil {
		if errors.Is(err, ErrNotFound) {
			return errNodeNotFound()
		}
		return err
	}
	n.ContentHash, n.Size, n.Mime, n.UpdatedAt = hash, size, mime, now
	n.Version++
	return nil
}

// liveFile is a live file of owner, locked when in a transaction.
func (uc *NodeUsecase) liveFile(ctx context.Context, owner, id int64, lock bool) (*Node, error) {
	get := uc.nodes.Get
	if lock {
		get = uc.nodes.GetForUpdate
	}
	n, err := get(ctx, owner, id)
	if errors.Is(err, ErrNotFound) || (err == nil && !n.Live()) {
		return nil, errNodeNotFound()
	}
	if err != nil {
		return nil, err
	}
	if n.Kind != KindFile {
		return nil, v1.ErrorNodeNotFound("%q is a folder: folders have no versions", n.Name)
	}
	return n, nil
}

// ListVersions is a live file of owner and its kept versions, the latest
// replaced first.
func (uc *NodeUsecase) ListVersions(ctx context.Context, owner, id int64) (*Node, []*Version, error) {
	n, err := uc.liveFile(ctx, owner, id, false)
	if err != nil {
		return nil, nil, err
	}
	vs, err := uc.versions.List(ctx, owner, id)
	return n, vs, err
}

// GetVersion is one kept version of a live file of owner (downloads).
func (uc *NodeUsecase) GetVersion(ctx context.Context, owner, id, version int64) (*Node, *Version, error) {
	n, err := uc.liveFile(ctx, owner, id, false)
	if err != nil {
		return nil, nil, err
	}
	v, err := uc.versions.Get(ctx, owner, id, version)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, errVersionNotFound()
	}
	return n, v, err
}

// RestoreVersion makes a kept version's content current again, as a new
// version: the current content is kept as a version, the restored one
// stays listed, and the restored bytes are charged again (a new copy in
// the owner's history, as a copy of a file is).
func (uc *NodeUsecase) RestoreVersion(ctx context.Context, owner, id, version int64) (*Node, error) {
	var out *Node
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		n, err := uc.liveFile(ctx, owner, id, true)
		if err != nil {
			return err
		}
		v, err := uc.versions.Get(ctx, owner, id, version)
		if errors.Is(err, ErrNotFound) {
			return errVersionNotFound()
		}
		if err != nil {
			return err
		}
		if err := uc.quota.charge(ctx, owner, v.Size); err != nil {
			return err
		}
		now := uc.now()
		if err := uc.keepVersion(ctx, n, now); err != nil {
			return err
		}
		if err := uc.setContent(ctx, n, v.ContentHash, v.Size, v.Mime, now); err != nil {
			return err
		}
		out = n
		return uc.feed.record(ctx, uc.events, uc.event(EventVersionRestored, n, 1), n, "")
	})
	return out, err
}

// VersionBytes is the part of owner's usage that older versions take.
func (uc *NodeUsecase) VersionBytes(ctx context.Context, owner int64) (int64, error) {
	return uc.versions.Bytes(ctx, owner)
}

// PruneVersions drops versions beyond the policy's count per file or age,
// giving their bytes back to their owners' quotas (the janitor).
func (uc *NodeUsecase) PruneVersions(ctx context.Context) (pruned, bytes int64, err error) {
	p := uc.quota.policy
	if p.VersionKeepCount <= 0 && p.VersionKeepAge <= 0 {
		return 0, 0, nil
	}
	var before time.Time
	if p.VersionKeepAge > 0 {
		before = uc.now().Add(-p.VersionKeepAge)
	}
	for {
		vs, err := uc.versions.Expired(ctx, p.VersionKeepCount, before, 500)
		if err != nil || len(vs) == 0 {
			return pruned, bytes, err
		}
		byOwner := map[int64][]int64{}
		for _, v := range vs {
			byOwner[v.OwnerID] = append(byOwner[v.OwnerID], v.ID)
		}
		for owner, ids := range byOwner {
			err := uc.tx.InTx(ctx, func(ctx context.Context) error {
				// The bytes are those of the rows this call deleted: a
				// racing purge of the file frees nothing twice.
				b, err := uc.versions.Delete(ctx, owner, ids)
				if err != nil {
					return err
				}
				bytes += b
				return uc.quota.repo.Release(ctx, owner, b)
			})
			if err != nil {
				return pruned, bytes, err
			}
			pruned += int64(len(ids))
		}
	}
}
