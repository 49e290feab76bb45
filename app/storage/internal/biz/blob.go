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
	// Verified: its bytes are known to match its hash (published under the
	// integrity invariant, or re-hashed by the scrub). Only a verified blob
	// is deduplicated onto.
	Verified bool
	// QuarantinedAt: the scrub found its bytes do not match its hash (or
	// found it missing); it is never served nor deduplicated onto.
	QuarantinedAt *time.Time
	CreatedAt     time.Time
}

// Trusted says the blob may stand for content of size bytes: new nodes may
// use it without their bytes being sent.
func (b *Blob) Trusted(size int64) bool {
	return b.Verified && b.QuarantinedAt == nil && !b.Deleting && b.Size == size
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
	// Verify marks the blob's bytes as checked against its hash (and of size
	// bytes), lifting a quarantine.
	Verify(ctx context.Context, hash string, size int64, at time.Time) error
	// Quarantine marks the blob as failing its check.
	Quarantine(ctx context.Context, hash string, at time.Time) error
}
