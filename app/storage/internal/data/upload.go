package data

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"clouddrive/app/storage/internal/biz"
	"clouddrive/pkg/database"
)

type uploadRepo struct{ d *Data }

var _ biz.UploadRepo = (*uploadRepo)(nil)

// NewUploadRepo returns the gorm UploadRepo.
func NewUploadRepo(d *Data) biz.UploadRepo { return &uploadRepo{d: d} }

func toUpload(m *uploadModel) *biz.Upload {
	return &biz.Upload{ID: m.ID, OwnerID: m.OwnerID, ParentID: m.ParentID, Name: m.Name, Mime: m.Mime, Size: m.Size,
		ContentHash: m.ContentHash, Hashless: m.ContentHash == "", ChunkSize: m.ChunkSize, Rename: m.Rename, Version: m.Version, State: biz.UploadState(m.State),
		NodeID: m.NodeID, Nonce: m.Nonce, ChallengePeriod: m.ChallengePeriod,
		BackendRef: m.BackendRef, CreatedAt: m.CreatedAt, ExpiresAt: m.ExpiresAt}
}

func (r *uploadRepo) Create(ctx context.Context, u *biz.Upload) error {
	return mapErr(r.d.db(ctx).Create(&uploadModel{ID: u.ID, OwnerID: u.OwnerID, ContentHash: u.ContentHash,
		ParentID: u.ParentID, Name: u.Name, Mime: u.Mime, Size: u.Size, ChunkSize: u.ChunkSize, Rename: u.Rename, Version: u.Version,
		State: int8(u.State), Nonce: u.Nonce, ChallengePeriod: u.ChallengePeriod,
		BackendRef: u.BackendRef, CreatedAt: u.CreatedAt, UpdatedAt: u.CreatedAt, ExpiresAt: u.ExpiresAt}).Error)
}

func (r *uploadRepo) Get(ctx context.Context, owner int64, id string) (*biz.Upload, error) {
	var m uploadModel
	if err := r.d.db(ctx).Where("id = ? AND owner_id = ?", id, owner).Take(&m).Error; err != nil {
		return nil, mapErr(err)
	}
	return toUpload(&m), nil
}

func (r *uploadRepo) FindResumable(ctx context.Context, owner, parent int64, name, hash string, size int64, now time.Time) (*biz.Upload, error) {
	var m uploadModel
	err := r.d.db(ctx).Where("owner_id = ? AND content_hash = ? AND parent_id = ? AND name = ? AND size = ? AND state = ? AND expires_at > ?",
		owner, hash, parent, name, size, int8(biz.UploadOpen), now).Order("created_at DESC").Take(&m).Error
	if err != nil {
		return nil, mapErr(err)
	}
	return toUpload(&m), nil
}

func (r *uploadRepo) Lease(ctx context.Context, owner int64, id string, now, until time.Time) (bool, error) {
	res := r.d.db(ctx).Model(&uploadModel{}).
		Where("id = ? AND owner_id = ? AND state = ? AND (lease_until IS NULL OR lease_until < ?)", id, owner, int8(biz.UploadOpen), now).
		Updates(map[string]any{"lease_until": until, "updated_at": now})
	return res.RowsAffected == 1, res.Error
}

func (r *uploadRepo) Release(ctx context.Context, owner int64, id string) error {
	return r.d.db(ctx).Model(&uploadModel{}).Where("id = ? AND owner_id = ?", id, owner).Update("lease_until", nil).Error
}

// Finish closes the upload, ends its lease and forgets its chunks in one
// transaction (one commit: a sync on SQLite).
func (r *uploadRepo) Finish(ctx context.Context, owner int64, id string, state biz.UploadState, nodeID int64) error {
	return database.Transaction(ctx, r.d.DB, func(tx *gorm.DB) error {
		err := tx.Model(&uploadModel{}).Where("id = ? AND owner_id = ? AND state = ?", id, owner, int8(biz.UploadOpen)).
			Updates(map[string]any{"state": int8(state), "node_id": nodeID, "lease_until": nil, "updated_at": time.Now().UTC()}).Error
		if err != nil {
			return err
		}
		return tx.Where("upload_id = ? AND owner_id = ?", id, owner).Delete(&chunkModel{}).Error
	})
}

func (r *uploadRepo) CountProof(ctx context.Context, owner int64, hash string, period int64, max int) (bool, error) {
	var counted bool
	err := database.Transaction(ctx, r.d.DB, func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&proofModel{OwnerID: owner, ContentHash: hash,
			Period: period, CreatedAt: time.Now().UTC()}).Error; err != nil {
			return err
		}
		res := tx.Model(&proofModel{}).Where("owner_id = ? AND content_hash = ? AND period = ? AND attempts < ?", owner, hash, period, max).
			Update("attempts", gorm.Expr("attempts + 1"))
		counted = res.RowsAffected == 1
		return res.Error
	})
	return counted, err
}

