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

func bufAddr(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }

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
	f, err := os.Open(s.partPath(u))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, int(u.Size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, (u.Size+int64(os.Getpagesize())-1)/int64(os.Getpagesize()))
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	cached := 0
	for _, v := range vec {
		cached += int(v & 1)
	}
	if cached > 0 {
		t.Fatalf("%d of %d pages of the part file are in the page cache after the chunk writes", cached, len(vec))
	}
	if got, err := os.ReadFile(s.partPath(u)); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back: %v, equal %v", err, bytes.Equal(got, data))
	}
}
