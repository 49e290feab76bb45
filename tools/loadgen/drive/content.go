package drive

import (
	"encoding/binary"
	"io"
	"math/rand/v2"
	"sync"

	"clouddrive/pkg/contenthash"
)

// Content is Size bytes made from Seed, never held whole: every 4 MiB block
// has a generator of its own, so any chunk (chunks start on block
// boundaries) is made without what comes before it. Distinct seeds make
// distinct content, so no upload is an instant one by accident.
type Content struct {
	Seed uint64
	Size int64

	hash *string // computed once, shared by copies
	once *sync.Once
}

// NewContent is the content of seed and size.
func NewContent(seed uint64, size int64) Content {
	return Content{Seed: seed, Size: size, hash: new(string), once: new(sync.Once)}
}

// block fills b with block index's bytes (b may be shorter than a block
// for the last one).
func (c Content) block(index int64, b []byte) {
	r := rand.New(rand.NewPCG(c.Seed, uint64(index)))
	var w [8]byte
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		copy(b[i:], w[:])
	}
}

// Bytes is [off, off+n); off is a multiple of the block size.
func (c Content) Bytes(off, n int64) []byte {
	b := make([]byte, n)
	for done := int64(0); done < n; done += contenthash.BlockSize {
		c.block((off+done)/contenthash.BlockSize, b[done:min(n, done+contenthash.BlockSize)])
	}
	return b
}

// Reader streams the whole content.
func (c Content) Reader() io.Reader { return &reader{c: c} }

type reader struct {
	c   Content
	off int64
	buf []byte
}

func (r *reader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		if r.off >= r.c.Size {
			return 0, io.EOF
		}
		n := min(int64(contenthash.BlockSize), r.c.Size-r.off)
		r.buf = r.c.Bytes(r.off, n)
		r.off += n
	}
	k := copy(p, r.buf)
	r.buf = r.buf[k:]
	return k, nil
}

// Hash is the content hash (one pass over the content, the first time).
func (c Content) Hash() string {
	if c.once == nil {
		h, _, _ := contenthash.HashReader(c.Reader())
		return h
	}
	c.once.Do(func() { *c.hash, _, _ = contenthash.HashReader(c.Reader()) })
	return *c.hash
}

// Hasher computes the content hash of what is written to it.
type Hasher struct{ b *contenthash.BlockHasher }

// NewHasher returns an empty Hasher.
func NewHasher() *Hasher { return &Hasher{b: contenthash.NewBlockHasher()} }

func (h *Hasher) Write(p []byte) (int, error) { return h.b.Write(p) }

// Sum is the content hash of everything written.
func (h *Hasher) Sum() string { return h.b.Sum() }
