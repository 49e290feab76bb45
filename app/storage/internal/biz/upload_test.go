package biz

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"go.uber.org/mock/gomock"
)

// upFixture is an UploadUsecase on mocks, with a clock the test sets.
type upFixture struct {
	t       *testing.T
	ctx     context.Context
	uploads *MockUploadRepo
	index   *MockChunkIndex
	blobs   *MockBlobRepo
	store   *MockBlobStore
	files   *MockFileService
	policy  *Policy
	now     time.Time
	uc      *UploadUsecase
	// release is the expected Release of a completion or proof under way;
	// one that makes its node expects none (Finish ends the lease).
	release *gomock.Call
}

func newUpFixture(t *testing.T) *upFixture {
	ctrl := gomock.NewController(t)
	f := &upFixture{t: t, ctx: context.Background(), uploads: NewMockUploadRepo(ctrl), index: NewMockChunkIndex(ctrl),
		blobs: NewMockBlobRepo(ctrl), store: NewMockBlobStore(ctrl), files: NewMockFileService(ctrl),
		policy: &Policy{ChunkSize: 2 * BlockSize, MaxFileSize: 1 << 40, UploadTTL: time.Hour, ProveAttempts: 3,
			URLTTL: time.Minute, BlobGrace: time.Hour, ProofKey: []byte("test proof key")},
		now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	f.uc = NewUploadUsecase(f.uploads, f.index, f.blobs, f.store, f.files, f.policy, func() time.Time { return f.now },
		log.NewStdLogger(io.Discard))
	f.uc.wait = 10 * time.Second // only the give-up tests wait it out: they shorten it
	return f
}

// noView makes the chunk index absent (one machine): the repo answers.
func (f *upFixture) noView() {
	f.index.EXPECT().Held(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil, false, nil).AnyTimes()
	f.index.EXPECT().Start(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	f.index.EXPECT().Set(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	f.index.EXPECT().Drop(gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
}

// open is an open upload of data (chunks of 2 blocks) by owner 1.
func (f *upFixture) open(data []byte) *Upload {
	u := &Upload{ID: "u1", OwnerID: 1, ParentID: 5, Name: "f.bin", Size: int64(len(data)), ContentHash: HashBytes(data),
		ChunkSize: 2 * BlockSize, State: UploadOpen, Nonce: []byte("0123456789abcdef"), CreatedAt: f.now,
		ExpiresAt: f.now.Add(time.Hour), ChallengePeriod: 7}
	return u
}

// has makes the repo return u for its id.
func (f *upFixture) has(u *Upload) {
	f.uploads.EXPECT().Get(gomock.Any(), u.OwnerID, u.ID).Return(u, nil).AnyTimes()
}

// chunksOf are the records of every chunk of data, as PutChunk saves them.
func chunksOf(u *Upload, data []byte) []*Chunk {
	l := u.Layout()
	var out []*Chunk
	for i := int64(0); i < l.Count(); i++ {
		out = append(out, &Chunk{UploadID: u.ID, OwnerID: u.OwnerID, Index: i, Size: l.Len(i),
			Digests: referenceDigests(data[l.Offset(i) : l.Offset(i)+l.Len(i)])})
	}
	return out
}

func wantReason(t *testing.T, err error, code int, reason string) *kerrors.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want %d %s, got success", code, reason)
	}
	e := kerrors.FromError(err)
	if int(e.Code) != code || e.Reason != reason {
		t.Fatalf("want %d %s, got %d %s (%v)", code, reason, e.Code, e.Reason, err)
	}
	return e
}

func TestInitEmptyFile(t *testing.T) {
	f := newUpFixture(t)
	f.noView()
	nf := NewFile{Owner: 1, Parent: 5, Name: "empty.txt", ContentHash: HashBytes(nil), Size: 0}
	f.uploads.EXPECT().FindResumable(gomock.Any(), int64(1), int64(5), "empty.txt", nf.ContentHash, int64(0), f.now).Return(nil, ErrNotFound)
	f.files.EXPECT().CheckCreate(gomock.Any(), nf).Return(nil)
	f.store.EXPECT().Begin(gomock.Any(), gomock.Any()).Return("part-ref", nil)
	var created *Upload
	f.uploads.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, u *Upload) error {
		created = u
		return nil
	})
	s, err := f.uc.Init(f.ctx, nf)
	if err != nil {
		t.Fatal(err)
	}
	u := s.Upload
	if u != created || u.BackendRef != "part-ref" || u.State != UploadOpen || !u.ExpiresAt.Equal(f.now.Add(time.Hour)) {
		t.Errorf("upload %+v", u)
	}
	if u.Layout().Count() != 0 || fmt.Sprint(s.Challenge) != "[{0 0}]" || len(u.Nonce) != 16 {
		t.Errorf("empty file: %d chunks, challenge %v, nonce %d bytes", u.Layout().Count(), s.Challenge, len(u.Nonce))
	}
	if s.Held == nil || len(s.Held) != 0 {
		t.Errorf("held = %#v, want an empty list", s.Held)
	}

	// No chunk can be sent, and complete needs none.
	f.has(u)
	wantReason(t, f.uc.PutChunk(f.ctx, 1, u.ID, 0, bytes.NewReader(nil), nil), 400, "BAD_CHUNK")

	f.uploads.EXPECT().Lease(gomock.Any(), int64(1), u.ID, f.now, leaseEnd(f.now)).Return(true, nil)
	// No Release: Finish ends the lease with the upload.
	f.uploads.EXPECT().Writing(gomock.Any(), int64(1), u.ID, gomock.Any()).Return(0, nil)
	f.uploads.EXPECT().Chunks(gomock.Any(), int64(1), u.ID).Return(nil, nil)
	f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(nil, ErrNotFound)
	f.store.EXPECT().Publish(gomock.Any(), u, gomock.Len(0)).Return(nil)
	f.blobs.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, b *Blob) error {
		if b.Hash != u.ContentHash || b.Size != 0 {
			t.Errorf("blob %+v", b)
		}
		return nil
	})
	node := &FileNode{ID: 42, Name: "empty.txt", ContentHash: u.ContentHash}
	f.files.EXPECT().CreateFile(gomock.Any(), NewFile{Owner: 1, Parent: 5, Name: "empty.txt", ContentHash: u.ContentHash}).Return(node, nil)
	f.uploads.EXPECT().Finish(gomock.Any(), int64(1), u.ID, UploadCompleted, int64(42)).Return(nil)
	// Finish forgets the chunks too: no DeleteChunks.
	n, err := f.uc.Complete(f.ctx, 1, u.ID)
	if err != nil || n != node {
		t.Fatalf("complete: %v, %v", n, err)
	}
}

