package biz

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

// BlockSize is the unit of the content hash: SHA-256 over the concatenated
// SHA-256 digests of each 4 MiB block (Dropbox's content_hash). Each block
// is checked as it arrives, chunks come in any order, and no pass over the
// whole file is needed to know its identity.
const BlockSize = 4 << 20

// ContentHash is the hex content hash of the block digests, in order.
func ContentHash(digests []byte) string {
	sum := sha256.Sum256(digests)
	return hex.EncodeToString(sum[:])
}

// BlockHasher is an io.Writer that hashes what it is given block by block;
// a chunk starts on a block boundary, so one hasher per chunk suffices.
type BlockHasher struct {
	h       hash.Hash
	inBlock int64
	digests []byte
}

// NewBlockHasher returns an empty hasher.
func NewBlockHasher() *BlockHasher { return &BlockHasher{h: sha256.New()} }

// Write implements io.Writer.
func (b *BlockHasher) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		take := int64(len(p))
		if room := BlockSize - b.inBlock; take > room {
			take = room
		}
		b.h.Write(p[:take])
		b.inBlock += take
		p = p[take:]
		if b.inBlock == BlockSize {
			b.digests = b.h.Sum(b.digests)
			b.h.Reset()
			b.inBlock = 0
		}
	}
	return n, nil
}

// Digests ends the last (short) block and returns every block's digest.
func (b *BlockHasher) Digests() []byte {
	if b.inBlock > 0 {
		b.digests = b.h.Sum(b.digests)
		b.h.Reset()
		b.inBlock = 0
	}
	return b.digests
}

// HashBytes is the content hash of data held in memory (tests, the CLI).
func HashBytes(data []byte) string {
	b := NewBlockHasher()
	_, _ = b.Write(data)
	return ContentHash(b.Digests())
}

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
