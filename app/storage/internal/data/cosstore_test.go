package data

// Tests of the Tencent COS backend. Tencent COS cannot be reached from the
// machines these run on, so every test talks to fakeCOS (fakecos_test.go),
// an in-memory server of the COS XML API, through the real cos-go-sdk-v5;
// the test names say so (…FakeCOS…).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/conf"
)

const cosTestChunk = 8 << 20

// cosTestBytes is n reproducible pseudo-random bytes.
func cosTestBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 'c', 'o', 's'})
	_, _ = r.Read(b)
	return b
}

func cosTestUpload(data []byte, chunk int64) *biz.Upload {
	return &biz.Upload{ID: fmt.Sprintf("up-%d-%d", len(data), time.Now().UnixNano()), OwnerID: 1,
		Size: int64(len(data)), ContentHash: biz.HashBytes(data), ChunkSize: chunk}
}

// cosPutChunks begins u and writes its chunks in parallel, started in
// reverse order; it returns the chunks as biz records them, by index.
func cosPutChunks(t *testing.T, s *COSStore, u *biz.Upload, data []byte) []*biz.Chunk {
	t.Helper()
	ctx := context.Background()
	ref, err := s.Begin(ctx, u)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	u.BackendRef = ref
	l := u.Layout()
	chunks := make([]*biz.Chunk, l.Count())
	var wg sync.WaitGroup
	errs := make(chan error, l.Count())
	for i := l.Count() - 1; i >= 0; i-- {
		wg.Add(1)
		go func(i int64) {
			defer wg.Done()
			off, n := l.Offset(i), l.Len(i)
			// Not a bytes.Reader: the store must not depend on knowing the type.
			r := io.MultiReader(bytes.NewReader(data[off : off+n]))
			etag, err := s.WriteChunk(ctx, u, i, r, n)
			if err != nil {
				errs <- fmt.Errorf("chunk %d: %w", i, err)
				return
			}
			chunks[i] = &biz.Chunk{UploadID: u.ID, OwnerID: u.OwnerID, Index: i, Size: n, ETag: etag}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return chunks
}

// cosPublished stores data as a blob through a multipart upload.
func cosPublished(t *testing.T, f *fakeCOS, s *COSStore, data []byte) *biz.Upload {
	t.Helper()
	u := cosTestUpload(data, cosTestChunk)
	chunks := cosPutChunks(t, s, u, data)
	if err := s.Publish(context.Background(), u, chunks); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if n := f.openUploads(); n != 0 {
		t.Fatalf("%d multipart uploads left open after Publish", n)
	}
	return u
}

func cosReadAll(t *testing.T, s *COSStore, hash string, size int64) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), hash, size)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	return got
}

// TestCOSStoreSuite_FakeCOS runs the backend conformance suite
// (storesuite_test.go) on the COS store against fakeCOS.
func TestCOSStoreSuite_FakeCOS(t *testing.T) {
	runStoreSuite(t, func(t *testing.T) biz.BlobStore {
		f := newFakeCOS(t)
		t.Cleanup(func() {
			if n := f.openUploads(); n != 0 && !t.Failed() {
				t.Errorf("%d multipart uploads left open", n)
			}
		})
		return f.store(t, false)
	})
}

func TestCOSStore_FakeCOS_MultipartParallelReverse(t *testing.T) {
	f := newFakeCOS(t)
	s := f.store(t, false)
	data := cosTestBytes(3*cosTestChunk+12345, 1)
	u := cosPublished(t, f, s, data)

	if obj, ok := f.object(biz.BlobKey(u.ContentHash)); !ok || !bytes.Equal(obj, data) {
		t.Fatalf("the bucket does not hold the content at its blob key (held: %v)", f.keys())
	}
	if got := cosReadAll(t, s, u.ContentHash, u.Size); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, not byte-identical to the %d written", len(got), len(data))
	}
	// Publishing again (a retry whose first answer was lost) succeeds.
	if err := s.Publish(context.Background(), u, cosPutChunksRecorded(u, data)); err != nil {
		t.Fatalf("Publish again: %v", err)
	}
}

