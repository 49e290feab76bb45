package biz

import (
	"context"
	"time"
)

// Blob is stored content, shared by every node that has its hash.
type Blob struct {
	Hash string
	Size int64
	// Deleting: the collector has claimed it; nothing may start using it.
	Deleting bool
	// UnreferencedSince is when a sweep first found no node using it.
	UnreferencedSince *time.Time
	CreatedAt         time.Time
}

// BlobRepo records blobs and the collector's marks.
type BlobRepo interface {
	Get(ctx context.Context, hash string) (*Blob, error)
	// Create records a published blob; ErrDuplicate when it exists.
	Create(ctx context.Context, b *Blob) error
	// Pin is done before a new node is made to use a blob: it clears the
	// collector's mark and records when. False when the blob is absent or
	// being deleted.
	Pin(ctx context.Context, hash string, at time.Time) (bool, error)
	// List pages blobs by hash (the sweep).
	List(ctx context.Context, afterHash string, limit int) ([]*Blob, error)
	// Mark sets UnreferencedSince on those not marked yet; Unmark clears it.
	Mark(ctx context.Context, hashes []string, at time.Time) error
	Unmark(ctx context.Context, hashes []string) error
	// Claim sets Deleting when the blob is still marked since before
	// markedBefore and not pinned since pinnedBefore; false otherwise.
	Claim(ctx context.Context, hash string, markedBefore, pinnedBefore time.Time) (bool, error)
	// Unclaim gives a claimed blob back (a reference appeared).
	Unclaim(ctx context.Context, hash string) error
	Delete(ctx context.Context, hash string) error
}
