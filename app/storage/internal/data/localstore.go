package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"clouddrive/app/storage/internal/biz"
)

// LocalStore keeps blobs on local disk. An upload is one file preallocated
// to its size; each chunk is written at its offset, so completing is an
// fsync and a rename, never a merge of parts.
type LocalStore struct {
	root string
}

var _ biz.BlobStore = (*LocalStore)(nil)

// NewLocalStore keeps everything under root.
func NewLocalStore(root string) (*LocalStore, error) {
	if root == "" {
		return nil, errors.New("local store: no root folder")
	}
	for _, d := range []string{"uploads", "blobs"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			return nil, err
		}
	}
	return &LocalStore{root: root}, nil
}

// Root is the folder the store keeps everything under.
func (s *LocalStore) Root() string { return s.root }

func (s *LocalStore) partPath(u *biz.Upload) string {
	return filepath.Join(s.root, "uploads", u.ID+".part")
}

func (s *LocalStore) blobPath(hash string) string {
	return filepath.Join(s.root, filepath.FromSlash(biz.BlobKey(hash)))
}

// Begin implements biz.BlobStore.
func (s *LocalStore) Begin(_ context.Context, u *biz.Upload) (string, error) {
	f, err := os.OpenFile(s.partPath(u), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	defer f.Close()
	// Sparse on most file systems: space is taken as chunks arrive.
	if err := f.Truncate(u.Size); err != nil {
		return "", err
	}
	return filepath.Base(s.partPath(u)), nil
}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// WriteChunk implements biz.BlobStore. The chunk is synced before it is
// reported stored: a recorded chunk survives a crash of the machine too.
func (s *LocalStore) WriteChunk(_ context.Context, u *biz.Upload, index int64, r io.Reader, n int64) (string, error) {
	f, err := os.OpenFile(s.partPath(u), os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return "", biz.ErrNotFound
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	w := io.NewOffsetWriter(f, u.Layout().Offset(index))
	written, err := io.CopyBuffer(w, io.LimitReader(r, n), *buf)
	if err != nil {
		return "", err
	}
	if written != n {
		return "", fmt.Errorf("chunk %d: %w (%d of %d bytes)", index, io.ErrUnexpectedEOF, written, n)
	}
	return "", f.Sync()
}

// Publish implements biz.BlobStore. biz calls it only once no chunk write
// of the upload is running or can begin, so no handle on the part file is
// left; the blob is made read-only as it takes its name.
func (s *LocalStore) Publish(_ context.Context, u *biz.Upload, _ []*biz.Chunk) error {
	part, dst := s.partPath(u), s.blobPath(u.ContentHash)
	f, err := os.OpenFile(part, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		// Published already by a try that died before it was recorded.
		if st, serr := os.Stat(dst); serr == nil && st.Size() == u.Size {
			return nil
		}
		return fmt.Errorf("local store: publishing upload %s: %w", u.ID, biz.ErrNotFound)
	}
	if err != nil {
		return err
	}
	err = f.Sync()
	if err == nil {
		err = f.Chmod(0o400)
	}
	f.Close()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if err := os.Rename(part, dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Discard implements biz.BlobStore.
func (s *LocalStore) Discard(_ context.Context, u *biz.Upload) error {
	if err := os.Remove(s.partPath(u)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Open implements biz.BlobStore.
func (s *LocalStore) Open(_ context.Context, hash string, _ int64) (io.ReadSeekCloser, error) {
	f, err := os.Open(s.blobPath(hash))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, biz.ErrNotFound
	}
	return f, err
}

// Delete implements biz.BlobStore.
func (s *LocalStore) Delete(_ context.Context, hash string) error {
	if err := os.Remove(s.blobPath(hash)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
