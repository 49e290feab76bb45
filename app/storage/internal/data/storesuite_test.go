package data

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"clouddrive/app/storage/internal/biz"
)

// suiteChunk is the chunk size of the conformance suite: 8 MiB, the
// smallest the service uses (S3 needs 5 MiB for every part but the last).
const suiteChunk = 8 << 20

// runStoreSuite checks a biz.BlobStore against the contract every backend
// keeps. newStore gives each subtest an empty store of its own.
func runStoreSuite(t *testing.T, newStore func(t *testing.T) biz.BlobStore) {
	t.Run("ParallelChunksRoundTrip", func(t *testing.T) {
		s := newStore(t)
		data := suiteRandom(t, 3*suiteChunk+12345)
		u := suiteUpload(data)
		suiteBegin(t, s, u)
		// Every chunk at once, started last to first.
		chunks := suiteWrite(t, s, u, data, suiteReverse(suiteIndexes(u)), true)
		suitePublish(t, s, u, chunks)
		suiteCheck(t, s, u.ContentHash, data)
	})

	t.Run("HashlessUpload", func(t *testing.T) {
		// Begun without a hash (biz learns it at complete from the digests);
		// published under the hash biz sets, then found again by a retry
		// whose first answer was lost.
		s := newStore(t)
		data := suiteRandom(t, 2*suiteChunk+4321)
		u := suiteUpload(data)
		hash := u.ContentHash
		u.ContentHash, u.Hashless = "", true
		suiteBegin(t, s, u)
		chunks := suiteWrite(t, s, u, data, suiteReverse(suiteIndexes(u)), true)
		u.ContentHash = hash
		suitePublish(t, s, u, chunks)
		suiteCheck(t, s, hash, data)
		suitePublish(t, s, u, chunks)
		suiteDiscard(t, s, u)
		suiteCheck(t, s, hash, data)
	})

	t.Run("HashlessDiscard", func(t *testing.T) {
		s := newStore(t)
		data := suiteRandom(t, suiteChunk+10)
		u := suiteUpload(data)
		hash := u.ContentHash
		u.ContentHash, u.Hashless = "", true
		suiteBegin(t, s, u)
		chunks := suiteWrite(t, s, u, data, suiteIndexes(u), false)
		suiteDiscard(t, s, u)
		u.ContentHash = hash
		if err := s.Publish(context.Background(), u, chunks); err == nil {
			t.Fatal("Publish after Discard succeeded")
		}
		if rs, err := s.Open(context.Background(), hash, u.Size); !errors.Is(err, biz.ErrNotFound) {
			if rs != nil {
				rs.Close()
			}
			t.Fatalf("Open of a discarded hashless upload's hash = %v; want biz.ErrNotFound", err)
		}
	})

	t.Run("Ranges", func(t *testing.T) {
		s := newStore(t)
		data := suiteRandom(t, 2*suiteChunk+777)
		u := suiteUpload(data)
		suiteBegin(t, s, u)
		suitePublish(t, s, u, suiteWrite(t, s, u, data, suiteIndexes(u), false))
		rs := suiteOpen(t, s, u.ContentHash, u.Size)
		defer rs.Close()
		size := int64(len(data))
		for _, r := range []struct {
			name      string
			off, n    int64
			whence    int
			seekTo    int64
			wantAtPos int64
		}{
			{"start", 0, 1000, io.SeekStart, 0, 0},
			{"middle across a chunk boundary", suiteChunk - 500, 1000, io.SeekStart, suiteChunk - 500, suiteChunk - 500},
			{"inside the short last chunk", 2*suiteChunk + 100, 600, io.SeekStart, 2*suiteChunk + 100, 2*suiteChunk + 100},
			{"last byte", size - 1, 1, io.SeekStart, size - 1, size - 1},
			{"last byte from the end", size - 1, 1, io.SeekEnd, -1, size - 1},
			{"back to the start", 0, 64, io.SeekStart, 0, 0},
		} {
			pos, err := rs.Seek(r.seekTo, r.whence)
			if err != nil || pos != r.wantAtPos {
				t.Fatalf("%s: Seek(%d, %d) = %d, %v; want %d", r.name, r.seekTo, r.whence, pos, err, r.wantAtPos)
			}
			got := make([]byte, r.n)
			if _, err := io.ReadFull(rs, got); err != nil {
				t.Fatalf("%s: reading %d bytes at %d: %v", r.name, r.n, r.off, err)
			}
			if !bytes.Equal(got, data[r.off:r.off+r.n]) {
				t.Fatalf("%s: bytes at %d..%d differ", r.name, r.off, r.off+r.n)
			}
		}
		// The size is found the way http.ServeContent finds it.
		if end, err := rs.Seek(0, io.SeekEnd); err != nil || end != size {
			t.Fatalf("Seek(0, SeekEnd) = %d, %v; want %d", end, err, size)
		}
		if n, err := rs.Read(make([]byte, 10)); n != 0 || err != io.EOF {
			t.Fatalf("Read at the end = %d, %v; want 0, EOF", n, err)
		}
		// Relative seeks after a read.
		if _, err := rs.Seek(100, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(rs, make([]byte, 50)); err != nil {
			t.Fatal(err)
		}
		if pos, err := rs.Seek(suiteChunk, io.SeekCurrent); err != nil || pos != 150+suiteChunk {
			t.Fatalf("Seek(%d, SeekCurrent) = %d, %v; want %d", suiteChunk, pos, err, 150+suiteChunk)
		}
		got := make([]byte, 10)
		if _, err := io.ReadFull(rs, got); err != nil || !bytes.Equal(got, data[150+suiteChunk:160+suiteChunk]) {
			t.Fatalf("reading after a relative seek: %v", err)
		}
	})

	t.Run("OpenMissing", func(t *testing.T) {
		s := newStore(t)
		rs, err := s.Open(context.Background(), suiteRandomHash(t), 10)
		if !errors.Is(err, biz.ErrNotFound) {
			if rs != nil {
				rs.Close()
			}
			t.Fatalf("Open of a hash never stored = %v; want biz.ErrNotFound", err)
		}
	})

	t.Run("RewriteChunkBeforePublish", func(t *testing.T) {
		s := newStore(t)
		data := suiteRandom(t, 2*suiteChunk+100)
		u := suiteUpload(data)
		suiteBegin(t, s, u)
		// Chunk 1 first with other bytes, then again with the right ones: the
		// second write replaces the first, whatever the backend keeps.
		wrong := suiteRandom(t, suiteChunk)
		if _, err := s.WriteChunk(context.Background(), u, 1, bytes.NewReader(wrong), suiteChunk); err != nil {
			t.Fatalf("WriteChunk(1, other bytes): %v", err)
		}
		suitePublish(t, s, u, suiteWrite(t, s, u, data, suiteIndexes(u), false))
		suiteCheck(t, s, u.ContentHash, data)
	})

	t.Run("ShortBody", func(t *testing.T) {
		s := newStore(t)
		data := suiteRandom(t, suiteChunk+10)
		u := suiteUpload(data)
		suiteBegin(t, s, u)
		defer suiteDiscard(t, s, u)
		if _, err := s.WriteChunk(context.Background(), u, 0, bytes.NewReader(data[:suiteChunk-1]), suiteChunk); err == nil {
			t.Fatal("WriteChunk of a body one byte short of n succeeded")
		}
	})

	t.Run("Discard", func(t *testing.T) {
		s := newStore(t)
		data := suiteRandom(t, suiteChunk+10)
		u := suiteUpload(data)
		suiteBegin(t, s, u)
		chunks := suiteWrite(t, s, u, data, suiteIndexes(u), false)
		suiteDiscard(t, s, u)
		suiteDiscard(t, s, u) // twice is no error
		ctx := context.Background()
		if err := s.Publish(ctx, u, chunks); err == nil {
			t.Fatal("Publish after Discard succeeded")
		}
		if _, err := s.WriteChunk(ctx, u, 0, bytes.NewReader(data[:suiteChunk]), suiteChunk); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("WriteChunk after Discard = %v; want biz.ErrNotFound", err)
		}
		if rs, err := s.Open(ctx, u.ContentHash, u.Size); !errors.Is(err, biz.ErrNotFound) {
			if rs != nil {
				rs.Close()
			}
			t.Fatalf("Open of a discarded upload's hash = %v; want biz.ErrNotFound", err)
		}
	})

	t.Run("DiscardNeverTouchesThePublishedBlob", func(t *testing.T) {
		// A second upload of stored content is discarded (biz publish,
		// Prove); an upload already published may be discarded again.
		s := newStore(t)
		data := suiteRandom(t, suiteChunk+10)
		first, second := suiteUpload(data), suiteUpload(data)
		suiteBegin(t, s, first)
		suiteBegin(t, s, second)
		if _, err := s.WriteChunk(context.Background(), second, 0, bytes.NewReader(data[:suiteChunk]), suiteChunk); err != nil {
			t.Fatal(err)
		}
		suitePublish(t, s, first, suiteWrite(t, s, first, data, suiteIndexes(first), false))
		suiteDiscard(t, s, second)
		suiteDiscard(t, s, first)
		suiteCheck(t, s, first.ContentHash, data)
	})

	t.Run("TwinUploadsPublishTheSameContent", func(t *testing.T) {
		s := newStore(t)
		data := suiteRandom(t, 2*suiteChunk+5)
		a, b := suiteUpload(data), suiteUpload(data)
		suiteBegin(t, s, a)
		suiteBegin(t, s, b)
		ca := suiteWrite(t, s, a, data, suiteIndexes(a), true)
		cb := suiteWrite(t, s, b, data, suiteReverse(suiteIndexes(b)), true)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, up := range []struct {
			u  *biz.Upload
			cs []*biz.Chunk
		}{{a, ca}, {b, cb}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.Publish(context.Background(), up.u, up.cs)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("Publish of twin uploads: %v", err)
		}
		suiteCheck(t, s, a.ContentHash, data)
	})

	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		data := suiteRandom(t, 1000)
		u := suiteUpload(data)
		suiteBegin(t, s, u)
		suitePublish(t, s, u, suiteWrite(t, s, u, data, suiteIndexes(u), false))
		suiteCheck(t, s, u.ContentHash, data)
		ctx := context.Background()
		if err := s.Delete(ctx, u.ContentHash); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if rs, err := s.Open(ctx, u.ContentHash, u.Size); !errors.Is(err, biz.ErrNotFound) {
			if rs != nil {
				rs.Close()
			}
			t.Fatalf("Open after Delete = %v; want biz.ErrNotFound", err)
		}
		if err := s.Delete(ctx, u.ContentHash); err != nil {
			t.Fatalf("Delete of a deleted blob: %v", err)
		}
	})

	t.Run("EmptyFile", func(t *testing.T) {
		s := newStore(t)
		u := suiteUpload(nil)
		if n := u.Layout().Count(); n != 0 {
			t.Fatalf("an empty file has %d chunks", n)
		}
		suiteBegin(t, s, u)
		suitePublish(t, s, u, nil)
		suiteCheck(t, s, u.ContentHash, nil)
		rs := suiteOpen(t, s, u.ContentHash, 0)
		defer rs.Close()
		if end, err := rs.Seek(0, io.SeekEnd); err != nil || end != 0 {
			t.Fatalf("Seek(0, SeekEnd) of an empty blob = %d, %v", end, err)
		}
	})

	t.Run("SingleShortChunk", func(t *testing.T) {
		s := newStore(t)
		data := suiteRandom(t, 1)
		u := suiteUpload(data)
		suiteBegin(t, s, u)
		suitePublish(t, s, u, suiteWrite(t, s, u, data, suiteIndexes(u), false))
		suiteCheck(t, s, u.ContentHash, data)
	})
}

