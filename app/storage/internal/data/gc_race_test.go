package data_test

// GC never deletes a referenced blob, including when a node referencing the
// blob is created while the sweep runs. Real SQLite repos and the local disk
// store, the real upload and GC use cases, a clock the test moves, and an
// in-memory file service whose ReferencedHashes (and the blob repo's Claim)
// can run code at the exact points of a sweep where a concurrent upload
// would interleave.

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/data"
)

// ---------------------------------------------------------------------------
// The file service, in memory.

type gcRaceFakeFileService struct {
	mu    sync.Mutex
	nodes map[int64]*biz.FileNode
	owner map[int64]int64
	next  int64
	// afterAnswer, when set, runs after ReferencedHashes has computed its
	// answer and before it returns it: a node created there is one the
	// sweep's question did not see. call counts from 1.
	afterAnswer func(call int, hashes []string)
	calls       int
	// beforeCreate, when set, runs inside CreateFile before the node exists;
	// an error it returns is CreateFile's (a name taken, a quota reached).
	beforeCreate func(f biz.NewFile) error
}

var _ biz.FileService = (*gcRaceFakeFileService)(nil)

func newGCRaceFakeFileService() *gcRaceFakeFileService {
	return &gcRaceFakeFileService{nodes: map[int64]*biz.FileNode{}, owner: map[int64]int64{}}
}

func (s *gcRaceFakeFileService) CheckCreate(context.Context, biz.NewFile) error { return nil }