func TestInitTooLarge(t *testing.T) {
	f := newUpFixture(t)
	_, err := f.uc.Init(f.ctx, NewFile{Owner: 1, Name: "x", Size: f.policy.MaxFileSize + 1, ContentHash: HashBytes(nil)})
	wantReason(t, err, 413, "FILE_TOO_LARGE")
}

func TestInitResumeReturnsHeldChunks(t *testing.T) {
	data := randomBytes(7, 5*BlockSize+10)
	t.Run("from the repo", func(t *testing.T) {
		f := newUpFixture(t)
		f.noView()
		u := f.open(data)
		f.uploads.EXPECT().FindResumable(gomock.Any(), int64(1), int64(5), u.Name, u.ContentHash, u.Size, f.now).Return(u, nil)
		f.uploads.EXPECT().Chunks(gomock.Any(), int64(1), u.ID).Return([]*Chunk{{Index: 0}, {Index: 2}}, nil)
		// No CheckCreate, Begin or Create: the mocks would fail on them.
		s, err := f.uc.Init(f.ctx, NewFile{Owner: 1, Parent: 5, Name: u.Name, ContentHash: u.ContentHash, Size: u.Size})
		if err != nil {
			t.Fatal(err)
		}
		if s.Upload != u || fmt.Sprint(s.Held) != "[0 2]" {
			t.Errorf("resumed %s holding %v, want %s holding [0 2]", s.Upload.ID, s.Held, u.ID)
		}
	})
	t.Run("from the view", func(t *testing.T) {
		f := newUpFixture(t)
		u := f.open(data)
		f.uploads.EXPECT().FindResumable(gomock.Any(), int64(1), int64(5), u.Name, u.ContentHash, u.Size, f.now).Return(u, nil)
		f.index.EXPECT().Held(gomock.Any(), u.ID, int64(3)).Return([]int64{1}, true, nil)
		s, err := f.uc.Init(f.ctx, NewFile{Owner: 1, Parent: 5, Name: u.Name, ContentHash: u.ContentHash, Size: u.Size})
		if err != nil || fmt.Sprint(s.Held) != "[1]" {
			t.Errorf("held %v, %v; want [1]", s.Held, err)
		}
	})
	t.Run("the view failing falls back to the repo", func(t *testing.T) {
		f := newUpFixture(t)
		u := f.open(data)
		f.uploads.EXPECT().FindResumable(gomock.Any(), int64(1), int64(5), u.Name, u.ContentHash, u.Size, f.now).Return(u, nil)
		f.index.EXPECT().Held(gomock.Any(), u.ID, int64(3)).Return(nil, false, errors.New("redis down"))
		f.uploads.EXPECT().Chunks(gomock.Any(), int64(1), u.ID).Return([]*Chunk{{Index: 1}, {Index: 2}}, nil)
		s, err := f.uc.Init(f.ctx, NewFile{Owner: 1, Parent: 5, Name: u.Name, ContentHash: u.ContentHash, Size: u.Size})
		if err != nil || fmt.Sprint(s.Held) != "[1 2]" {
			t.Errorf("held %v, %v; want [1 2]", s.Held, err)
		}
	})
}

