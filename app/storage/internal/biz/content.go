package biz

import "clouddrive/pkg/contenthash"

// The content hash (SHA-256 over the 4 MiB blocks' digests) is shared with
// the clients that compute it (the CLI): pkg/contenthash.

// BlockSize is the unit of the content hash.
const BlockSize = contenthash.BlockSize

// BlockHasher hashes a chunk block by block as it streams through.
type BlockHasher = contenthash.BlockHasher

// NewBlockHasher returns an empty hasher.
func NewBlockHasher() *BlockHasher { return contenthash.NewBlockHasher() }

// ContentHash is the hex content hash of the block digests, in order.
func ContentHash(digests []byte) string { return contenthash.ContentHash(digests) }

// HashBytes is the content hash of data held in memory.
func HashBytes(data []byte) string { return contenthash.HashBytes(data) }

// Layout is how an upload of size bytes splits into chunks.
type Layout struct {
	Size      int64
	ChunkSize int64
}

// Count is the number of chunks (0 for an empty file).
func (l Layout) Count() int64 { return (l.Size + l.ChunkSize - 1) / l.ChunkSize }

// Offset is where chunk i starts.
func (l Layout) Offset(i int64) int64 { return i * l.ChunkSize }

// Len is the length of chunk i.
func (l Layout) Len(i int64) int64 {
	if rest := l.Size - l.Offset(i); rest < l.ChunkSize {
		return rest
	}
	return l.ChunkSize
}

// maxParts is S3's limit on the parts of one multipart upload.
const maxParts = 10000

// chunkSizeFor is the configured chunk size, grown (in whole blocks) when a
// huge file would need more than maxParts chunks.
func chunkSizeFor(size, configured int64) int64 {
	cs := configured
	if cs < BlockSize {
		cs = BlockSize
	}
	cs -= cs % BlockSize
	for (size+cs-1)/cs > maxParts {
		cs += BlockSize
	}
	return cs
}
