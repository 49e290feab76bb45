package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"clouddrive/app/storage/internal/biz"
	"clouddrive/pkg/durable"
)

// LocalStore keeps blobs on local disk. An upload is one file preallocated
// to its size; each chunk is written at its offset, so completing is an
// fsync and a rename, never a merge of parts.
//
// A chunk is acknowledged once written, not once on disk: the one fsync is
// at Publish. What a crash of the machine can lose is the page cache, so a
// chunk records the boot it was written in (its ETag), and Publish re-hashes
// the chunks of earlier boots before trusting them: a chunk the crash lost
// is reported missing and sent again, never published as other bytes.
type LocalStore struct {
	root string
	// boot names this boot of the machine (the kernel's boot id).
	boot string
	// dirs are the blob fan-out folders known durable.
	dirs durableDirs
	// direct: chunks are written past the page cache, until the file
	// system refuses direct I/O once.
	direct atomic.Bool
}

var _ biz.BlobStore = (*LocalStore)(nil)

// NewLocalStore keeps everything under root.
func NewLocalStore(root string) (*LocalStore, error) {
	if root == "" {
		return nil, errors.New("local store: no root folder")
	}
	for _, d := range []string{"uploads", "blobs"} {
		if err := durable.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			return nil, err
		}
	}
	s := &LocalStore{root: root, boot: bootID()}
	s.direct.Store(true)
	return s, nil
}

// simulatedBootEnv names a reboot that a power-loss test simulates without
// rebooting the kernel (app/standalone's power-cut test gives each "boot"
// of the binary its own value). It is added to the kernel's boot id, never
// put in its place: whatever it is set to, a real reboot still changes the
// id, so it can make the store re-check more chunks, never fewer.
const simulatedBootEnv = "CLOUDDRIVE_SIMULATED_BOOT"

// bootID is the kernel's id of this boot; a random one (as if every start
// followed a crash) where there is none.
func bootID() string {
	id := "process-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil && len(bytes.TrimSpace(b)) > 0 {
		id = string(bytes.TrimSpace(b))
	}
	if sim := os.Getenv(simulatedBootEnv); sim != "" {
		id += "+" + sim
	}
	return id
}

// SetBootForTest makes the store believe the machine rebooted (tests of
// what a crash loses).
func (s *LocalStore) SetBootForTest(boot string) { s.boot = boot }

// bootTag is the ETag of a chunk written in this boot and not yet synced.
func (s *LocalStore) bootTag() string { return "boot:" + s.boot }

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
	// A recorded upload resumes after a power cut, so its part file must
	// still have its name then: without it every chunk write would find the
	// upload gone while its record says open. The chunks' bytes need no
	// sync here (see LocalStore). An upload with no expiry is the single-
	// request path's, never recorded: nothing to resume, no fsync to pay.
	if !u.ExpiresAt.IsZero() {
		if err := syncDir(filepath.Dir(s.partPath(u))); err != nil {
			return "", err
		}
	}
	return filepath.Base(s.partPath(u)), nil
}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// WriteChunk implements biz.BlobStore. The chunk is not synced here (see
// LocalStore): its ETag says which boot wrote it.
func (s *LocalStore) WriteChunk(_ context.Context, u *biz.Upload, index int64, r io.Reader, n int64) (string, error) {
	f, err := os.OpenFile(s.partPath(u), os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return "", biz.ErrNotFound
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	off := u.Layout().Offset(index)
	var written int64
	// Past the page cache (see localstore_direct.go), but for the single-
	// request path's files (no expiry, at most a chunk): what is read right
	// after them (an instant upload's proof, a thumbnail) finds them cached,
	// where a cold read of a few ranges would fill more of the page cache
	// with readahead than writing them did. f stays open only for the
	// fallback's sake when the file system refuses.
	if n >= directPiece && off%directAlign == 0 && !u.ExpiresAt.IsZero() && s.direct.Load() {
		df, derr := openDirect(s.partPath(u))
		switch {
		case derr == nil:
			written, err = writeDirect(df, s.partPath(u), off, r, n)
			if cerr := df.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return "", err
			}
		case errors.Is(derr, errDirectUnsupported):
			s.direct.Store(false) // one try per process
		case errors.Is(derr, fs.ErrNotExist):
			return "", biz.ErrNotFound
		default:
			return "", derr
		}
	}
	if written == 0 {
		buf := copyBuffers.Get().(*[]byte)
		defer copyBuffers.Put(buf)
		w := io.NewOffsetWriter(f, off)
		if written, err = io.CopyBuffer(w, io.LimitReader(r, n), *buf); err != nil {
			return "", err
		}
	}
	if written != n {
		return "", fmt.Errorf("chunk %d: %w (%d of %d bytes)", index, io.ErrUnexpectedEOF, written, n)
	}
	return s.bootTag(), nil
}

// Publish implements biz.BlobStore. biz calls it only once no chunk write
// of the upload is running or can begin, so no handle on the part file is
// left; the blob is made read-only as it takes its name.
func (s *LocalStore) Publish(_ context.Context, u *biz.Upload, chunks []*biz.Chunk) error {
	part, dst := s.partPath(u), s.blobPath(u.ContentHash)
	f, err := os.OpenFile(part, os.O_RDWR, 0)
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
	if err := s.checkEarlierBoots(f, u, chunks); err != nil {
		f.Close()
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
	if err := s.dirs.makeDurable(filepath.Join(s.root, "blobs"), filepath.Dir(dst)); err != nil {
		return err
	}
	if err := os.Rename(part, dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// checkEarlierBoots re-hashes the chunks written before the machine's last
// boot and never synced: a crash may have lost them.
func (s *LocalStore) checkEarlierBoots(f *os.File, u *biz.Upload, chunks []*biz.Chunk) error {
	var lost []int64
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	for _, c := range chunks {
		// "" is a chunk synced as it was written (before unsynced writes).
		if c.ETag == "" || c.ETag == s.bootTag() {
			continue
		}
		h := biz.NewBlockHasher()
		l := u.Layout()
		if _, err := io.CopyBuffer(h, io.NewSectionReader(f, l.Offset(c.Index), c.Size), *buf); err != nil {
			return err
		}
		if !bytes.Equal(h.Digests(), c.Digests) {
			lost = append(lost, c.Index)
		}
	}
	if len(lost) > 0 {
		return &biz.LostChunksError{Indexes: lost}
	}
	return nil
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
