package biz

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// referenceDigests is the plain definition: SHA-256 of each 4 MiB block.
func referenceDigests(data []byte) []byte {
	var out []byte
	for off := 0; off < len(data); off += BlockSize {
		d := sha256.Sum256(data[off:min(off+BlockSize, len(data))])
		out = append(out, d[:]...)
	}
	return out
}

func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	_, _ = r.Read(b)
	return b
}

func TestBlockHasherMatchesReference(t *testing.T) {
	sizes := []int{0, 1, 1000, BlockSize - 1, BlockSize, BlockSize + 1, 2 * BlockSize, 3*BlockSize + 12345}
	data := randomBytes(1, sizes[len(sizes)-1])
	pieces := map[string]func(i int) int{
		"whole":                  func(int) int { return 1 << 62 },
		"1 byte":                 func(int) int { return 1 },
		"odd pieces":             func(i int) int { return 1 + (i*7919)%65521 },
		"block-1 then 2":         func(i int) int { return []int{BlockSize - 1, 2}[i%2] },
		"larger than a block":    func(int) int { return BlockSize + 3 },
		"exactly a block":        func(int) int { return BlockSize },
		"random up to 3 blocks":  func(i int) int { return 1 + int(rand.New(rand.NewPCG(uint64(i), 9)).Uint64N(3*BlockSize)) },
		"many small then a huge": func(i int) int { return []int{13, 13, 13, 2*BlockSize + 1}[i%4] },
	}
	for _, size := range sizes {
		want := referenceDigests(data[:size])
		wantHash := sha256.Sum256(want)
		for name, piece := range pieces {
			if size > BlockSize+1 && name == "1 byte" {
				continue // slow and adds nothing over the smaller sizes
			}
			h := NewBlockHasher()
			rest := data[:size]
			for i := 0; len(rest) > 0; i++ {
				k := min(piece(i), len(rest))
				n, err := h.Write(rest[:k])
				if n != k || err != nil {
					t.Fatalf("size %d, %s: Write = %d, %v; want %d, nil", size, name, n, err, k)
				}
				rest = rest[k:]
			}
			got := h.Digests()
			if !bytes.Equal(got, want) {
				t.Errorf("size %d, %s: %d digest bytes differ from the reference (%d)", size, name, len(got), len(want))
			}
			if ContentHash(got) != hex.EncodeToString(wantHash[:]) {
				t.Errorf("size %d, %s: content hash differs", size, name)
			}
		}
		if got := HashBytes(data[:size]); got != hex.EncodeToString(wantHash[:]) {
			t.Errorf("HashBytes of %d bytes = %s, want %x", size, got, wantHash)
		}
	}
}

func TestBlockHasherDigestsIsStable(t *testing.T) {
	data := randomBytes(2, BlockSize+10)
	h := NewBlockHasher()
	_, _ = h.Write(data)
	first := append([]byte(nil), h.Digests()...)
	if again := h.Digests(); !bytes.Equal(first, again) {
		t.Errorf("a second Digests() call changed the digests: %d then %d bytes", len(first), len(again))
	}
	if len(first) != 2*sha256.Size {
		t.Errorf("%d digest bytes for two blocks", len(first))
	}
}

// Chunks are hashed separately (one hasher each) and their digests
// concatenated: the same as hashing the whole file, because every chunk
// starts on a block boundary.
func TestChunkDigestsConcatenate(t *testing.T) {
	size := 5*BlockSize + 777
	data := randomBytes(3, size)
	l := Layout{Size: int64(size), ChunkSize: 2 * BlockSize}
	var all []byte
	for i := int64(0); i < l.Count(); i++ {
		h := NewBlockHasher()
		_, _ = h.Write(data[l.Offset(i) : l.Offset(i)+l.Len(i)])
		all = append(all, h.Digests()...)
	}
	if !bytes.Equal(all, referenceDigests(data)) {
		t.Error("chunk digests concatenated differ from the whole file's")
	}
	if ContentHash(all) != HashBytes(data) {
		t.Error("content hash from chunks differs from HashBytes")
	}
}

func TestContentHashOfNothing(t *testing.T) {
	// No blocks: SHA-256 of the empty string (Dropbox's content_hash of an empty file).
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got := ContentHash(nil); got != empty {
		t.Errorf("ContentHash(nil) = %s", got)
	}
	if got := HashBytes(nil); got != empty {
		t.Errorf("HashBytes(nil) = %s", got)
	}
}

func TestLayout(t *testing.T) {
	const cs = 8 << 20
	for _, size := range []int64{0, 1, cs - 1, cs, cs + 1, 2 * cs, 10*cs + 5, 1 << 30} {
		l := Layout{Size: size, ChunkSize: cs}
		wantCount := size / cs
		if size%cs != 0 {
			wantCount++
		}
		if l.Count() != wantCount {
			t.Errorf("size %d: Count %d, want %d", size, l.Count(), wantCount)
		}
		var sum int64
		for i := int64(0); i < l.Count(); i++ {
			if l.Offset(i) != sum {
				t.Errorf("size %d: Offset(%d) = %d, want %d", size, i, l.Offset(i), sum)
			}
			n := l.Len(i)
			if n <= 0 || n > cs || (i < l.Count()-1 && n != cs) {
				t.Errorf("size %d: Len(%d) = %d", size, i, n)
			}
			sum += n
		}
		if sum != size {
			t.Errorf("size %d: chunk lengths add up to %d", size, sum)
		}
	}
}

func TestChunkSizeFor(t *testing.T) {
	const tib = int64(1) << 40
	configured := []int64{0, 1, 3 << 20, BlockSize, 5 << 20, 8 << 20, 9 << 20, 64 << 20}
	sizes := []int64{0, 1, BlockSize, 100 << 20, 1 << 30, 39 << 30, 40 << 30, 40<<30 + 1, 100 << 30, tib, 5 * tib}
	for _, c := range configured {
		floor := max(c-c%BlockSize, BlockSize)
		for _, size := range sizes {
			cs := chunkSizeFor(size, c)
			if cs%BlockSize != 0 || cs < BlockSize {
				t.Errorf("chunkSizeFor(%d, %d) = %d: not a positive multiple of 4 MiB", size, c, cs)
			}
			if n := (Layout{Size: size, ChunkSize: cs}).Count(); n > maxParts {
				t.Errorf("chunkSizeFor(%d, %d) = %d: %d parts, more than %d", size, c, cs, n, maxParts)
			}
			if cs < floor {
				t.Errorf("chunkSizeFor(%d, %d) = %d: below the configured size (rounded down to blocks) %d", size, c, cs, floor)
			}
			// Grown only as much as needed: one block less would not do.
			if cs > floor && (size+cs-BlockSize-1)/(cs-BlockSize) <= maxParts {
				t.Errorf("chunkSizeFor(%d, %d) = %d: %d would keep %d parts too", size, c, cs, cs-BlockSize, maxParts)
			}
		}
	}
	// The default: 8 MiB chunks for files up to 78.125 GiB (10000 parts).
	if cs := chunkSizeFor(10000*(8<<20), 8<<20); cs != 8<<20 {
		t.Errorf("10000 chunks of 8 MiB: chunk size %d", cs)
	}
	if cs := chunkSizeFor(10000*(8<<20)+1, 8<<20); cs != 12<<20 {
		t.Errorf("one byte more: chunk size %d, want 12 MiB", cs)
	}
}
