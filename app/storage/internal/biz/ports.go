package biz

import (
	"context"
	"io"
	"time"
)

// FileNode is a node of the file service, as storage needs it.
type FileNode struct {
	ID          int64
	ParentID    int64
	Name        string
	Folder      bool
	Size        int64
	ContentHash string
	Mime        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// NewFile is a finished upload for the file service to create.
type NewFile struct {
	Owner       int64
	Parent      int64
	Name        string
	ContentHash string
	Size        int64
	Mime        string
	Rename      bool
	// Version: onto an existing file's name, a new version of that file
	// (when Rename is not set); neither: NAME_CONFLICT.
	Version bool
}

// WalkEntry is a node under a zip selection with its relative path.
type WalkEntry struct {
	Path string
	Node *FileNode
}

// FileService is the file service: over gRPC between services, in process
// in the standalone binary. Its errors (quota, names, not found) pass
// through to the client unchanged.
type FileService interface {
	CheckCreate(ctx context.Context, f NewFile) error
	CreateFile(ctx context.Context, f NewFile) (*FileNode, error)
	// GetFile returns a live node of the owner.
	GetFile(ctx context.Context, owner, id int64) (*FileNode, error)
	Walk(ctx context.Context, owner int64, ids []int64, limit int) ([]WalkEntry, bool, error)
	ReferencedHashes(ctx context.Context, hashes []string) ([]string, error)
}

// BlobStore is a backend: local disk, S3/MinIO or Tencent COS. Blobs are
// keyed by content hash, never by a user's file name.
type BlobStore interface {
	// Begin prepares an upload's chunks and returns the backend's handle
	// for it (a multipart upload id, a part file), kept with the upload.
	Begin(ctx context.Context, u *Upload) (string, error)
	// WriteChunk stores exactly n bytes of r as chunk index; it returns the
	// backend's id of the part (an ETag), kept with the chunk.
	WriteChunk(ctx context.Context, u *Upload, index int64, r io.Reader, n int64) (string, error)
	// Publish makes the upload's chunks the blob of u.ContentHash.
	Publish(ctx context.Context, u *Upload, chunks []*Chunk) error
	// Discard drops an upload's chunks (abort, expiry, content already stored).
	Discard(ctx context.Context, u *Upload) error
	// Open reads a blob; Seek serves ranges.
	Open(ctx context.Context, hash string, size int64) (io.ReadSeekCloser, error)
	Delete(ctx context.Context, hash string) error
}

// BlobKey is where every backend keeps a blob.
func BlobKey(hash string) string {
	return "blobs/" + hash[:2] + "/" + hash[2:4] + "/" + hash
}

// ChunkIndex is a fast view of the chunks each upload holds: a Redis bitmap
// per upload in production, none on one machine. The UploadRepo stays the
// truth: a missing view falls back to it, a stale one can only make a client
// send a chunk again, and Complete always reads the repo.
type ChunkIndex interface {
	// Held lists the chunks held; ok is false when there is no view.
	Held(ctx context.Context, id string, count int64) (held []int64, ok bool, err error)
	// Start creates the view of a new upload (all chunks missing).
	Start(ctx context.Context, id string, ttl time.Duration) error
	Set(ctx context.Context, id string, index int64, held bool) error
	Drop(ctx context.Context, id string) error
}
