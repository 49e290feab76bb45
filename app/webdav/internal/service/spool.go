package service

import (
	"io"
	"os"

	"clouddrive/pkg/contenthash"
)

// spool holds a PUT's body on local disk while it arrives, hashed as it
// goes: the upload protocol wants the content hash before the first chunk,
// and a WebDAV client sends it only with the last byte. Memory stays at one
// copy buffer whatever the size; the disk holds the file until it is
// uploaded.
type spool struct {
	f      *os.File
	hasher *contenthash.BlockHasher
	size   int64
	hash   string
}

func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, "webdav-put-*")
	if err != nil {
		return nil, err
	}
	// Unlinked at once on Unix: nothing is left behind by a crash.
	_ = os.Remove(f.Name())
	return &spool{f: f, hasher: contenthash.NewBlockHasher()}, nil
}

func (s *spool) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	_, _ = s.hasher.Write(p[:n])
	s.size += int64(n)
	return n, err
}

// ReadFrom copies r in with a fixed buffer.
func (s *spool) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, 256<<10)
	return io.CopyBuffer(struct{ io.Writer }{s}, r, buf)
}

// seal ends the writing: the content hash is known from here.
func (s *spool) seal() { s.hash = s.hasher.Sum() }

func (s *spool) ReadAt(p []byte, off int64) (int, error) { return s.f.ReadAt(p, off) }
func (s *spool) Size() int64                             { return s.size }
func (s *spool) Hash() string                            { return s.hash }
func (s *spool) Close() error                            { return s.f.Close() }