// cosPutChunksRecorded is the chunk list of a published upload (the ETags
// no longer matter: the multipart upload is gone).
func cosPutChunksRecorded(u *biz.Upload, data []byte) []*biz.Chunk {
	l := u.Layout()
	out := make([]*biz.Chunk, l.Count())
	for i := range out {
		off, n := l.Offset(int64(i)), l.Len(int64(i))
		out[i] = &biz.Chunk{Index: int64(i), Size: n, ETag: fakeCOSETag(data[off : off+n])}
	}
	return out
}

func TestCOSStore_FakeCOS_CRCOn(t *testing.T) {
	// The production setting: the SDK checks each part's CRC64 against the
	// x-cos-hash-crc64ecma COS returns (the fake computes it too).
	f := newFakeCOS(t)
	s := f.store(t, true)
	if !s.c.Conf.EnableCRC {
		t.Fatal("CRC is off although the config asks for it")
	}
	data := cosTestBytes(cosTestChunk+4096, 2)
	u := cosPublished(t, f, s, data)
	if got := cosReadAll(t, s, u.ContentHash, u.Size); !bytes.Equal(got, data) {
		t.Fatal("read back differs")
	}
}

func TestCOSStore_FakeCOS_SeekReadRanges(t *testing.T) {
	f := newFakeCOS(t)
	s := f.store(t, false)
	data := cosTestBytes(2*cosTestChunk+999, 3)
	u := cosPublished(t, f, s, data)
	size := int64(len(data))

	rs, err := s.Open(context.Background(), u.ContentHash, u.Size)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	gets := f.gets.Load()
	// Seeks alone cost no request (http.ServeContent seeks to the end and back).
	if end, err := rs.Seek(0, io.SeekEnd); err != nil || end != size {
		t.Fatalf("Seek end = %d, %v; want %d", end, err, size)
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if n := f.gets.Load() - gets; n != 0 {
		t.Fatalf("seeking issued %d GETs, want 0", n)
	}

	read := func(off int64, whence int, n int) []byte {
		t.Helper()
		if _, err := rs.Seek(off, whence); err != nil {
			t.Fatalf("Seek(%d, %d): %v", off, whence, err)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(rs, buf); err != nil {
			t.Fatalf("ReadFull after Seek(%d, %d): %v", off, whence, err)
		}
		return buf
	}
	cases := []struct {
		name   string
		off    int64
		whence int
		n      int
		at     int64 // where the bytes start
	}{
		{"first", 0, io.SeekStart, 1000, 0},
		{"across a part boundary", cosTestChunk - 500, io.SeekStart, 1000, cosTestChunk - 500},
		{"middle", 12_345_678, io.SeekStart, 70_000, 12_345_678},
		{"from current", 100, io.SeekCurrent, 10, 12_345_678 + 70_000 + 100},
		{"suffix", -777, io.SeekEnd, 777, size - 777},
	}
	for _, c := range cases {
		before := f.gets.Load()
		if got := read(c.off, c.whence, c.n); !bytes.Equal(got, data[c.at:c.at+int64(c.n)]) {
			t.Fatalf("%s: wrong bytes", c.name)
		}
		if n := f.gets.Load() - before; n != 1 {
			t.Fatalf("%s: %d GETs, want 1", c.name, n)
		}
	}
	if r := f.rangesSeen(); r[len(r)-1] != fmt.Sprintf("bytes=%d-", size-777) {
		t.Fatalf("last GET asked Range %q", r[len(r)-1])
	}
	// At the end: EOF, no request.
	before := f.gets.Load()
	if n, err := rs.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("Read at the end = %d, %v; want 0, EOF", n, err)
	}
	// Reading on continues the open response; seeking to where we are keeps it.
	if _, err := rs.Seek(5000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	a := make([]byte, 100)
	if _, err := io.ReadFull(rs, a); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Seek(0, io.SeekCurrent); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 100)
	if _, err := io.ReadFull(rs, b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(a, b...), data[5000:5200]) {
		t.Fatal("sequential reads after a seek: wrong bytes")
	}
	if n := f.gets.Load() - before; n != 1 {
		t.Fatalf("%d GETs for one seek and sequential reads, want 1", n)
	}
	// Past the end: nothing to read.
	if _, err := rs.Seek(size+10, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("Read past the end: %v, want EOF", err)
	}
	if _, err := rs.Seek(-1, io.SeekStart); err == nil {
		t.Fatal("Seek to a negative offset succeeded")
	}
}

func TestCOSStore_FakeCOS_ServeContentRange(t *testing.T) {
	f := newFakeCOS(t)
	s := f.store(t, false)
	data := cosTestBytes(cosTestChunk+5000, 4)
	u := cosPublished(t, f, s, data)
	size := len(data)

	serve := func(rng string) *httptest.ResponseRecorder {
		t.Helper()
		rs, err := s.Open(context.Background(), u.ContentHash, u.Size)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		req := httptest.NewRequest(http.MethodGet, "/v1/download/file", nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		w := httptest.NewRecorder()
		http.ServeContent(w, req, "blob.bin", time.Unix(1700000000, 0), rs)
		return w
	}
	cases := []struct {
		rng         string
		status      int
		first, last int // bytes expected, inclusive
		gets        int64
	}{
		{"bytes=0-99", http.StatusPartialContent, 0, 99, 1},
		{"bytes=8388000-8389000", http.StatusPartialContent, 8388000, 8389000, 1},
		{"bytes=-500", http.StatusPartialContent, size - 500, size - 1, 1},
		{"bytes=100-", http.StatusPartialContent, 100, size - 1, 1},
		{"", http.StatusOK, 0, size - 1, 1},
		{fmt.Sprintf("bytes=%d-", size+1), http.StatusRequestedRangeNotSatisfiable, 0, -1, 0},
	}
	for _, c := range cases {
		before := f.gets.Load()
		w := serve(c.rng)
		if w.Code != c.status {
			t.Fatalf("Range %q: status %d, want %d", c.rng, w.Code, c.status)
		}
		if n := f.gets.Load() - before; n != c.gets {
			t.Fatalf("Range %q: %d GETs to COS, want %d", c.rng, n, c.gets)
		}
		if c.status == http.StatusRequestedRangeNotSatisfiable {
			if cr := w.Header().Get("Content-Range"); cr != fmt.Sprintf("bytes */%d", size) {
				t.Fatalf("416 Content-Range %q", cr)
			}
			continue
		}
		if !bytes.Equal(w.Body.Bytes(), data[c.first:c.last+1]) {
			t.Fatalf("Range %q: %d bytes, not the right ones", c.rng, w.Body.Len())
		}
		if c.status == http.StatusPartialContent {
			if cr, want := w.Header().Get("Content-Range"), fmt.Sprintf("bytes %d-%d/%d", c.first, c.last, size); cr != want {
				t.Fatalf("Range %q: Content-Range %q, want %q", c.rng, cr, want)
			}
		}
	}
}

func TestCOSStore_FakeCOS_MissingIsNotFound(t *testing.T) {
	f := newFakeCOS(t)
	s := f.store(t, false)
	hash := biz.HashBytes([]byte("never stored"))
	if _, err := s.Open(context.Background(), hash, 12); !errors.Is(err, biz.ErrNotFound) {
		t.Fatalf("Open of a missing blob: %v, want biz.ErrNotFound", err)
	}
	// A chunk for an upload COS does not know.
	u := cosTestUpload(cosTestBytes(100, 5), cosTestChunk)
	u.BackendRef = "no-such-upload"
	if _, err := s.WriteChunk(context.Background(), u, 0, bytes.NewReader(make([]byte, 100)), 100); !errors.Is(err, biz.ErrNotFound) {
		t.Fatalf("WriteChunk to an unknown upload: %v, want biz.ErrNotFound", err)
	}
}

func TestCOSStore_FakeCOS_DiscardAborts(t *testing.T) {
	f := newFakeCOS(t)
	s := f.store(t, false)
	ctx := context.Background()
	data := cosTestBytes(cosTestChunk+10, 6)
	u := cosTestUpload(data, cosTestChunk)
	chunks := cosPutChunks(t, s, u, data)
	if f.openUploads() != 1 {
		t.Fatalf("%d open uploads, want 1", f.openUploads())
	}
	if err := s.Discard(ctx, u); err != nil {
		t.Fatalf("Discard: %v", err)
	}
	if n := f.openUploads(); n != 0 {
		t.Fatalf("%d uploads open after Discard", n)
	}
	if keys := f.keys(); len(keys) != 0 {
		t.Fatalf("objects after Discard: %v", keys)
	}
	// Discarding again (abort retried, upload expired) is fine.
	if err := s.Discard(ctx, u); err != nil {
		t.Fatalf("Discard again: %v", err)
	}
	if err := s.Publish(ctx, u, chunks); err == nil {
		t.Fatal("Publish of a discarded upload succeeded")
	}
	if _, err := s.WriteChunk(ctx, u, 0, bytes.NewReader(data[:cosTestChunk]), cosTestChunk); !errors.Is(err, biz.ErrNotFound) {
		t.Fatalf("WriteChunk after Discard: %v, want biz.ErrNotFound", err)
	}
}

func TestCOSStore_FakeCOS_Delete(t *testing.T) {
	f := newFakeCOS(t)
	s := f.store(t, false)
	ctx := context.Background()
	data := cosTestBytes(cosTestChunk/2, 7)
	u := cosPublished(t, f, s, data)
	if err := s.Delete(ctx, u.ContentHash); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Open(ctx, u.ContentHash, u.Size); !errors.Is(err, biz.ErrNotFound) {
		t.Fatalf("Open after Delete: %v, want biz.ErrNotFound", err)
	}
	if err := s.Delete(ctx, u.ContentHash); err != nil {
		t.Fatalf("Delete of a missing blob: %v", err)
	}
}

func TestCOSStore_FakeCOS_EmptyFile(t *testing.T) {
	f := newFakeCOS(t)
	s := f.store(t, true)
	ctx := context.Background()
	u := cosTestUpload(nil, cosTestChunk)
	ref, err := s.Begin(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	u.BackendRef = ref
	if err := s.Publish(ctx, u, nil); err != nil {
		t.Fatalf("Publish of an empty file: %v", err)
	}
	if obj, ok := f.object(biz.BlobKey(u.ContentHash)); !ok || len(obj) != 0 {
		t.Fatalf("empty blob not stored (held: %v)", f.keys())
	}
	if f.openUploads() != 0 {
		t.Fatal("an empty file left a multipart upload open")
	}
	if got := cosReadAll(t, s, u.ContentHash, 0); len(got) != 0 {
		t.Fatalf("read %d bytes of an empty blob", len(got))
	}
	rs, err := s.Open(ctx, u.ContentHash, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	w := httptest.NewRecorder()
	http.ServeContent(w, httptest.NewRequest(http.MethodGet, "/", nil), "empty", time.Time{}, rs)
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("ServeContent of an empty blob: %d, %d bytes", w.Code, w.Body.Len())
	}
	if err := s.Discard(ctx, u); err != nil {
		t.Fatalf("Discard of an empty upload: %v", err)
	}
}

func TestCOSStore_FakeCOS_StaleETagRefused(t *testing.T) {
	// A part written again after biz recorded its ETag is not merged under
	// the old record: COS refuses the list, nothing is published.
	f := newFakeCOS(t)
	s := f.store(t, false)
	ctx := context.Background()
	data := cosTestBytes(2*cosTestChunk, 8)
	u := cosTestUpload(data, cosTestChunk)
	chunks := cosPutChunks(t, s, u, data)
	other := cosTestBytes(cosTestChunk, 9)
	if _, err := s.WriteChunk(ctx, u, 1, bytes.NewReader(other), cosTestChunk); err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(ctx, u, chunks); err == nil {
		t.Fatal("Publish with a stale ETag succeeded")
	}
	if _, ok := f.object(biz.BlobKey(u.ContentHash)); ok {
		t.Fatal("an object was published from a stale part")
	}
}

func TestCOSStore_FakeCOS_ShortBody(t *testing.T) {
	f := newFakeCOS(t)
	s := f.store(t, false)
	ctx := context.Background()
	data := cosTestBytes(cosTestChunk, 10)
	u := cosTestUpload(data, cosTestChunk)
	ref, err := s.Begin(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	u.BackendRef = ref
	_, err = s.WriteChunk(ctx, u, 0, bytes.NewReader(data[:1000]), cosTestChunk)
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("WriteChunk of a short body: %v, want io.ErrUnexpectedEOF", err)
	}
	f.mu.Lock()
	parts := len(f.uploads[ref].parts)
	f.mu.Unlock()
	if parts != 0 {
		t.Fatal("a short part was kept")
	}
}

func TestCOSStore_FakeCOS_StreamsParts(t *testing.T) {
	// A part's bytes reach COS while the chunk is still arriving: the store
	// does not gather a chunk in memory before sending it.
	f := newFakeCOS(t)
	s := f.store(t, false)
	ctx := context.Background()
	data := cosTestBytes(cosTestChunk, 11)
	u := cosTestUpload(data, cosTestChunk)
	ref, err := s.Begin(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	u.BackendRef = ref
	pr, pw := io.Pipe()
	fed := make(chan error, 1)
	go func() {
		half := len(data) / 2
		if _, err := pw.Write(data[:half]); err != nil {
			fed <- err
			return
		}
		// Hold back the rest until COS has received most of the first half.
		deadline := time.Now().Add(10 * time.Second)
		for f.partBytes.Load() < int64(half)/2 {
			if time.Now().After(deadline) {
				err := errors.New("COS received nothing while the chunk was half sent: the part is buffered")
				pw.CloseWithError(err)
				fed <- err
				return
			}
			time.Sleep(time.Millisecond)
		}
		_, err := pw.Write(data[half:])
		pw.Close()
		fed <- err
	}()
	etag, err := s.WriteChunk(ctx, u, 0, pr, int64(len(data)))
	if ferr := <-fed; ferr != nil {
		t.Fatal(ferr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if etag != fakeCOSETag(data) {
		t.Fatalf("ETag %s, want %s", etag, fakeCOSETag(data))
	}
}

func TestCOSStore_FakeCOS_UnsignedRefused(t *testing.T) {
	f := newFakeCOS(t)
	resp, err := http.Get(f.srv.URL + "/blobs/aa/bb/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("an unsigned request got %d, want 403", resp.StatusCode)
	}
}

func TestNewBlobStore_FakeCOS(t *testing.T) {
	f := newFakeCOS(t)
	st, err := NewBlobStore(&conf.Backend{Kind: "cos", Cos: &conf.Backend_COS{BucketUrl: f.srv.URL, SecretId: "id", SecretKey: "key"}})
	if err != nil {
		t.Fatal(err)
	}
	cs, ok := st.(*COSStore)
	if !ok {
		t.Fatalf("kind cos gave a %T", st)
	}
	if !cs.c.Conf.EnableCRC {
		t.Fatal("the configured COS store has CRC checks off")
	}
	// The signed requests reach the bucket URL.
	if _, err := st.Open(context.Background(), biz.HashBytes(nil), 0); !errors.Is(err, biz.ErrNotFound) {
		t.Fatalf("Open through the configured store: %v, want biz.ErrNotFound", err)
	}
	if _, err := NewBlobStore(&conf.Backend{Kind: "cos", Cos: &conf.Backend_COS{BucketUrl: f.srv.URL}}); err == nil {
		t.Fatal("a COS backend without credentials was accepted")
	}
}

// cosFakeFileService is an in-memory biz.FileService: nodes by owner and id.
type cosFakeFileService struct {
	mu    sync.Mutex
	next  int64
	nodes map[int64]*cosFakeNode
}

type cosFakeNode struct {
	owner int64
	node  biz.FileNode
}

func newCOSFakeFileService() *cosFakeFileService {
	return &cosFakeFileService{nodes: map[int64]*cosFakeNode{}}
}

func (fs *cosFakeFileService) CheckCreate(context.Context, biz.NewFile) error { return nil }

func (fs *cosFakeFileService) CreateFile(_ context.Context, f biz.NewFile) (*biz.FileNode, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.next++
	now := time.Now().UTC()
	n := biz.FileNode{ID: fs.next, ParentID: f.Parent, Name: f.Name, Size: f.Size, ContentHash: f.ContentHash,
		Mime: f.Mime, CreatedAt: now, UpdatedAt: now, Version: 1}
	fs.nodes[n.ID] = &cosFakeNode{owner: f.Owner, node: n}
	out := n
	return &out, nil
}

func (fs *cosFakeFileService) GetFile(_ context.Context, owner, id int64) (*biz.FileNode, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n, ok := fs.nodes[id]
	if !ok || n.owner != owner {
		return nil, fmt.Errorf("node %d of owner %d: %w", id, owner, biz.ErrNotFound)
	}
	out := n.node
	return &out, nil
}

func (fs *cosFakeFileService) Walk(ctx context.Context, owner int64, ids []int64, _ int) ([]biz.WalkEntry, bool, error) {
	var out []biz.WalkEntry
	for _, id := range ids {
		n, err := fs.GetFile(ctx, owner, id)
		if err != nil {
			return nil, false, err
		}
		out = append(out, biz.WalkEntry{Path: n.Name, Node: n})
	}
	return out, false, nil
}

func (fs *cosFakeFileService) ReferencedHashes(_ context.Context, hashes []string) ([]string, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var out []string
	for _, h := range hashes {
		for _, n := range fs.nodes {
			if n.node.ContentHash == h {
				out = append(out, h)
				break
			}
		}
	}
	return out, nil
}

var _ biz.FileService = (*cosFakeFileService)(nil)

// TestUploadUsecase_FakeCOS_FakeFileService runs the real upload and
// download use cases on real SQLite repos and the COS store on fakeCOS.
func TestUploadUsecase_FakeCOS_FakeFileService(t *testing.T) {
	ctx := context.Background()
	logger := log.NewStdLogger(io.Discard)
	d, cleanup, err := NewData(&confv1.Data{Database: &confv1.Data_Database{Driver: "sqlite",
		Source: filepath.Join(t.TempDir(), "storage.db")}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	f := newFakeCOS(t)
	store := f.store(t, false)
	files := newCOSFakeFileService()
	blobs := NewBlobRepo(d)
	policy := &biz.Policy{ChunkSize: cosTestChunk, MaxFileSize: 1 << 40, UploadTTL: time.Hour, ProveAttempts: 3,
		URLTTL: time.Minute, ZipMaxBytes: 1 << 30, ZipMaxEntries: 100, BlobGrace: time.Hour}
	uploads := biz.NewUploadUsecase(NewUploadRepo(d), NewChunkIndex(d), blobs, store, files, policy, biz.NewClock(), logger)
	downloads := biz.NewDownloadUsecase(files, blobs, store, nil, policy, biz.NewClock(), logger)

	data := cosTestBytes(40<<20+777, 12) // 6 chunks, the last one short
	hash := biz.HashBytes(data)
	start := time.Now()
	s, err := uploads.Init(ctx, biz.NewFile{Owner: 1, Parent: 0, Name: "big.bin", ContentHash: hash, Size: int64(len(data))})
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	l := s.Upload.Layout()
	if l.Count() != 6 || len(s.Held) != 0 {
		t.Fatalf("layout of %d chunks with %d held, want 6 and 0", l.Count(), len(s.Held))
	}
	var wg sync.WaitGroup
	errs := make(chan error, l.Count())
	for i := l.Count() - 1; i >= 0; i-- {
		wg.Add(1)
		go func(i int64) {
			defer wg.Done()
			off, n := l.Offset(i), l.Len(i)
			sum := sha256.Sum256(data[off : off+n])
			if err := uploads.PutChunk(ctx, 1, s.Upload.ID, i, bytes.NewReader(data[off:off+n]), sum[:]); err != nil {
				errs <- fmt.Errorf("PutChunk %d: %w", i, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	node, err := uploads.Complete(ctx, 1, s.Upload.ID)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	t.Logf("40 MiB through Init, 6 parallel chunks and Complete on fake COS: %v", time.Since(start))
	if node.ContentHash != hash || node.Size != int64(len(data)) {
		t.Fatalf("node %+v", node)
	}
	if again, err := uploads.Complete(ctx, 1, s.Upload.ID); err != nil || again.ID != node.ID {
		t.Fatalf("Complete again: %v, %v", again, err)
	}
	if n := f.openUploads(); n != 0 {
		t.Fatalf("%d multipart uploads open after Complete", n)
	}
	cosCheckDownload(t, downloads, 1, node.ID, data)

	// A second owner with the same content: instant upload by proof, no chunk sent.
	sentBefore := f.partBytes.Load()
	s2, err := uploads.Init(ctx, biz.NewFile{Owner: 2, Parent: 0, Name: "copy.bin", ContentHash: hash, Size: int64(len(data))})
	if err != nil {
		t.Fatalf("Init (second owner): %v", err)
	}
	u2 := s2.Upload
	if _, err := uploads.Prove(ctx, 2, u2.ID, hex.EncodeToString(make([]byte, 32))); err == nil {
		t.Fatal("a wrong proof was accepted")
	}
	proof, err := biz.Proof(bytes.NewReader(data), u2.Nonce, s2.Challenge)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	node2, err := uploads.Prove(ctx, 2, u2.ID, hex.EncodeToString(proof))
	if err != nil {
		t.Fatalf("Prove: %v", err)
	}
	t.Logf("instant upload by proof on fake COS: %v", time.Since(start))
	if node2.ContentHash != hash || node2.ID == node.ID {
		t.Fatalf("second node %+v", node2)
	}
	if sent := f.partBytes.Load() - sentBefore; sent != 0 {
		t.Fatalf("the instant upload sent %d part bytes", sent)
	}
	if n := f.openUploads(); n != 0 {
		t.Fatalf("%d multipart uploads open after the instant upload", n)
	}
	if keys := f.keys(); len(keys) != 1 || keys[0] != biz.BlobKey(hash) {
		t.Fatalf("bucket holds %v, want the one blob", keys)
	}
	cosCheckDownload(t, downloads, 2, node2.ID, data)
	// The other owner's node is not reachable through owner 2.
	if _, err := downloads.Open(ctx, 2, node.ID); err == nil {
		t.Fatal("owner 2 opened owner 1's node")
	}
}

func cosCheckDownload(t *testing.T, downloads *biz.DownloadUsecase, owner, id int64, want []byte) {
	t.Helper()
	o, err := downloads.Open(context.Background(), owner, id)
	if err != nil {
		t.Fatalf("download Open: %v", err)
	}
	defer o.Body.Close()
	got, err := io.ReadAll(o.Body)
	if err != nil {
		t.Fatalf("download read: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("downloaded %d bytes, not byte-identical to the %d uploaded", len(got), len(want))
	}
	sum := sha256.Sum256(got)
	t.Logf("owner %d downloaded %d bytes, sha256 %x…", owner, len(got), sum[:6])
}
