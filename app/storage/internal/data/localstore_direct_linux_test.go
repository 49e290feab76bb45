package data

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"clouddrive/app/storage/internal/biz"
)

// A chunk write leaves the page cache as it found it: every page cache page
// a 1 GiB upload filled was a first touch of guest memory on this machine's
// VM, 2.5-4 s of system CPU per GiB in the writer (see localstore_direct.go).
// mincore tells which pages of the part file are cached after the writes.
func TestLocalStoreChunksBypassPageCache(t *testing.T) {
	s, err := NewLocalStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const chunk = 8 * directPiece
	u := &biz.Upload{ID: "uncached", Size: 2 * chunk, ChunkSize: chunk, ExpiresAt: time.Now().Add(time.Hour)}
	if _, err := s.Begin(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	data := pattern(9, int(u.Size))
	for i := int64(0); i < 2; i++ {
		if _, err := s.WriteChunk(context.Background(), u, i, bytes.NewReader(data[i*chunk:(i+1)*chunk]), chunk); err != nil {
			t.Fatal(err)
		}
	}
	if !s.direct.Load() {
		t.Skip("this file system refuses direct I/O: chunks go through the page cache here")
	}
	cached, pages := cachedPages(t, s.partPath(u), u.Size)
	if cached > 0 {
		t.Fatalf("%d of %d pages of the part file are in the page cache after the chunk writes", cached, pages)
	}
	if got, err := os.ReadFile(s.partPath(u)); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back: %v, equal %v", err, bytes.Equal(got, data))
	}
}

// A single-request file (no expiry: never recorded, at most a chunk) stays
// in the page cache: what reads it right after (an instant upload's proof
// of the same content, its thumbnail) would otherwise read it cold, with
// readahead filling more of the cache than the write would have.
func TestLocalStoreSmallFilesStayCached(t *testing.T) {
	s, err := NewLocalStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const size = 2 * directPiece
	u := &biz.Upload{ID: "small", Size: size, ChunkSize: size} // no expiry
	if _, err := s.Begin(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteChunk(context.Background(), u, 0, bytes.NewReader(pattern(4, size)), size); err != nil {
		t.Fatal(err)
	}
	if cached, pages := cachedPages(t, s.partPath(u), size); cached != pages {
		t.Fatalf("%d of %d pages of a single-request file are cached after its write, want all", cached, pages)
	}
}

// cachedPages counts the pages of the file's first size bytes that are in
// the page cache (mincore of a shared mapping).
func cachedPages(t *testing.T, path string, size int64) (cached, pages int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, (size+int64(os.Getpagesize())-1)/int64(os.Getpagesize()))
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	for _, v := range vec {
		cached += int(v & 1)
	}
	return cached, len(vec)
}
