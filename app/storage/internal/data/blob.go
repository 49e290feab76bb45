package data

import (
	"context"
	"time"

	"gorm.io/gorm"

	"clouddrive/app/storage/internal/biz"
)

type blobRepo struct{ d *Data }

var _ biz.BlobRepo = (*blobRepo)(nil)

// NewBlobRepo returns the gorm BlobRepo.
func NewBlobRepo(d *Data) biz.BlobRepo { return &blobRepo{d: d} }

func toBlob(m *blobModel) *biz.Blob {
	return &biz.Blob{Hash: m.Hash, Size: m.Size, Deleting: m.Deleting, UnreferencedSince: m.UnreferencedSince,
		Verified: m.Verified, QuarantinedAt: m.QuarantinedAt, CreatedAt: m.CreatedAt}
}

func (r *blobRepo) Get(ctx context.Context, hash string) (*biz.Blob, error) {
	var m blobModel
	if err := r.d.db(ctx).Where("hash = ?", hash).Take(&m).Error; err != nil {
		return nil, mapErr(err)
	}
	return toBlob(&m), nil
}

// Create is one INSERT: atomic alone, so without gorm's BEGIN and COMMIT
// around it (two more calls into SQLite on every new blob).
func (r *blobRepo) Create(ctx context.Context, b *biz.Blob) error {
	created := b.CreatedAt
	return mapErr(r.d.db(ctx).Session(&gorm.Session{SkipDefaultTransaction: true}).Create(&blobModel{Hash: b.Hash, Size: b.Size, Verified: b.Verified, CreatedAt: b.CreatedAt,
		PinnedAt: &created}).Error)
}

func (r *blobRepo) Pin(ctx context.Context, hash string, at time.Time) (bool, error) {
	res := r.d.db(ctx).Model(&blobModel{}).Where("hash = ? AND deleting = ?", hash, false).
		Updates(map[string]any{"unreferenced_since": nil, "pinned_at": at})
	return res.RowsAffected == 1, res.Error
}

func (r *blobRepo) List(ctx context.Context, after string, limit int) ([]*biz.Blob, error) {
	var ms []blobModel
	if err := r.d.db(ctx).Where("hash > ?", after).Order("hash").Limit(limit).Find(&ms).Error; err != nil {
		return nil, err
	}
	out := make([]*biz.Blob, len(ms))
	for i := range ms {
		out[i] = toBlob(&ms[i])
	}
	return out, nil
}

func (r *blobRepo) Mark(ctx context.Context, hashes []string, at time.Time) error {
	if len(hashes) == 0 {
		return nil
	}
	return r.d.db(ctx).Model(&blobModel{}).Where("hash IN ? AND unreferenced_since IS NULL", hashes).
		Update("unreferenced_since", at).Error
}

func (r *blobRepo) Unmark(ctx context.Context, hashes []string) error {
	if len(hashes) == 0 {
		return nil
	}
	return r.d.db(ctx).Model(&blobModel{}).Where("hash IN ?", hashes).Update("unreferenced_since", nil).Error
}

func (r *blobRepo) Claim(ctx context.Context, hash string, markedBefore, pinnedBefore time.Time) (bool, error) {
	// Conditional on the row as it is now: a pin since the sweep read it
	// cleared unreferenced_since, and a recent pin (a node on its way, maybe
	// across two sweeps) keeps the blob too.
	res := r.d.db(ctx).Model(&blobModel{}).
		Where("hash = ? AND deleting = ? AND unreferenced_since IS NOT NULL AND unreferenced_since < ? AND (pinned_at IS NULL OR pinned_at < ?)",
			hash, false, markedBefore, pinnedBefore).
		Update("deleting", true)
	return res.RowsAffected == 1, res.Error
}

func (r *blobRepo) Unclaim(ctx context.Context, hash string) error {
	return r.d.db(ctx).Model(&blobModel{}).Where("hash = ?", hash).
		Updates(map[string]any{"deleting": false, "unreferenced_since": nil}).Error
}

func (r *blobRepo) Delete(ctx context.Context, hash string) error {
	return r.d.db(ctx).Where("hash = ? AND deleting = ?", hash, true).Delete(&blobModel{}).Error
}

func (r *blobRepo) Verify(ctx context.Context, hash string, size int64, at time.Time) error {
	return r.d.db(ctx).Model(&blobModel{}).Where("hash = ?", hash).
		Updates(map[string]any{"verified": true, "quarantined_at": nil, "size": size, "pinned_at": at}).Error
}

func (r *blobRepo) Quarantine(ctx context.Context, hash string, at time.Time) error {
	return r.d.db(ctx).Model(&blobModel{}).Where("hash = ?", hash).
		Updates(map[string]any{"verified": false, "quarantined_at": at}).Error
}
