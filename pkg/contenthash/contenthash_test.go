package contenthash

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// reference is the definition spelled out: hash each 4 MiB block, hash the
// concatenation of the digests.
func reference(data []byte) string {
	var digests []byte
	for off := 0; off < len(data); off += BlockSize {
		end := min(off+BlockSize, len(data))
		d := sha256.Sum256(data[off:end])
		digests = append(digests, d[:]...)
	}
	sum := sha256.Sum256(digests)
	return hex.EncodeToString(sum[:])
}

func TestContentHash(t *testing.T) {
	data := make([]byte, 2*BlockSize+123)
	for i := range data {
		data[i] = byte(i*7 + i>>13)
	}
	tests := []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"one byte", 1},
		{"one block less one", BlockSize - 1},
		{"one block", BlockSize},
		{"one block and one", BlockSize + 1},
		{"two blocks and some", len(data)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := reference(data[:tc.size])
			if got := HashBytes(data[:tc.size]); got != want {
				t.Errorf("HashBytes = %s, want %s", got, want)
			}
			got, n, err := HashReader(bytes.NewReader(data[:tc.size]))
			if err != nil || n != int64(tc.size) || got != want {
				t.Errorf("HashReader = %s, %d, %v; want %s, %d", got, n, err, want, tc.size)
			}
			// Written in odd pieces, the blocks come out the same.
			h := NewBlockHasher()
			for p := data[:tc.size]; len(p) > 0; {
				k := min(len(p), 1<<20+17)
				_, _ = h.Write(p[:k])
				p = p[k:]
			}
			if got := h.Sum(); got != want {
				t.Errorf("piecewise = %s, want %s", got, want)
			}
		})
	}
	// The empty content is SHA-256 of nothing (no blocks).
	if got := HashBytes(nil); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("empty = %s", got)
	}
}

func TestDigestsPerChunk(t *testing.T) {
	// Chunks that start on block boundaries hash independently.
	data := make([]byte, 3*BlockSize+5)
	for i := range data {
		data[i] = byte(i >> 9)
	}
	var all []byte
	for off := 0; off < len(data); off += 2 * BlockSize {
		h := NewBlockHasher()
		_, _ = h.Write(data[off:min(off+2*BlockSize, len(data))])
		all = append(all, h.Digests()...)
	}
	if got, want := ContentHash(all), HashBytes(data); got != want {
		t.Errorf("per chunk = %s, whole = %s", got, want)
	}
}