func TestChallengeCoversTheWholeFile(t *testing.T) {
	p := &Policy{ProofKey: []byte("k")}
	const k, n = challengeRanges, challengeRangeLen
	for _, size := range []int64{0, 1, k*n - 1, k * n, k*n + 1, 10 << 20, 1 << 40} {
		nonce := p.challengeNonce(1, "h", size, 3)
		rs := p.ChallengeRanges(nonce, size)
		if size <= k*n {
			if fmt.Sprint(rs) != fmt.Sprintf("[{0 %d}]", size) {
				t.Errorf("size %d: %v, want the whole file", size, rs)
			}
			continue
		}
		if len(rs) != k {
			t.Fatalf("size %d: %d ranges", size, len(rs))
		}
		// One range in each k-th of the file: a part less than the whole
		// misses some range.
		for i, r := range rs {
			lo, hi := int64(i)*size/k, int64(i+1)*size/k
			if r.Length != n || r.Offset < lo || r.Offset+r.Length > hi {
				t.Errorf("size %d: range %d = %+v outside [%d, %d)", size, i, r, lo, hi)
			}
		}
	}
}

func TestChallengeCannotBeRerolled(t *testing.T) {
	p := &Policy{ProofKey: []byte("k"), ProofPeriod: time.Hour}
	now := time.Date(2026, 1, 1, 10, 5, 0, 0, time.UTC)
	const size = 100 << 20
	first := p.ChallengeRanges(p.challengeNonce(1, "h", size, p.challengePeriod(now)), size)
	// Asking again in the same period gives the same ranges...
	later := p.ChallengeRanges(p.challengeNonce(1, "h", size, p.challengePeriod(now.Add(50*time.Minute))), size)
	if fmt.Sprint(first) != fmt.Sprint(later) {
		t.Error("a second init in the same period drew other ranges")
	}
	// ...and another user, content, key or period gets others.
	for name, nonce := range map[string][]byte{
		"user":    p.challengeNonce(2, "h", size, p.challengePeriod(now)),
		"content": p.challengeNonce(1, "g", size, p.challengePeriod(now)),
		"period":  p.challengeNonce(1, "h", size, p.challengePeriod(now.Add(time.Hour))),
		"key":     (&Policy{ProofKey: []byte("other")}).challengeNonce(1, "h", size, p.challengePeriod(now)),
	} {
		if fmt.Sprint(p.ChallengeRanges(nonce, size)) == fmt.Sprint(first) {
			t.Errorf("another %s got the same challenge", name)
		}
	}
}