func (s *gcRaceFakeFileService) CreateFile(_ context.Context, f biz.NewFile) (*biz.FileNode, error) {
	if hook := s.beforeCreate; hook != nil {
		if err := hook(f); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	n := &biz.FileNode{ID: s.next, ParentID: f.Parent, Name: f.Name, Size: f.Size, ContentHash: f.ContentHash, Mime: f.Mime}
	s.nodes[n.ID] = n
	s.owner[n.ID] = f.Owner
	return n, nil
}

func (s *gcRaceFakeFileService) GetFile(_ context.Context, owner, id int64) (*biz.FileNode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.nodes[id]; ok && s.owner[id] == owner {
		return n, nil
	}
	return nil, biz.ErrNotFound
}

func (s *gcRaceFakeFileService) Walk(context.Context, int64, []int64, int) ([]biz.WalkEntry, bool, error) {
	return nil, false, nil
}

func (s *gcRaceFakeFileService) ReferencedHashes(_ context.Context, hashes []string) ([]string, error) {
	s.mu.Lock()
	s.calls++
	call := s.calls
	var out []string
	for _, h := range hashes {
		for _, n := range s.nodes {
			if n.ContentHash == h {
				out = append(out, h)
				break
			}
		}
	}
	hook := s.afterAnswer
	s.mu.Unlock()
	if hook != nil {
		hook(call, hashes)
	}
	return out, nil
}

// onAnswer sets afterAnswer and counts calls from now on.
func (s *gcRaceFakeFileService) onAnswer(hook func(call int, hashes []string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls, s.afterAnswer = 0, hook
}

// add makes a node directly, as the file service itself would (a copy, a
// restore): no upload, no pin.
func (s *gcRaceFakeFileService) add(owner int64, hash string, size int64) int64 {
	n, _ := s.CreateFile(context.Background(), biz.NewFile{Owner: owner, Name: "direct", ContentHash: hash, Size: size})
	return n.ID
}

// remove forgets a node (deleted and purged).
func (s *gcRaceFakeFileService) remove(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.nodes, id)
	delete(s.owner, id)
}

func (s *gcRaceFakeFileService) all() []*biz.FileNode {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*biz.FileNode
	for _, n := range s.nodes {
		out = append(out, n)
	}
	return out
}

// ---------------------------------------------------------------------------
// A blob repo that runs code around Claim.

type gcRaceClaimHookRepo struct {
	biz.BlobRepo
	beforeClaim func(hash string)
	afterClaim  func(hash string, ok bool)
}

func (r *gcRaceClaimHookRepo) Claim(ctx context.Context, hash string, markedBefore, pinnedBefore time.Time) (bool, error) {
	if r.beforeClaim != nil {
		r.beforeClaim(hash)
	}
	ok, err := r.BlobRepo.Claim(ctx, hash, markedBefore, pinnedBefore)
	if r.afterClaim != nil {
		r.afterClaim(hash, ok)
	}
	return ok, err
}

// ---------------------------------------------------------------------------
// The world of one test.

type gcRace struct {
	t       *testing.T
	ctx     context.Context
	root    string
	uploads biz.UploadRepo
	blobs   biz.BlobRepo
	hooks   *gcRaceClaimHookRepo
	store   *data.LocalStore
	files   *gcRaceFakeFileService
	mu      sync.Mutex
	clock   time.Time
	policy  *biz.Policy
	up      *biz.UploadUsecase
	gc      *biz.GCUsecase
}

func newGCRace(t *testing.T, grace time.Duration) *gcRace {
	t.Helper()
	dir := t.TempDir()
	logger := log.NewStdLogger(io.Discard)
	d, cleanup, err := data.NewData(&confv1.Data{Database: &confv1.Data_Database{Driver: "sqlite", Source: filepath.Join(dir, "storage.db")}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	store, err := data.NewLocalStore(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	w := &gcRace{t: t, ctx: context.Background(), root: filepath.Join(dir, "blobs"), uploads: data.NewUploadRepo(d),
		blobs: data.NewBlobRepo(d), store: store, files: newGCRaceFakeFileService(),
		clock: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		policy: &biz.Policy{ChunkSize: biz.BlockSize, MaxFileSize: 1 << 40, UploadTTL: 24 * time.Hour, ProveAttempts: 3,
			URLTTL: time.Minute, ZipMaxBytes: 1 << 30, ZipMaxEntries: 100, BlobGrace: grace}}
	w.hooks = &gcRaceClaimHookRepo{BlobRepo: w.blobs}
	now := func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.clock }
	w.up = biz.NewUploadUsecase(w.uploads, data.NewChunkIndex(d), w.hooks, store, w.files, w.policy, now, logger)
	w.gc = biz.NewGCUsecase(w.uploads, w.hooks, store, w.files, w.policy, now, logger)
	return w
}

func (w *gcRace) advance(d time.Duration) {
	w.mu.Lock()
	w.clock = w.clock.Add(d)
	w.mu.Unlock()
}

func (w *gcRace) run() *biz.Collected {
	w.t.Helper()
	out, err := w.gc.Run(w.ctx)
	if err != nil {
		w.t.Fatalf("gc: %v", err)
	}
	return out
}

func gcRaceBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{byte(seed), 7}).Read(b)
	return b
}

// begin inits an upload of content and sends its chunks (not completed).
func (w *gcRace) begin(owner int64, name string, content []byte) *biz.Session {
	w.t.Helper()
	s, err := w.up.Init(w.ctx, biz.NewFile{Owner: owner, Name: name, ContentHash: biz.HashBytes(content), Size: int64(len(content))})
	if err != nil {
		w.t.Fatalf("init %s: %v", name, err)
	}
	l := s.Upload.Layout()
	for i := int64(0); i < l.Count(); i++ {
		if err := w.up.PutChunk(w.ctx, owner, s.Upload.ID, i, bytes.NewReader(content[l.Offset(i):l.Offset(i)+l.Len(i)]), nil); err != nil {
			w.t.Fatalf("chunk %d of %s: %v", i, name, err)
		}
	}
	return s
}

// upload sends content whole and completes it.
func (w *gcRace) upload(owner int64, name string, content []byte) *biz.FileNode {
	w.t.Helper()
	s := w.begin(owner, name, content)
	n, err := w.up.Complete(w.ctx, owner, s.Upload.ID)
	if err != nil {
		w.t.Fatalf("complete %s: %v", name, err)
	}
	return n
}

// initOnly starts an upload without sending anything (to prove).
func (w *gcRace) initOnly(owner int64, name string, content []byte) *biz.Session {
	w.t.Helper()
	s, err := w.up.Init(w.ctx, biz.NewFile{Owner: owner, Name: name, ContentHash: biz.HashBytes(content), Size: int64(len(content))})
	if err != nil {
		w.t.Fatalf("init %s: %v", name, err)
	}
	return s
}

func gcRaceProof(s *biz.Session, content []byte) string {
	p, err := biz.Proof(bytes.NewReader(content), s.Upload.Nonce, s.Challenge)
	if err != nil {
		panic(err)
	}
	return hex.EncodeToString(p)
}

func (w *gcRace) blob(hash string) *biz.Blob {
	w.t.Helper()
	b, err := w.blobs.Get(w.ctx, hash)
	if errors.Is(err, biz.ErrNotFound) {
		return nil
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return b
}

// stored reads a blob back from the disk.
func (w *gcRace) stored(hash string, size int64) ([]byte, bool) {
	rs, err := w.store.Open(w.ctx, hash, size)
	if errors.Is(err, biz.ErrNotFound) {
		return nil, false
	}
	if err != nil {
		w.t.Fatal(err)
	}
	defer rs.Close()
	b, err := io.ReadAll(rs)
	if err != nil {
		w.t.Fatal(err)
	}
	return b, true
}

// invariant: every node's blob is recorded, not being deleted, on disk,
// and holds the node's content.
func (w *gcRace) invariant() {
	w.t.Helper()
	for _, n := range w.files.all() {
		b := w.blob(n.ContentHash)
		if b == nil || b.Deleting {
			w.t.Errorf("node %d (%s) references blob %.12s…, whose record is %+v", n.ID, n.Name, n.ContentHash, b)
			continue
		}
		got, ok := w.stored(n.ContentHash, n.Size)
		if !ok {
			w.t.Errorf("node %d (%s) references blob %.12s…, which is gone from the disk", n.ID, n.Name, n.ContentHash)
			continue
		}
		if biz.HashBytes(got) != n.ContentHash {
			w.t.Errorf("node %d: the stored bytes do not hash to %.12s…", n.ID, n.ContentHash)
		}
	}
}

func gcRaceReason(err error) string {
	if err == nil {
		return ""
	}
	return kerrors.Reason(err)
}

// ---------------------------------------------------------------------------
// The tests.

func TestGCRace_UnreferencedBlobMarkedThenDeletedAfterGrace(t *testing.T) {
	w := newGCRace(t, time.Minute)
	content := gcRaceBytes(1, biz.BlockSize+1000)
	n := w.upload(1, "a.bin", content)
	hash := n.ContentHash
	if out := w.run(); out.Blobs != 0 || w.blob(hash).UnreferencedSince != nil {
		t.Fatalf("a referenced blob was marked or collected: %+v, %+v", out, w.blob(hash))
	}

	w.files.remove(n.ID) // deleted and purged
	t0 := w.clock
	w.run()
	b := w.blob(hash)
	if b == nil || b.UnreferencedSince == nil || !b.UnreferencedSince.Equal(t0) || b.Deleting {
		t.Fatalf("after the first sweep without a node: %+v, want marked at %v", b, t0)
	}
	w.advance(30 * time.Second)
	if out := w.run(); out.Blobs != 0 || w.blob(hash) == nil {
		t.Fatalf("deleted within the grace period: %+v", out)
	}
	if !w.blob(hash).UnreferencedSince.Equal(t0) {
		t.Errorf("a second sweep moved the mark to %v", w.blob(hash).UnreferencedSince)
	}
	// Past the grace, and past the hold of the pin the upload left (a
	// completion's lease): a node may be on its way until then.
	w.advance(91 * time.Second)
	out := w.run()
	if out.Blobs != 1 || out.Bytes != int64(len(content)) {
		t.Fatalf("after the grace period: %+v, want 1 blob of %d bytes", out, len(content))
	}
	if w.blob(hash) != nil {
		t.Errorf("the blob's record is still there")
	}
	if _, ok := w.stored(hash, int64(len(content))); ok {
		t.Errorf("the blob is still on the disk")
	}
}

func TestGCRace_ReferencedBlobNeverDeleted(t *testing.T) {
	w := newGCRace(t, 0)
	content := gcRaceBytes(2, 3*biz.BlockSize)
	n := w.upload(1, "keep.bin", content)
	other := w.upload(1, "gone.bin", gcRaceBytes(3, 10))
	w.files.remove(other.ID)
	for i := 0; i < 5; i++ {
		w.run()
		w.advance(240 * time.Hour)
	}
	if b := w.blob(n.ContentHash); b == nil || b.UnreferencedSince != nil || b.Deleting {
		t.Errorf("a referenced blob after 5 sweeps 10 days apart: %+v", b)
	}
	if w.blob(other.ContentHash) != nil {
		t.Errorf("the unreferenced blob survived 5 sweeps with no grace")
	}
	w.invariant()

	// Marked, then referenced again by a proof: unmarked and kept.
	w2 := newGCRace(t, time.Hour)
	a := w2.upload(1, "a.bin", content)
	w2.files.remove(a.ID)
	w2.run()
	if w2.blob(a.ContentHash).UnreferencedSince == nil {
		t.Fatal("not marked")
	}
	s := w2.initOnly(2, "b.bin", content)
	if _, err := w2.up.Prove(w2.ctx, 2, s.Upload.ID, gcRaceProof(s, content)); err != nil {
		t.Fatalf("prove: %v", err)
	}
	w2.advance(2 * time.Hour)
	w2.run()
	if b := w2.blob(a.ContentHash); b == nil || b.UnreferencedSince != nil || b.Deleting {
		t.Errorf("referenced again: %+v, want kept and unmarked", b)
	}
	w2.invariant()
}

// A node created by an instant upload (pin, then node) while the sweep has
// asked the file service and not yet claimed: the pin defeats the claim.
func TestGCRace_ProveBetweenQuestionAndClaim(t *testing.T) {
	for _, grace := range []time.Duration{0, time.Nanosecond, time.Minute} {
		t.Run(grace.String(), func(t *testing.T) {
			w := newGCRace(t, grace)
			content := gcRaceBytes(4, 2*biz.BlockSize+5)
			a := w.upload(1, "a.bin", content)
			w.files.remove(a.ID)
			w.run() // marked
			w.advance(grace + time.Second)

			s := w.initOnly(2, "b.bin", content)
			var proveErr error
			proved := false
			w.files.onAnswer(func(call int, hashes []string) {
				if call == 1 { // the sweep's question, answered "no node"
					proved = true
					_, proveErr = w.up.Prove(w.ctx, 2, s.Upload.ID, gcRaceProof(s, content))
				}
			})
			out := w.run()
			w.files.onAnswer(nil)
			if !proved || proveErr != nil {
				t.Fatalf("the proof during the sweep: ran %v, %v", proved, proveErr)
			}
			if out.Blobs != 0 {
				t.Errorf("the sweep collected %d blob(s)", out.Blobs)
			}
			w.invariant()
			// Later sweeps see the node and unmark.
			w.advance(grace + time.Second)
			w.run()
			if b := w.blob(a.ContentHash); b == nil || b.UnreferencedSince != nil {
				t.Errorf("after a later sweep: %+v, want unmarked", b)
			}
			w.invariant()
		})
	}
}

// The same with a chunked upload of the same content completing in that
// window: publish finds the blob, pins it and makes the node.
func TestGCRace_CompleteBetweenQuestionAndClaim(t *testing.T) {
	w := newGCRace(t, 0)
	content := gcRaceBytes(5, biz.BlockSize+3)
	a := w.upload(1, "a.bin", content)
	w.files.remove(a.ID)
	w.run()
	w.advance(3 * time.Minute) // past the upload's pin hold

	s := w.begin(2, "b.bin", content) // every chunk sent before the sweep
	var completeErr error
	completed := false
	w.files.onAnswer(func(call int, _ []string) {
		if call == 1 {
			completed = true
			_, completeErr = w.up.Complete(w.ctx, 2, s.Upload.ID)
		}
	})
	out := w.run()
	w.files.onAnswer(nil)
	if !completed {
		t.Fatal("the hook did not run")
	}
	if completeErr != nil {
		t.Fatalf("complete during the sweep: %v", completeErr)
	}
	if out.Blobs != 0 {
		t.Errorf("the sweep collected %d blob(s)", out.Blobs)
	}
	w.invariant()
}

// A pin between the sweep's mark and its claim: the claim fails.
func TestGCRace_PinBetweenMarkAndClaim(t *testing.T) {
	w := newGCRace(t, 0)
	content := gcRaceBytes(6, 100_000)
	a := w.upload(1, "a.bin", content)
	w.files.remove(a.ID)
	w.run()
	w.advance(3 * time.Minute) // past the upload's pin hold

	s := w.initOnly(2, "b.bin", content)
	claimed := map[string]bool{}
	w.hooks.beforeClaim = func(hash string) {
		if hash == a.ContentHash && len(claimed) == 0 {
			if _, err := w.up.Prove(w.ctx, 2, s.Upload.ID, gcRaceProof(s, content)); err != nil {
				t.Errorf("prove just before the claim: %v", err)
			}
		}
	}
	w.hooks.afterClaim = func(hash string, ok bool) { claimed[hash] = ok }
	out := w.run()
	w.hooks.beforeClaim, w.hooks.afterClaim = nil, nil
	if ok, tried := claimed[a.ContentHash]; !tried || ok {
		t.Errorf("claim tried %v, succeeded %v: want tried and refused because of the pin", tried, ok)
	}
	if out.Blobs != 0 {
		t.Errorf("collected %d", out.Blobs)
	}
	w.invariant()
}

// A node that appears without a pin (made by the file service itself) after
// the claim: the re-check sees it and gives the blob back.
func TestGCRace_RecheckAfterClaim(t *testing.T) {
	w := newGCRace(t, 0)
	content := gcRaceBytes(7, 5000)
	a := w.upload(1, "a.bin", content)
	w.files.remove(a.ID)
	w.run()
	w.advance(3 * time.Minute) // past the upload's pin hold

	w.hooks.afterClaim = func(hash string, ok bool) {
		if ok && hash == a.ContentHash {
			w.files.add(3, hash, int64(len(content)))
		}
	}
	out := w.run()
	w.hooks.afterClaim = nil
	if out.Blobs != 0 {
		t.Errorf("collected %d", out.Blobs)
	}
	if b := w.blob(a.ContentHash); b == nil || b.Deleting || b.UnreferencedSince != nil {
		t.Errorf("after the re-check: %+v, want given back (not deleting, unmarked)", b)
	}
	w.invariant()
}

// Uploads that come after the claim are refused (never a node without its
// blob), and a chunked one succeeds on retry once the sweep is done.
func TestGCRace_AfterTheClaim(t *testing.T) {
	w := newGCRace(t, 0)
	content := gcRaceBytes(8, biz.BlockSize+77)
	a := w.upload(1, "a.bin", content)
	w.files.remove(a.ID)
	w.run()
	w.advance(3 * time.Minute) // past the upload's pin hold

	proving := w.initOnly(2, "p.bin", content)
	chunked := w.begin(3, "c.bin", content)
	var proveErr, completeErr error
	w.hooks.afterClaim = func(hash string, ok bool) {
		if ok && hash == a.ContentHash {
			_, proveErr = w.up.Prove(w.ctx, 2, proving.Upload.ID, gcRaceProof(proving, content))
			_, completeErr = w.up.Complete(w.ctx, 3, chunked.Upload.ID)
		}
	}
	out := w.run()
	w.hooks.afterClaim = nil
	if gcRaceReason(proveErr) != "PROOF_REJECTED" || gcRaceReason(completeErr) != "BLOB_BUSY" {
		t.Fatalf("during the claim: prove %v, complete %v; want PROOF_REJECTED and BLOB_BUSY", proveErr, completeErr)
	}
	if out.Blobs != 1 || len(w.files.all()) != 0 {
		t.Fatalf("collected %d, nodes %d: want the blob collected and no node", out.Blobs, len(w.files.all()))
	}
	// The chunked upload kept its bytes: completing again stores them anew.
	n, err := w.up.Complete(w.ctx, 3, chunked.Upload.ID)
	if err != nil {
		t.Fatalf("complete after the sweep: %v", err)
	}
	if got, ok := w.stored(n.ContentHash, n.Size); !ok || !bytes.Equal(got, content) {
		t.Fatalf("after the retry the blob is stored %v with the right bytes %v", ok, bytes.Equal(got, content))
	}
	w.invariant()
}

func TestGCRace_ExpiredUploadCollected(t *testing.T) {
	w := newGCRace(t, time.Hour)
	content := gcRaceBytes(9, 3*biz.BlockSize)
	s, err := w.up.Init(w.ctx, biz.NewFile{Owner: 1, Name: "half.bin", ContentHash: biz.HashBytes(content), Size: int64(len(content))})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.up.PutChunk(w.ctx, 1, s.Upload.ID, 1, bytes.NewReader(content[biz.BlockSize:2*biz.BlockSize]), nil); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(w.root, "uploads", s.Upload.ID+".part")
	if _, err := os.Stat(part); err != nil {
		t.Fatalf("the part file: %v", err)
	}
	done := w.upload(1, "done.bin", gcRaceBytes(10, 100))
	_ = done

	w.advance(w.policy.UploadTTL - time.Minute)
	if out := w.run(); out.Uploads != 0 {
		t.Fatalf("collected %d upload(s) before they expired", out.Uploads)
	}
	w.advance(2 * time.Minute)
	out := w.run()
	if out.Uploads != 2 {
		t.Errorf("collected %d upload(s), want 2 (the open one and the finished one)", out.Uploads)
	}
	if _, err := os.Stat(part); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the part file of the expired upload: %v", err)
	}
	if _, err := w.uploads.Get(w.ctx, 1, s.Upload.ID); !errors.Is(err, biz.ErrNotFound) {
		t.Errorf("the expired upload's row: %v", err)
	}
	if cs, err := w.uploads.Chunks(w.ctx, 1, s.Upload.ID); err != nil || len(cs) != 0 {
		t.Errorf("the expired upload's chunk rows: %d, %v", len(cs), err)
	}
	if _, err := w.up.Status(w.ctx, 1, s.Upload.ID); gcRaceReason(err) != "UPLOAD_NOT_FOUND" {
		t.Errorf("status of the collected upload: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(w.root, "uploads", "*")); len(left) != 0 {
		t.Errorf("files left in uploads/: %v", left)
	}
	w.invariant()
}

// A completion pins the blob, then asks the file service for the node. If
// two sweeps, a grace period apart, run while that call is in flight, the
// second claims the blob (its mark is older than the grace, and the pin is
// not consulted), the re-check finds no node yet, and the blob is deleted
// under the node about to be made, unless a recent pin keeps it: Claim skips
// a blob pinned within a completion's lease.
func TestGCRace_SlowNodeCreationAcrossTwoSweeps(t *testing.T) {
	w := newGCRace(t, time.Minute)
	content := gcRaceBytes(11, 4000)
	a := w.upload(1, "a.bin", content)
	w.files.remove(a.ID)

	s := w.begin(2, "b.bin", content)
	swept := false
	w.files.beforeCreate = func(biz.NewFile) error {
		if swept {
			return nil
		}
		swept = true
		// Pinned by publish; the node does not exist yet.
		w.run()
		w.advance(2 * time.Minute)
		w.run()
		return nil
	}
	if _, err := w.up.Complete(w.ctx, 2, s.Upload.ID); err != nil {
		t.Fatalf("complete: %v", err)
	}
	w.files.beforeCreate = nil
	w.invariant()
}

// Complete finds the content stored already, pins it, drops the upload's own
// bytes, and then the file service refuses the node (a name taken since
// init). The upload stays open with every chunk listed as held. Once the
// grace period passes with no node, the blob is collected; completing again
// (the name freed) must still work, from the upload's bytes or by asking for
// them again: the upload's bytes are kept until a node exists.
func TestGCRace_RetryAfterRefusedNodeOnceBlobCollected(t *testing.T) {
	for _, stored := range []bool{true, false} {
		name := map[bool]string{true: "content stored already", false: "new content"}[stored]
		t.Run(name, func(t *testing.T) {
			w := newGCRace(t, time.Hour)
			content := gcRaceBytes(12, biz.BlockSize+9)
			if stored {
				a := w.upload(1, "a.bin", content)
				w.files.remove(a.ID)
			}
			s := w.begin(2, "b.bin", content)
			w.files.beforeCreate = func(biz.NewFile) error { return errors.New("NAME_CONFLICT") }
			if _, err := w.up.Complete(w.ctx, 2, s.Upload.ID); err == nil {
				t.Fatal("complete succeeded although the file service refused the node")
			}
			w.files.beforeCreate = nil
			st, err := w.up.Status(w.ctx, 2, s.Upload.ID)
			if err != nil || int64(len(st.Held)) != s.Upload.Layout().Count() {
				t.Fatalf("status after the refused node: %v, %v", st, err)
			}
			for i := 0; i < 3; i++ { // mark, then collect past the grace
				w.run()
				w.advance(2 * time.Hour)
			}
			if w.blob(s.Upload.ContentHash) != nil {
				t.Fatal("the unreferenced blob was not collected; the scenario needs it gone")
			}
			n, err := w.up.Complete(w.ctx, 2, s.Upload.ID)
			if !stored {
				// The chunks became the blob that was collected: the answer
				// asks for them again, and the status agrees.
				if gcRaceReason(err) != "CHUNKS_MISSING" {
					t.Fatalf("complete again once the blob is gone: %v, want CHUNKS_MISSING", err)
				}
				if st, err := w.up.Status(w.ctx, 2, s.Upload.ID); err != nil || len(st.Held) != 0 {
					t.Fatalf("status: %+v, %v; want nothing held", st, err)
				}
				l := s.Upload.Layout()
				for i := int64(0); i < l.Count(); i++ {
					if err := w.up.PutChunk(w.ctx, 2, s.Upload.ID, i, bytes.NewReader(content[l.Offset(i):l.Offset(i)+l.Len(i)]), nil); err != nil {
						t.Fatalf("chunk %d again: %v", i, err)
					}
				}
				n, err = w.up.Complete(w.ctx, 2, s.Upload.ID)
			}
			if err != nil {
				t.Fatalf("complete again: %v", err)
			}
			if got, ok := w.stored(n.ContentHash, n.Size); !ok || !bytes.Equal(got, content) {
				t.Errorf("stored %v, bytes right %v", ok, bytes.Equal(got, content))
			}
			w.invariant()
		})
	}
}
