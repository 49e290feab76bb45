package data

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"testing/iotest"
	"time"
	"unsafe"

	"clouddrive/app/storage/internal/biz"
)

func bufAddr(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }

// pattern is n bytes that differ from piece to piece and from offset to
// offset, so a piece written at the wrong place shows.
func pattern(seed byte, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*31+i>>12) ^ seed
	}
	return p
}

// Chunks written past the page cache land byte for byte where they belong:
// whole pieces, a last chunk whose length is no multiple of the alignment
// (its tail goes through the buffered handle), and bodies that arrive in
// small, odd reads.
func TestLocalStoreDirectChunks(t *testing.T) {
	t.Run("pipelined", testDirectChunks)
	// Beyond pipelinedWriters writes at once, a write receives and writes
	// in turn: the same bytes must land.
	t.Run("in turn", func(t *testing.T) {
		directWriters.Add(pipelinedWriters)
		defer directWriters.Add(-pipelinedWriters)
		testDirectChunks(t)
		testDirectShortBody(t)
	})
}

func testDirectChunks(t *testing.T) {
	s, err := NewLocalStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const chunk = 4 * directPiece
	size := int64(2*chunk + directPiece + 1234) // the last chunk: a piece and an unaligned tail
	u := &biz.Upload{ID: "direct", Size: size, ChunkSize: chunk, ExpiresAt: time.Now().Add(time.Hour)}
	if _, err := s.Begin(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	want := pattern(7, int(size))
	l := u.Layout()
	for i := l.Count() - 1; i >= 0; i-- { // out of order, as clients may send
		off, n := l.Offset(i), l.Len(i)
		var r io.Reader = bytes.NewReader(want[off : off+n])
		if i == 1 {
			r = iotest.HalfReader(iotest.OneByteReader(r)) // tiny reads: pieces still fill whole
		}
		if _, err := s.WriteChunk(context.Background(), u, i, r, n); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
	}
	got, err := os.ReadFile(s.partPath(u))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the part file differs from the chunks written")
	}
}

// A body shorter than the chunk is an error, not a chunk: the store says
// how far it got, and a failing body's error comes back as it is.
func TestLocalStoreDirectShortBody(t *testing.T) { testDirectShortBody(t) }

func testDirectShortBody(t *testing.T) {
	s, err := NewLocalStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	u := &biz.Upload{ID: "short", Size: 4 * directPiece, ChunkSize: 4 * directPiece, ExpiresAt: time.Now().Add(time.Hour)}
	if _, err := s.Begin(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	body := pattern(1, 3*directPiece-5)
	if _, err := s.WriteChunk(context.Background(), u, 0, bytes.NewReader(body), u.Size); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short body: %v, want io.ErrUnexpectedEOF", err)
	}
	boom := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(body[:directPiece+1]), iotest.ErrReader(boom))
	if _, err := s.WriteChunk(context.Background(), u, 0, r, u.Size); !errors.Is(err, boom) {
		t.Fatalf("failing body: %v, want %v", err, boom)
	}
}

// What direct I/O refuses mid-way (a file system that took the open but
// not the write) is written through the buffered handle instead.
func TestPieceWriterFallsBack(t *testing.T) {
	path := t.TempDir() + "/f"
	if err := os.WriteFile(path, make([]byte, 3*directAlign), 0o600); err != nil {
		t.Fatal(err)
	}
	// A read-only handle refuses every write: EBADF, not EINVAL, is an error.
	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	w := &pieceWriter{direct: ro, path: path}
	defer w.close()
	if err := w.write(pattern(2, directAlign), 0); err == nil {
		t.Fatal("a refused write came back as written")
	}
	// With direct I/O off, whole and partial pages go buffered.
	w.noDirect = true
	p := pattern(3, 2*directAlign+10)
	if err := w.write(p, directAlign); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[directAlign:directAlign+len(p)], p) {
		t.Fatal("the buffered fallback wrote other bytes")
	}
}

func TestAlignedBuffer(t *testing.T) {
	for range 8 {
		b := alignedBuffer(directPiece)
		if len(b) != directPiece || cap(b) != directPiece {
			t.Fatalf("len %d cap %d, want %d", len(b), cap(b), directPiece)
		}
		if addr := bufAddr(b); addr%directAlign != 0 {
			t.Fatalf("buffer at %#x is not %d-aligned", addr, directAlign)
		}
	}
}