func suiteUpload(data []byte) *biz.Upload {
	var id [12]byte
	_, _ = rand.Read(id[:])
	return &biz.Upload{ID: hex.EncodeToString(id[:]), OwnerID: 1, Size: int64(len(data)),
		ContentHash: biz.HashBytes(data), ChunkSize: suiteChunk, State: biz.UploadOpen}
}

func suiteRandom(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func suiteRandomHash(t testing.TB) string { return hex.EncodeToString(suiteRandom(t, 32)) }

func suiteIndexes(u *biz.Upload) []int64 {
	out := make([]int64, u.Layout().Count())
	for i := range out {
		out[i] = int64(i)
	}
	return out
}

func suiteReverse(xs []int64) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return out
}

func suiteBegin(t testing.TB, s biz.BlobStore, u *biz.Upload) {
	t.Helper()
	ref, err := s.Begin(context.Background(), u)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	u.BackendRef = ref
}

// writeChunks writes the chunks in the order given, all at once when
// parallel, and returns them as biz records them (by index).
func suiteWrite(t testing.TB, s biz.BlobStore, u *biz.Upload, data []byte, order []int64, parallel bool) []*biz.Chunk {
	t.Helper()
	l := u.Layout()
	chunks := make([]*biz.Chunk, l.Count())
	errs := make([]error, l.Count())
	var wg sync.WaitGroup
	for _, i := range order {
		write := func() {
			off, n := l.Offset(i), l.Len(i)
			// Only an io.Reader: a backend must not rely on seeking the body.
			etag, err := s.WriteChunk(context.Background(), u, i, struct{ io.Reader }{bytes.NewReader(data[off : off+n])}, n)
			chunks[i] = &biz.Chunk{UploadID: u.ID, OwnerID: u.OwnerID, Index: i, Size: n, ETag: etag}
			if err != nil {
				errs[i] = fmt.Errorf("chunk %d: %w", i, err)
			}
		}
		if !parallel {
			write()
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); write() }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("WriteChunk: %v", err)
	}
	return chunks
}