func TestPutChunk(t *testing.T) {
	data := randomBytes(8, 5*BlockSize+10) // chunks of 8 MiB: 8, 8, 4 MiB + 10
	l := Layout{Size: int64(len(data)), ChunkSize: 2 * BlockSize}
	chunk := func(i int64) []byte { return data[l.Offset(i) : l.Offset(i)+l.Len(i)] }
	sum := func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
	// writeLike is WriteChunk as the local store does it: exactly n bytes.
	writeLike := func(_ context.Context, _ *Upload, _ int64, r io.Reader, n int64) (string, error) {
		got, err := io.Copy(io.Discard, io.LimitReader(r, n))
		if err != nil {
			return "", err
		}
		if got != n {
			return "", io.ErrUnexpectedEOF
		}
		return "etag", nil
	}

	t.Run("stored with its block digests", func(t *testing.T) {
		f := newUpFixture(t)
		u := f.open(data)
		f.has(u)
		gomock.InOrder(
			f.index.EXPECT().Set(gomock.Any(), u.ID, int64(2), false).Return(nil),
			f.uploads.EXPECT().BeginChunk(gomock.Any(), int64(1), u.ID, int64(2), gomock.Any(), f.now, f.now.Add(-staleWrite)).Return(nil),
			f.store.EXPECT().WriteChunk(gomock.Any(), u, int64(2), gomock.Any(), l.Len(2)).DoAndReturn(writeLike),
			f.uploads.EXPECT().EndChunk(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, c *Chunk, _ string) error {
				if c.Index != 2 || c.Size != l.Len(2) || c.ETag != "etag" || c.OwnerID != 1 || !bytes.Equal(c.Digests, referenceDigests(chunk(2))) {
					t.Errorf("saved chunk %d size %d etag %q, digests match: %v", c.Index, c.Size, c.ETag, bytes.Equal(c.Digests, referenceDigests(chunk(2))))
				}
				return nil
			}),
			f.index.EXPECT().Set(gomock.Any(), u.ID, int64(2), true).Return(nil),
		)
		if err := f.uc.PutChunk(f.ctx, 1, u.ID, 2, bytes.NewReader(chunk(2)), sum(chunk(2))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("digest mismatch is not kept", func(t *testing.T) {
		f := newUpFixture(t)
		f.noView()
		u := f.open(data)
		f.has(u)
		f.uploads.EXPECT().BeginChunk(gomock.Any(), int64(1), u.ID, int64(0), gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
		f.store.EXPECT().WriteChunk(gomock.Any(), u, int64(0), gomock.Any(), l.Len(0)).DoAndReturn(writeLike)
		// Not recorded as held: the write is forgotten.
		f.uploads.EXPECT().AbortChunk(gomock.Any(), int64(1), u.ID, int64(0), gomock.Any()).Return(nil)
		err := f.uc.PutChunk(f.ctx, 1, u.ID, 0, bytes.NewReader(chunk(0)), sum(chunk(1)))
		wantReason(t, err, 400, "DIGEST_MISMATCH")
	})
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"short", chunk(0)[:l.Len(0)-1]},
		{"long", append(append([]byte(nil), chunk(0)...), 0)},
		{"empty", nil},
	} {
		t.Run(tc.name+" body", func(t *testing.T) {
			f := newUpFixture(t)
			f.noView()
			u := f.open(data)
			f.has(u)
			f.uploads.EXPECT().BeginChunk(gomock.Any(), int64(1), u.ID, int64(0), gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
			f.store.EXPECT().WriteChunk(gomock.Any(), u, int64(0), gomock.Any(), l.Len(0)).DoAndReturn(writeLike)
			f.uploads.EXPECT().AbortChunk(gomock.Any(), int64(1), u.ID, int64(0), gomock.Any()).Return(nil)
			wantReason(t, f.uc.PutChunk(f.ctx, 1, u.ID, 0, bytes.NewReader(tc.body), nil), 400, "BAD_CHUNK")
		})
	}
	t.Run("index outside", func(t *testing.T) {
		f := newUpFixture(t)
		u := f.open(data)
		f.has(u)
		for _, i := range []int64{-1, 3, 1 << 50} {
			wantReason(t, f.uc.PutChunk(f.ctx, 1, u.ID, i, bytes.NewReader(chunk(2)), nil), 400, "BAD_CHUNK")
		}
	})
	t.Run("closed or expired", func(t *testing.T) {
		f := newUpFixture(t)
		u := f.open(data)
		f.has(u)
		done := f.open(data)
		done.ID, done.State = "u2", UploadCompleted
		f.has(done)
		wantReason(t, f.uc.PutChunk(f.ctx, 1, done.ID, 0, bytes.NewReader(chunk(0)), nil), 409, "UPLOAD_CLOSED")
		f.now = u.ExpiresAt.Add(time.Second)
		wantReason(t, f.uc.PutChunk(f.ctx, 1, u.ID, 0, bytes.NewReader(chunk(0)), nil), 409, "UPLOAD_CLOSED")
	})
	t.Run("sealed by a complete", func(t *testing.T) {
		f := newUpFixture(t)
		f.noView()
		u := f.open(data)
		f.has(u)
		f.uploads.EXPECT().BeginChunk(gomock.Any(), int64(1), u.ID, int64(0), gomock.Any(), gomock.Any(), gomock.Any()).Return(ErrSealed)
		// No byte is written.
		wantReason(t, f.uc.PutChunk(f.ctx, 1, u.ID, 0, bytes.NewReader(chunk(0)), nil), 409, "UPLOAD_COMPLETING")
	})
	t.Run("another writer has the chunk", func(t *testing.T) {
		f := newUpFixture(t)
		f.noView()
		u := f.open(data)
		f.has(u)
		f.uploads.EXPECT().BeginChunk(gomock.Any(), int64(1), u.ID, int64(0), gomock.Any(), gomock.Any(), gomock.Any()).Return(ErrBusy)
		wantReason(t, f.uc.PutChunk(f.ctx, 1, u.ID, 0, bytes.NewReader(chunk(0)), nil), 503, "CHUNK_BUSY")
	})
	t.Run("taken over as stale while writing", func(t *testing.T) {
		f := newUpFixture(t)
		f.noView()
		u := f.open(data)
		f.has(u)
		f.uploads.EXPECT().BeginChunk(gomock.Any(), int64(1), u.ID, int64(0), gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
		f.store.EXPECT().WriteChunk(gomock.Any(), u, int64(0), gomock.Any(), l.Len(0)).DoAndReturn(writeLike)
		f.uploads.EXPECT().EndChunk(gomock.Any(), gomock.Any(), gomock.Any()).Return(ErrBusy)
		f.uploads.EXPECT().AbortChunk(gomock.Any(), int64(1), u.ID, int64(0), gomock.Any()).Return(nil)
		wantReason(t, f.uc.PutChunk(f.ctx, 1, u.ID, 0, bytes.NewReader(chunk(0)), nil), 503, "CHUNK_BUSY")
	})
	t.Run("another owner", func(t *testing.T) {
		f := newUpFixture(t)
		f.uploads.EXPECT().Get(gomock.Any(), int64(2), "u1").Return(nil, ErrNotFound)
		wantReason(t, f.uc.PutChunk(f.ctx, 2, "u1", 0, bytes.NewReader(nil), nil), 404, "UPLOAD_NOT_FOUND")
	})
}

func TestCompleteIsIdempotent(t *testing.T) {
	f := newUpFixture(t)
	u := f.open(randomBytes(9, 100))
	u.State, u.NodeID = UploadCompleted, 7
	f.has(u)
	node := &FileNode{ID: 7, Name: u.Name}
	f.files.EXPECT().GetFile(gomock.Any(), int64(1), int64(7)).Return(node, nil).Times(3)
	// No lease, no chunks, no second node.
	for i := 0; i < 2; i++ {
		if n, err := f.uc.Complete(f.ctx, 1, u.ID); err != nil || n != node {
			t.Fatalf("complete #%d: %v, %v", i+1, n, err)
		}
	}
	if n, err := f.uc.Prove(f.ctx, 1, u.ID, "00"); err != nil || n != node {
		t.Fatalf("prove on a completed upload: %v, %v", n, err)
	}
}

func TestCompleteLeaseBusy(t *testing.T) {
	f := newUpFixture(t)
	u := f.open(randomBytes(10, 100))
	f.has(u)
	f.uc.wait = 50 * time.Millisecond
	f.uploads.EXPECT().Lease(gomock.Any(), int64(1), u.ID, f.now, leaseEnd(f.now)).Return(false, nil).MinTimes(2)
	// It waits for the other completion (bounded), then gives up. No
	// Release: the lease is someone else's.
	_, err := f.uc.Complete(f.ctx, 1, u.ID)
	wantReason(t, err, 503, "BLOB_BUSY")
}

func TestCompleteChunksMissing(t *testing.T) {
	f := newUpFixture(t)
	data := randomBytes(11, 5*BlockSize+10)
	u := f.open(data)
	f.has(u)
	f.uploads.EXPECT().Lease(gomock.Any(), int64(1), u.ID, gomock.Any(), gomock.Any()).Return(true, nil)
	f.uploads.EXPECT().Release(gomock.Any(), int64(1), u.ID).Return(nil)
	f.uploads.EXPECT().Writing(gomock.Any(), int64(1), u.ID, gomock.Any()).Return(0, nil)
	f.uploads.EXPECT().Chunks(gomock.Any(), int64(1), u.ID).Return(chunksOf(u, data)[1:2], nil)
	_, err := f.uc.Complete(f.ctx, 1, u.ID)
	if e := wantReason(t, err, 409, "CHUNKS_MISSING"); e.Metadata["missing"] != "0,2" {
		t.Errorf("metadata.missing = %q, want 0,2", e.Metadata["missing"])
	}
}

func TestCompleteHashMismatchDropsChunks(t *testing.T) {
	f := newUpFixture(t)
	data := randomBytes(12, 5*BlockSize+10)
	u := f.open(data)
	other := append([]byte(nil), data...)
	other[BlockSize+3] ^= 0xff // one byte of the second block differs
	f.has(u)
	f.uploads.EXPECT().Lease(gomock.Any(), int64(1), u.ID, gomock.Any(), gomock.Any()).Return(true, nil)
	f.uploads.EXPECT().Release(gomock.Any(), int64(1), u.ID).Return(nil)
	f.uploads.EXPECT().Writing(gomock.Any(), int64(1), u.ID, gomock.Any()).Return(0, nil)
	f.uploads.EXPECT().Chunks(gomock.Any(), int64(1), u.ID).Return(chunksOf(u, other), nil)
	f.index.EXPECT().Drop(gomock.Any(), u.ID).Return(nil)
	f.uploads.EXPECT().DeleteChunks(gomock.Any(), int64(1), u.ID).Return(nil)
	// No Publish, no node.
	_, err := f.uc.Complete(f.ctx, 1, u.ID)
	if e := wantReason(t, err, 422, "HASH_MISMATCH"); e.Metadata["content_hash"] != HashBytes(other) {
		t.Errorf("metadata.content_hash = %q, want the hash of what was sent", e.Metadata["content_hash"])
	}
}

// completeUpTo sets the expectations of a complete up to publishing.
func (f *upFixture) completeUpTo(u *Upload, data []byte) {
	f.has(u)
	f.uploads.EXPECT().Lease(gomock.Any(), u.OwnerID, u.ID, gomock.Any(), gomock.Any()).Return(true, nil)
	f.release = f.uploads.EXPECT().Release(gomock.Any(), u.OwnerID, u.ID).Return(nil)
	f.uploads.EXPECT().Writing(gomock.Any(), u.OwnerID, u.ID, gomock.Any()).Return(0, nil)
	f.uploads.EXPECT().Chunks(gomock.Any(), u.OwnerID, u.ID).Return(chunksOf(u, data), nil)
}

func (f *upFixture) nodeMade(u *Upload, id int64) *FileNode {
	n := &FileNode{ID: id, Name: u.Name, ContentHash: u.ContentHash, Size: u.Size}
	f.files.EXPECT().CreateFile(gomock.Any(), gomock.Any()).Return(n, nil)
	f.uploads.EXPECT().Finish(gomock.Any(), u.OwnerID, u.ID, UploadCompleted, id).Return(nil)
	if f.release != nil { // Finish ends the lease and forgets the chunks
		f.release.Times(0)
	}
	return n
}

func TestCompletePublish(t *testing.T) {
	data := randomBytes(13, 3*BlockSize)
	t.Run("new content is published", func(t *testing.T) {
		f := newUpFixture(t)
		f.noView()
		u := f.open(data)
		f.completeUpTo(u, data)
		f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(nil, ErrNotFound)
		f.store.EXPECT().Publish(gomock.Any(), u, gomock.Len(2)).Return(nil)
		f.blobs.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
		n := f.nodeMade(u, 9)
		if got, err := f.uc.Complete(f.ctx, 1, u.ID); err != nil || got != n {
			t.Fatalf("%v, %v", got, err)
		}
	})
	t.Run("content stored already: pinned, upload dropped", func(t *testing.T) {
		f := newUpFixture(t)
		f.noView()
		u := f.open(data)
		f.completeUpTo(u, data)
		f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(&Blob{Hash: u.ContentHash, Size: u.Size, Verified: true}, nil)
		f.blobs.EXPECT().Pin(gomock.Any(), u.ContentHash, gomock.Any()).Return(true, nil)
		f.store.EXPECT().Discard(gomock.Any(), u).Return(nil)
		n := f.nodeMade(u, 9)
		if got, err := f.uc.Complete(f.ctx, 1, u.ID); err != nil || got != n {
			t.Fatalf("%v, %v", got, err)
		}
	})
	t.Run("a twin published first", func(t *testing.T) {
		f := newUpFixture(t)
		f.noView()
		u := f.open(data)
		f.completeUpTo(u, data)
		f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(nil, ErrNotFound)
		f.store.EXPECT().Publish(gomock.Any(), u, gomock.Any()).Return(nil)
		f.blobs.EXPECT().Create(gomock.Any(), gomock.Any()).Return(ErrDuplicate)
		f.blobs.EXPECT().Pin(gomock.Any(), u.ContentHash, gomock.Any()).Return(true, nil)
		f.nodeMade(u, 9)
		if _, err := f.uc.Complete(f.ctx, 1, u.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("content being collected", func(t *testing.T) {
		f := newUpFixture(t)
		u := f.open(data)
		f.completeUpTo(u, data)
		f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(&Blob{Hash: u.ContentHash, Size: u.Size, Deleting: true}, nil)
		// The upload's chunks are kept (no Discard) for the retry.
		_, err := f.uc.Complete(f.ctx, 1, u.ID)
		wantReason(t, err, 503, "BLOB_BUSY")
	})
	t.Run("claimed between get and pin", func(t *testing.T) {
		f := newUpFixture(t)
		u := f.open(data)
		f.completeUpTo(u, data)
		f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(&Blob{Hash: u.ContentHash, Size: u.Size, Verified: true}, nil)
		f.blobs.EXPECT().Pin(gomock.Any(), u.ContentHash, gomock.Any()).Return(false, nil)
		_, err := f.uc.Complete(f.ctx, 1, u.ID)
		wantReason(t, err, 503, "BLOB_BUSY")
	})
	// A blob stored before the integrity invariant, or quarantined, is not
	// deduplicated onto: these checked bytes replace it.
	for name, b := range map[string]*Blob{
		"unverified":  {Size: int64(len(data))},
		"quarantined": {Size: int64(len(data)), Verified: true, QuarantinedAt: &time.Time{}},
	} {
		t.Run(name+" blob replaced", func(t *testing.T) {
			f := newUpFixture(t)
			f.noView()
			u := f.open(data)
			f.completeUpTo(u, data)
			b.Hash = u.ContentHash
			f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(b, nil)
			f.store.EXPECT().Publish(gomock.Any(), u, gomock.Len(2)).Return(nil)
			f.blobs.EXPECT().Verify(gomock.Any(), u.ContentHash, u.Size, gomock.Any()).Return(nil)
			n := f.nodeMade(u, 9)
			// No Discard: the upload's bytes are the blob now.
			if got, err := f.uc.Complete(f.ctx, 1, u.ID); err != nil || got != n {
				t.Fatalf("%v, %v", got, err)
			}
		})
	}
}

func TestCompleteWaitsForWritesInFlight(t *testing.T) {
	f := newUpFixture(t)
	f.noView()
	data := randomBytes(16, 3*BlockSize)
	u := f.open(data)
	f.has(u)
	gomock.InOrder(
		f.uploads.EXPECT().Lease(gomock.Any(), u.OwnerID, u.ID, gomock.Any(), gomock.Any()).Return(true, nil),
		// Two writes begun before the seal are still running, then one, then none.
		f.uploads.EXPECT().Writing(gomock.Any(), u.OwnerID, u.ID, gomock.Any()).Return(2, nil),
		f.uploads.EXPECT().Writing(gomock.Any(), u.OwnerID, u.ID, gomock.Any()).Return(1, nil),
		f.uploads.EXPECT().Writing(gomock.Any(), u.OwnerID, u.ID, gomock.Any()).Return(0, nil),
		// Only then are the digests read.
		f.uploads.EXPECT().Chunks(gomock.Any(), u.OwnerID, u.ID).Return(chunksOf(u, data), nil),
	)
	f.release = f.uploads.EXPECT().Release(gomock.Any(), u.OwnerID, u.ID).Return(nil)
	f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(nil, ErrNotFound)
	f.store.EXPECT().Publish(gomock.Any(), u, gomock.Len(2)).Return(nil)
	f.blobs.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, b *Blob) error {
		if !b.Verified {
			t.Error("a blob published by complete is not marked verified")
		}
		return nil
	})
	n := f.nodeMade(u, 9)
	if got, err := f.uc.Complete(f.ctx, 1, u.ID); err != nil || got != n {
		t.Fatalf("%v, %v", got, err)
	}
}

func TestCompleteGivesUpOnWritesThatDoNotEnd(t *testing.T) {
	f := newUpFixture(t)
	f.uc.wait = 50 * time.Millisecond
	u := f.open(randomBytes(17, 100))
	f.has(u)
	f.uploads.EXPECT().Lease(gomock.Any(), u.OwnerID, u.ID, gomock.Any(), gomock.Any()).Return(true, nil)
	f.uploads.EXPECT().Writing(gomock.Any(), u.OwnerID, u.ID, gomock.Any()).Return(1, nil).MinTimes(2)
	f.uploads.EXPECT().Release(gomock.Any(), u.OwnerID, u.ID).Return(nil)
	// No Chunks, no Publish.
	_, err := f.uc.Complete(f.ctx, 1, u.ID)
	wantReason(t, err, 503, "CHUNK_BUSY")
}

// seekCloser is a blob opened from memory.
type seekCloser struct{ *bytes.Reader }

func (seekCloser) Close() error { return nil }

func (f *upFixture) proofOf(u *Upload, data []byte) string {
	p, err := Proof(bytes.NewReader(data), u.Nonce, f.policy.ChallengeRanges(u.Nonce, u.Size))
	if err != nil {
		f.t.Fatal(err)
	}
	return hex.EncodeToString(p)
}

func TestProve(t *testing.T) {
	data := randomBytes(14, 3*BlockSize+99)
	opened := func(f *upFixture, u *Upload) {
		f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(&Blob{Hash: u.ContentHash, Size: u.Size, Verified: true}, nil)
		f.store.EXPECT().Open(gomock.Any(), u.ContentHash, u.Size).Return(seekCloser{bytes.NewReader(data)}, nil)
	}
	t.Run("right proof makes the node without chunks", func(t *testing.T) {
		f := newUpFixture(t)
		f.noView()
		u := f.open(data)
		f.has(u)
		f.uploads.EXPECT().CountProof(gomock.Any(), int64(1), u.ContentHash, u.ChallengePeriod, 3).Return(true, nil)
		opened(f, u)
		f.uploads.EXPECT().Lease(gomock.Any(), u.OwnerID, u.ID, gomock.Any(), gomock.Any()).Return(true, nil)
		f.release = f.uploads.EXPECT().Release(gomock.Any(), u.OwnerID, u.ID).Return(nil)
		f.blobs.EXPECT().Pin(gomock.Any(), u.ContentHash, gomock.Any()).Return(true, nil)
		n := f.nodeMade(u, 11)
		f.store.EXPECT().Discard(gomock.Any(), u).Return(nil)
		if got, err := f.uc.Prove(f.ctx, 1, u.ID, f.proofOf(u, data)); err != nil || got != n {
			t.Fatalf("%v, %v", got, err)
		}
	})
	// A wrong proof, absent content, content of another size, content being
	// collected, a proof that is not hex: one answer, word for word.
	var answers []string
	for _, tc := range []struct {
		name  string
		setup func(f *upFixture, u *Upload) string
	}{
		{"wrong proof", func(f *upFixture, u *Upload) string {
			opened(f, u)
			return f.proofOf(&Upload{Nonce: []byte("another nonce!!!"), Size: u.Size}, data)
		}},
		{"absent content", func(f *upFixture, u *Upload) string {
			f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(nil, ErrNotFound)
			return f.proofOf(u, data)
		}},
		{"stored with another size", func(f *upFixture, u *Upload) string {
			f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(&Blob{Hash: u.ContentHash, Size: u.Size + 1, Verified: true}, nil)
			return f.proofOf(u, data)
		}},
		{"stored before the integrity invariant", func(f *upFixture, u *Upload) string {
			f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(&Blob{Hash: u.ContentHash, Size: u.Size}, nil)
			return f.proofOf(u, data)
		}},
		{"quarantined", func(f *upFixture, u *Upload) string {
			f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(&Blob{Hash: u.ContentHash, Size: u.Size, Verified: true,
				QuarantinedAt: &time.Time{}}, nil)
			return f.proofOf(u, data)
		}},
		{"being collected", func(f *upFixture, u *Upload) string {
			f.blobs.EXPECT().Get(gomock.Any(), u.ContentHash).Return(&Blob{Hash: u.ContentHash, Size: u.Size, Deleting: true}, nil)
			return f.proofOf(u, data)
		}},
		{"claimed before the pin", func(f *upFixture, u *Upload) string {
			opened(f, u)
			f.uploads.EXPECT().Lease(gomock.Any(), u.OwnerID, u.ID, gomock.Any(), gomock.Any()).Return(true, nil)
			f.uploads.EXPECT().Release(gomock.Any(), u.OwnerID, u.ID).Return(nil)
			f.blobs.EXPECT().Pin(gomock.Any(), u.ContentHash, gomock.Any()).Return(false, nil)
			return f.proofOf(u, data)
		}},
		{"not hex", func(f *upFixture, u *Upload) string { return "zz" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newUpFixture(t)
			u := f.open(data)
			f.has(u)
			f.uploads.EXPECT().CountProof(gomock.Any(), int64(1), u.ContentHash, u.ChallengePeriod, 3).Return(true, nil)
			proof := tc.setup(f, u)
			_, err := f.uc.Prove(f.ctx, 1, u.ID, proof)
			e := wantReason(t, err, 403, "PROOF_REJECTED")
			answers = append(answers, fmt.Sprintf("%d %s %q %v", e.Code, e.Reason, e.Message, e.Metadata))
		})
	}
	for _, a := range answers[1:] {
		if a != answers[0] {
			t.Errorf("refusals differ:\n %s\n %s", answers[0], a)
		}
	}
	t.Run("attempts used up", func(t *testing.T) {
		f := newUpFixture(t)
		u := f.open(data)
		f.has(u)
		f.uploads.EXPECT().CountProof(gomock.Any(), int64(1), u.ContentHash, u.ChallengePeriod, 3).Return(false, nil)
		// Not even looked at: no blob read.
		_, err := f.uc.Prove(f.ctx, 1, u.ID, f.proofOf(u, data))
		wantReason(t, err, 403, "PROOF_REJECTED")
	})
}

func TestAbort(t *testing.T) {
	f := newUpFixture(t)
	f.noView()
	u := f.open(randomBytes(15, 10))
	f.has(u)
	f.uploads.EXPECT().Lease(gomock.Any(), int64(1), u.ID, gomock.Any(), gomock.Any()).Return(true, nil)
	f.uploads.EXPECT().Finish(gomock.Any(), int64(1), u.ID, UploadAborted, int64(0)).Return(nil)
	// Finish forgets the chunks too: no DeleteChunks.
	f.store.EXPECT().Discard(gomock.Any(), u).Return(nil)
	if err := f.uc.Abort(f.ctx, 1, u.ID); err != nil {
		t.Fatal(err)
	}
	done := f.open(nil)
	done.ID, done.State = "u2", UploadAborted
	f.has(done)
	if err := f.uc.Abort(f.ctx, 1, done.ID); err != nil {
		t.Errorf("abort of a closed upload: %v", err)
	}
	// An upload being completed is not pulled from under Complete.
	busy := f.open(nil)
	busy.ID = "u3"
	f.has(busy)
	f.uploads.EXPECT().Lease(gomock.Any(), int64(1), busy.ID, gomock.Any(), gomock.Any()).Return(false, nil)
	wantReason(t, f.uc.Abort(f.ctx, 1, busy.ID), 409, "UPLOAD_COMPLETING")
	// An abort that fails after taking the lease gives it back: the upload
	// is still open and must take chunks again.
	failing := f.open(nil)
	failing.ID = "u4"
	f.has(failing)
	f.uploads.EXPECT().Lease(gomock.Any(), int64(1), failing.ID, gomock.Any(), gomock.Any()).Return(true, nil)
	f.uploads.EXPECT().Finish(gomock.Any(), int64(1), failing.ID, UploadAborted, int64(0)).Return(errors.New("database down"))
	f.uploads.EXPECT().Release(gomock.Any(), int64(1), failing.ID).Return(nil)
	if err := f.uc.Abort(f.ctx, 1, failing.ID); err == nil {
		t.Fatal("a failed abort reported success")
	}
}

// A writer whose claim on its chunk is taken over (it was thought dead)
// stops writing at its next heartbeat instead of writing on.
func TestChunkWriteStopsWhenItsClaimIsLost(t *testing.T) {
	f := newUpFixture(t)
	f.noView()
	f.uc.beat = 10 * time.Millisecond
	data := randomBytes(18, 3*BlockSize)
	u := f.open(data)
	f.has(u)
	f.uploads.EXPECT().BeginChunk(gomock.Any(), int64(1), u.ID, int64(0), gomock.Any(), gomock.Any(), gomock.Any()).Return(nil)
	f.uploads.EXPECT().TouchChunk(gomock.Any(), int64(1), u.ID, int64(0), gomock.Any(), gomock.Any()).Return(ErrBusy)
	f.store.EXPECT().WriteChunk(gomock.Any(), u, int64(0), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ *Upload, _ int64, r io.Reader, n int64) (string, error) {
			// A slow client: the write is still reading when the claim is lost.
			buf := make([]byte, 1024)
			for {
				if _, err := r.Read(buf); err != nil {
					return "", err
				}
				time.Sleep(time.Millisecond)
			}
		})
	f.uploads.EXPECT().AbortChunk(gomock.Any(), int64(1), u.ID, int64(0), gomock.Any()).Return(nil)
	slow := io.MultiReader(bytes.NewReader(data[:2*BlockSize]))
	err := f.uc.PutChunk(f.ctx, 1, u.ID, 0, slow, nil)
	if err == nil {
		t.Fatal("a write that lost its claim completed")
	}
}
