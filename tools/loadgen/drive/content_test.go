package drive

import (
	"bytes"
	"io"
	"testing"

	"clouddrive/pkg/contenthash"
)

// Content made chunk by chunk, streamed whole, and hashed agree with each
// other and with the server's content hash of the same bytes; distinct
// seeds make distinct content.
func TestContent(t *testing.T) {
	const size = 2*contenthash.BlockSize + 12345
	c := NewContent(42, size)
	whole, err := io.ReadAll(c.Reader())
	if err != nil || len(whole) != size {
		t.Fatalf("read %d bytes (%v), want %d", len(whole), err, size)
	}
	if got := c.Bytes(contenthash.BlockSize, size-contenthash.BlockSize); !bytes.Equal(got, whole[contenthash.BlockSize:]) {
		t.Error("a range made on its own differs from the same range streamed")
	}
	if c.Hash() != contenthash.HashBytes(whole) {
		t.Error("Hash differs from the content hash of the bytes")
	}
	h := NewHasher()
	_, _ = h.Write(whole)
	if h.Sum() != c.Hash() {
		t.Error("Hasher differs from Hash")
	}
	if NewContent(43, size).Hash() == c.Hash() {
		t.Error("two seeds made the same content")
	}
}

func TestSessionMissing(t *testing.T) {
	s := Session{ChunkCount: 4, Uploaded: []I64{0, 2}}
	if got := s.Missing(); len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Errorf("Missing = %v, want [1 3]", got)
	}
}
