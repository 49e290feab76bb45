package standalone_test

import (
	"crypto/sha256"
	binenc "encoding/binary"
	"encoding/hex"
	"sync/atomic"
)

// Content for the benchmarks: a counter-based PRNG (splitmix64 of the 8-byte
// word's index), so any range is generated on its own: no GiB is ever held
// in memory and every worker fills its own chunk.

type benchContent struct {
	seed uint64
	size int64
	hash string // the content hash, from a first streaming pass ("" until hashed)
}

// newBenchContent is content whose hash is known (computed now, untimed).
func newBenchContent(seed uint64, size int64) *benchContent {
	c := &benchContent{seed: seed, size: size}
	c.hash = c.contentHash()
	return c
}

func benchWord(seed, w uint64) uint64 {
	z := seed + (w+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// fill writes the bytes [off, off+len(p)) of the content into p.
func (c *benchContent) fill(p []byte, off int64) {
	w := uint64(off / 8)
	var tmp [8]byte
	if skip := int(off % 8); skip != 0 {
		binenc.LittleEndian.PutUint64(tmp[:], benchWord(c.seed, w))
		p = p[copy(p, tmp[skip:]):]
		w++
	}
	for len(p) >= 8 {
		binenc.LittleEndian.PutUint64(p, benchWord(c.seed, w))
		p = p[8:]
		w++
	}
	if len(p) > 0 {
		binenc.LittleEndian.PutUint64(tmp[:], benchWord(c.seed, w))
		copy(p, tmp[:])
	}
}

// contentHash is SHA-256 over the SHA-256 digests of each 4 MiB block, hex:
// what a client reading the file from its disk computes.
func (c *benchContent) contentHash() string {
	buf := make([]byte, min(int64(benchBlock), max(c.size, 1)))
	var digests []byte
	for off := int64(0); off < c.size; off += benchBlock {
		b := buf[:min(int64(benchBlock), c.size-off)]
		c.fill(b, off)
		d := sha256.Sum256(b)
		digests = append(digests, d[:]...)
	}
	sum := sha256.Sum256(digests)
	return hex.EncodeToString(sum[:])
}

// bytes returns the whole content (for the small ones only).
func (c *benchContent) bytes() []byte {
	b := make([]byte, c.size)
	c.fill(b, 0)
	return b
}

var benchSeeds atomic.Uint64 // fresh content and names for every round

func benchNextSeed() uint64 { return benchSeeds.Add(1) * 0x2545f4914f6cdd1d }
