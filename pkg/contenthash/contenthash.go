// Package contenthash computes the drive's content identity: SHA-256 over the
// concatenated SHA-256 digests of each 4 MiB block, in lowercase hex
// (Dropbox's content_hash scheme). The storage service checks uploads with
// it and clients (the CLI, tests) compute it before an upload.
package contenthash

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
)

// BlockSize is the unit of the content hash. A chunk or a download range
// that starts on a multiple of it can be hashed on its own.
const BlockSize = 4 << 20

// ContentHash is the hex content hash of the block digests, in order.
func ContentHash(digests []byte) string {
	sum := sha256.Sum256(digests)
	return hex.EncodeToString(sum[:])
}

// BlockHasher is an io.Writer that hashes what it is given block by block.
// One hasher per chunk suffices when the chunk starts on a block boundary.
type BlockHasher struct {
	h       hash.Hash
	inBlock int64
	digests []byte
}

// NewBlockHasher returns an empty hasher.
func NewBlockHasher() *BlockHasher { return &BlockHasher{h: sha256.New()} }

// Write implements io.Writer; it never fails.
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

// Digests ends the last (short) block and returns every block's digest,
// 32 bytes each.
func (b *BlockHasher) Digests() []byte {
	if b.inBlock > 0 {
		b.digests = b.h.Sum(b.digests)
		b.h.Reset()
		b.inBlock = 0
	}
	return b.digests
}

// Sum is the content hash of everything written so far.
func (b *BlockHasher) Sum() string { return ContentHash(b.Digests()) }

// HashBytes is the content hash of data held in memory.
func HashBytes(data []byte) string {
	b := NewBlockHasher()
	_, _ = b.Write(data)
	return b.Sum()
}

// HashReader streams r through the hasher (memory: one copy buffer) and
// returns the content hash and the number of bytes read.
func HashReader(r io.Reader) (string, int64, error) {
	b := NewBlockHasher()
	n, err := io.CopyBuffer(b, r, make([]byte, 256<<10))
	if err != nil {
		return "", n, err
	}
	return b.Sum(), n, nil
}