func (r *uploadRepo) BeginChunk(ctx context.Context, owner int64, id string, index int64, w string, now, staleBefore time.Time) error {
	return database.Transaction(ctx, r.d.DB, func(tx *gorm.DB) error {
		// The upload's row first: this serialises with Lease (the seal), so
		// a write either begins before the seal, and Complete waits for it,
		// or is refused.
		res := tx.Model(&uploadModel{}).
			Where("id = ? AND owner_id = ? AND state = ? AND lease_until IS NULL AND expires_at > ?", id, owner, int8(biz.UploadOpen), now).
			Update("chunk_writes", gorm.Expr("chunk_writes + 1"))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return biz.ErrSealed
		}
		// Take the chunk unless a live writer has it; it is not held from now.
		res = tx.Model(&chunkModel{}).
			Where("upload_id = ? AND owner_id = ? AND idx = ? AND (writer = '' OR write_started < ?)", id, owner, index, staleBefore).
			Updates(map[string]any{"writer": w, "write_started": now, "digests": []byte{}, "e_tag": "", "size": 0})
		if res.Error != nil || res.RowsAffected == 1 {
			return res.Error
		}
		err := tx.Create(&chunkModel{UploadID: id, Idx: index, OwnerID: owner, Digests: []byte{}, Writer: w,
			WriteStarted: &now, CreatedAt: now}).Error
		if errors.Is(mapErr(err), biz.ErrDuplicate) {
			return biz.ErrBusy
		}
		return err
	})
}

func (r *uploadRepo) EndChunk(ctx context.Context, c *biz.Chunk, w string) error {
	res := r.d.db(ctx).Model(&chunkModel{}).
		Where("upload_id = ? AND owner_id = ? AND idx = ? AND writer = ?", c.UploadID, c.OwnerID, c.Index, w).
		Updates(map[string]any{"writer": "", "digests": c.Digests, "e_tag": c.ETag, "size": c.Size, "created_at": time.Now().UTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return biz.ErrBusy
	}
	return nil
}

func (r *uploadRepo) AbortChunk(ctx context.Context, owner int64, id string, index int64, w string) error {
	return r.d.db(ctx).Where("upload_id = ? AND owner_id = ? AND idx = ? AND writer = ?", id, owner, index, w).
		Delete(&chunkModel{}).Error
}

func (r *uploadRepo) ForgetChunks(ctx context.Context, owner int64, id string, indexes []int64) error {
	if len(indexes) == 0 {
		return nil
	}
	return r.d.db(ctx).Where("upload_id = ? AND owner_id = ? AND idx IN ? AND writer = ''", id, owner, indexes).
		Delete(&chunkModel{}).Error
}

func (r *uploadRepo) TouchChunk(ctx context.Context, owner int64, id string, index int64, w string, now time.Time) error {
	res := r.d.db(ctx).Model(&chunkModel{}).Where("upload_id = ? AND owner_id = ? AND idx = ? AND writer = ?", id, owner, index, w).
		Update("write_started", now)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return biz.ErrBusy
	}
	return nil
}

func (r *uploadRepo) ClearWriters(ctx context.Context, before time.Time) (int64, error) {
	res := r.d.db(ctx).Where("writer <> '' AND write_started < ?", before).Delete(&chunkModel{})
	return res.RowsAffected, res.Error
}

func (r *uploadRepo) Writing(ctx context.Context, owner int64, id string, staleBefore time.Time) (int, error) {
	var n int64
	err := r.d.db(ctx).Model(&chunkModel{}).
		Where("upload_id = ? AND owner_id = ? AND writer <> '' AND write_started >= ?", id, owner, staleBefore).Count(&n).Error
	return int(n), err
}

func (r *uploadRepo) Chunks(ctx context.Context, owner int64, id string) ([]*biz.Chunk, error) {
	var ms []chunkModel
	if err := r.d.db(ctx).Where("upload_id = ? AND owner_id = ? AND writer = ''", id, owner).Order("idx").Find(&ms).Error; err != nil {
		return nil, err
	}
	out := make([]*biz.Chunk, len(ms))
	for i, m := range ms {
		out[i] = &biz.Chunk{UploadID: m.UploadID, OwnerID: m.OwnerID, Index: m.Idx, Size: m.Size, Digests: m.Digests, ETag: m.ETag}
	}
	return out, nil
}

func (r *uploadRepo) Restart(ctx context.Context, owner int64, id, backendRef string) error {
	return database.Transaction(ctx, r.d.DB, func(tx *gorm.DB) error {
		if err := tx.Where("upload_id = ? AND owner_id = ?", id, owner).Delete(&chunkModel{}).Error; err != nil {
			return err
		}
		return tx.Model(&uploadModel{}).Where("id = ? AND owner_id = ?", id, owner).
			Updates(map[string]any{"backend_ref": backendRef, "updated_at": time.Now().UTC()}).Error
	})
}

func (r *uploadRepo) DeleteChunks(ctx context.Context, owner int64, id string) error {
	return r.d.db(ctx).Where("upload_id = ? AND owner_id = ?", id, owner).Delete(&chunkModel{}).Error
}

func (r *uploadRepo) Expired(ctx context.Context, before time.Time, limit int) ([]*biz.Upload, error) {
	var ms []uploadModel
	if err := r.d.db(ctx).Where("expires_at < ?", before).Order("expires_at").Limit(limit).Find(&ms).Error; err != nil {
		return nil, err
	}
	out := make([]*biz.Upload, len(ms))
	for i := range ms {
		out[i] = toUpload(&ms[i])
	}
	return out, nil
}

func (r *uploadRepo) Delete(ctx context.Context, owner int64, id string) error {
	return database.Transaction(ctx, r.d.DB, func(tx *gorm.DB) error {
		if err := tx.Where("upload_id = ? AND owner_id = ?", id, owner).Delete(&chunkModel{}).Error; err != nil {
			return err
		}
		return tx.Where("id = ? AND owner_id = ?", id, owner).Delete(&uploadModel{}).Error
	})
}