func suitePublish(t testing.TB, s biz.BlobStore, u *biz.Upload, chunks []*biz.Chunk) {
	t.Helper()
	if err := s.Publish(context.Background(), u, chunks); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

func suiteDiscard(t testing.TB, s biz.BlobStore, u *biz.Upload) {
	t.Helper()
	if err := s.Discard(context.Background(), u); err != nil {
		t.Fatalf("Discard: %v", err)
	}
}

func suiteOpen(t testing.TB, s biz.BlobStore, hash string, size int64) io.ReadSeekCloser {
	t.Helper()
	rs, err := s.Open(context.Background(), hash, size)
	if err != nil {
		t.Fatalf("Open(%s): %v", hash, err)
	}
	return rs
}

// checkBlob reads the whole blob and compares it with data.
func suiteCheck(t testing.TB, s biz.BlobStore, hash string, data []byte) {
	t.Helper()
	rs := suiteOpen(t, s, hash, int64(len(data)))
	defer rs.Close()
	got, err := io.ReadAll(rs)
	if err != nil {
		t.Fatalf("reading blob %s: %v", hash, err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("blob %s: read %d bytes, not the %d written (or other bytes)", hash, len(got), len(data))
	}
	if h := biz.HashBytes(got); h != hash {
		t.Fatalf("blob %s reads back with content hash %s", hash, h)
	}
}

func TestLocalStoreSuite(t *testing.T) {
	runStoreSuite(t, func(t *testing.T) biz.BlobStore {
		s, err := NewLocalStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
