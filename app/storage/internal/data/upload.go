package data

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"clouddrive/app/storage/internal/biz"
)

type uploadRepo struct{ d *Data }

var _ biz.UploadRepo = (*uploadRepo)(nil)

// NewUploadRepo returns the gorm UploadRepo.
func NewUploadRepo(d *Data) biz.UploadRepo { return &uploadRepo{d: d} }

func toUpload(m *uploadModel) *biz.Upload {
	return &biz.Upload{ID: m.ID, OwnerID: m.OwnerID, ParentID: m.ParentID, Name: m.Name, Mime: m.Mime, Size: m.Size,
		ContentHash: m.ContentHash, ChunkSize: m.ChunkSize, Rename: m.Rename, State: biz.UploadState(m.State),
		NodeID: m.NodeID, Nonce: m.Nonce, ChallengeOffset: m.ChallengeOffset, ChallengeLength: m.ChallengeLength,
		BackendRef: m.BackendRef, CreatedAt: m.CreatedAt, ExpiresAt: m.ExpiresAt}
}

func (r *uploadRepo) Create(ctx context.Context, u *biz.Upload) error {
	return mapErr(r.d.db(ctx).Create(&uploadModel{ID: u.ID, OwnerID: u.OwnerID, ContentHash: u.ContentHash,
		ParentID: u.ParentID, Name: u.Name, Mime: u.Mime, Size: u.Size, ChunkSize: u.ChunkSize, Rename: u.Rename,
		State: int8(u.State), Nonce: u.Nonce, ChallengeOffset: u.ChallengeOffset, ChallengeLength: u.ChallengeLength,
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

func (r *uploadRepo) Finish(ctx context.Context, owner int64, id string, state biz.UploadState, nodeID int64) error {
	return r.d.db(ctx).Model(&uploadModel{}).Where("id = ? AND owner_id = ? AND state = ?", id, owner, int8(biz.UploadOpen)).
		Updates(map[string]any{"state": int8(state), "node_id": nodeID, "updated_at": time.Now().UTC()}).Error
}

func (r *uploadRepo) CountProof(ctx context.Context, owner int64, id string, max int) (bool, error) {
	res := r.d.db(ctx).Model(&uploadModel{}).Where("id = ? AND owner_id = ? AND proof_attempts < ?", id, owner, max).
		Update("proof_attempts", gorm.Expr("proof_attempts + 1"))
	return res.RowsAffected == 1, res.Error
}

func (r *uploadRepo) SaveChunk(ctx context.Context, c *biz.Chunk) error {
	// A chunk sent again replaces the record: idempotent PUTs.
	return r.d.db(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "upload_id"}, {Name: "idx"}},
		DoUpdates: clause.AssignmentColumns([]string{"size", "digests", "e_tag", "created_at"}),
	}).Create(&chunkModel{UploadID: c.UploadID, Idx: c.Index, OwnerID: c.OwnerID, Size: c.Size, Digests: c.Digests,
		ETag: c.ETag, CreatedAt: time.Now().UTC()}).Error
}

func (r *uploadRepo) Chunks(ctx context.Context, owner int64, id string) ([]*biz.Chunk, error) {
	var ms []chunkModel
	if err := r.d.db(ctx).Where("upload_id = ? AND owner_id = ?", id, owner).Order("idx").Find(&ms).Error; err != nil {
		return nil, err
	}
	out := make([]*biz.Chunk, len(ms))
	for i, m := range ms {
		out[i] = &biz.Chunk{UploadID: m.UploadID, OwnerID: m.OwnerID, Index: m.Idx, Size: m.Size, Digests: m.Digests, ETag: m.ETag}
	}
	return out, nil
}

func (r *uploadRepo) Restart(ctx context.Context, owner int64, id, backendRef string) error {
	return r.d.db(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("upload_id = ? AND owner_id = ?", id, owner).Delete(&chunkModel{}).Error; err != nil {
			return err
		}
		return tx.Model(&uploadModel{}).Where("id = ? AND owner_id = ?", id, owner).
			Updates(map[string]any{"backend_ref": backendRef, "updated_at": time.Now().UTC()}).Error
	})
}

func (r *uploadRepo) DeleteChunk(ctx context.Context, owner int64, id string, index int64) error {
	return r.d.db(ctx).Where("upload_id = ? AND owner_id = ? AND idx = ?", id, owner, index).Delete(&chunkModel{}).Error
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
	return r.d.db(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("upload_id = ? AND owner_id = ?", id, owner).Delete(&chunkModel{}).Error; err != nil {
			return err
		}
		return tx.Where("id = ? AND owner_id = ?", id, owner).Delete(&uploadModel{}).Error
	})
}
