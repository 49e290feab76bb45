package biz

import (
	"context"
	"errors"
	"io"

	v1 "clouddrive/api/storage/v1"
)

// openBlob opens stored content for a download. Content the scrub found
// corrupt is never served: the reader gets a clear refusal instead of bytes
// that are not the file.
func openBlob(ctx context.Context, blobs BlobRepo, store BlobStore, hash string, size int64) (io.ReadSeekCloser, error) {
	b, err := blobs.Get(ctx, hash)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if err == nil && b.QuarantinedAt != nil {
		return nil, v1.ErrorContentQuarantined("this file's stored content failed an integrity check and is withheld")
	}
	return store.Open(ctx, hash, size)
}
