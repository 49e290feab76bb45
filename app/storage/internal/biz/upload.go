package biz

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	v1 "clouddrive/api/storage/v1"
)

// UploadState is where an upload stands.
type UploadState int8

// Upload states.
const (
	UploadOpen UploadState = iota + 1
	UploadCompleted
	UploadAborted
)

// challengeMax is the longest range a proof covers.
const challengeMax = 64 << 10

// Upload is one file on its way in.
type Upload struct {
	ID          string
	OwnerID     int64
	ParentID    int64
	Name        string
	Mime        string
	Size        int64
	ContentHash string
	ChunkSize   int64
	Rename      bool
	State       UploadState
	NodeID      int64 // once completed
	// The proof-of-possession challenge.
	Nonce           []byte
	ChallengeOffset int64
	ChallengeLength int64
	// BackendRef is the backend's handle (multipart upload id, part file).
	BackendRef string
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// Layout is how the upload splits into chunks.
func (u *Upload) Layout() Layout { return Layout{Size: u.Size, ChunkSize: u.ChunkSize} }

// Chunk is a received chunk: its length, its blocks' digests and the
// backend's id of it. A chunk is recorded only once its bytes are stored.
type Chunk struct {
	UploadID string
	OwnerID  int64
	Index    int64
	Size     int64
	Digests  []byte
	ETag     string
}

// UploadRepo stores upload sessions and their chunks, scoped to the owner.
type UploadRepo interface {
	Create(ctx context.Context, u *Upload) error
	Get(ctx context.Context, owner int64, id string) (*Upload, error)
	// FindResumable is an open, unexpired upload of the same file to the
	// same place by the same user.
	FindResumable(ctx context.Context, owner, parent int64, name, hash string, size int64, now time.Time) (*Upload, error)
	// Lease gives one caller at a time the right to complete; false when a
	// live lease is held by another.
	Lease(ctx context.Context, owner int64, id string, now, until time.Time) (bool, error)
	Release(ctx context.Context, owner int64, id string) error
	// Finish closes an open upload (completed with its node, or aborted).
	Finish(ctx context.Context, owner int64, id string, state UploadState, nodeID int64) error
	// CountProof counts one proof; false once max were tried.
	CountProof(ctx context.Context, owner int64, id string, max int) (bool, error)
	// SaveChunk records (or replaces) a chunk.
	SaveChunk(ctx context.Context, c *Chunk) error
	// Restart forgets every chunk and records the backend's new handle.
	Restart(ctx context.Context, owner int64, id, backendRef string) error
	// DeleteChunk forgets one chunk (before its bytes are written again).
	DeleteChunk(ctx context.Context, owner int64, id string, index int64) error
	Chunks(ctx context.Context, owner int64, id string) ([]*Chunk, error)
	DeleteChunks(ctx context.Context, owner int64, id string) error
	// Expired lists open uploads of any owner past their expiry, and closed
	// ones finished before then.
	Expired(ctx context.Context, before time.Time, limit int) ([]*Upload, error)
	Delete(ctx context.Context, owner int64, id string) error
}

// UploadUsecase is the upload protocol.
type UploadUsecase struct {
	// chunkLocks serialise the writers of one chunk (a client retrying while
	// its first try still runs): see PutChunk.
	chunkLocks sync.Map
	uploads    UploadRepo
	index      ChunkIndex
	blobs      BlobRepo
	store      BlobStore
	files      FileService
	policy     *Policy
	now        Clock
	log        *log.Helper
}

// NewUploadUsecase builds the use case.
func NewUploadUsecase(uploads UploadRepo, index ChunkIndex, blobs BlobRepo, store BlobStore, files FileService, p *Policy, now Clock, logger log.Logger) *UploadUsecase {
	return &UploadUsecase{uploads: uploads, index: index, blobs: blobs, store: store, files: files, policy: p, now: now,
		log: log.NewHelper(log.With(logger, "module", "biz/upload"))}
}

// Session is an upload as the client sees it.
type Session struct {
	Upload *Upload
	Held   []int64
}

// Init starts an upload, or resumes the same one (same user, folder, name,
// size and hash). The answer has the same shape whether or not the content
// is stored already: every session carries a challenge.
func (uc *UploadUsecase) Init(ctx context.Context, f NewFile) (*Session, error) {
	if f.Size > uc.policy.MaxFileSize {
		return nil, v1.ErrorFileTooLarge("files are limited to %d bytes", uc.policy.MaxFileSize)
	}
	now := uc.now()
	u, err := uc.uploads.FindResumable(ctx, f.Owner, f.Parent, f.Name, f.ContentHash, f.Size, now)
	if err == nil {
		return uc.session(ctx, u)
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	// Folder, name and quota are checked before any byte is taken.
	if err := uc.files.CheckCreate(ctx, f); err != nil {
		return nil, err
	}
	u = &Upload{ID: randomHex(16), OwnerID: f.Owner, ParentID: f.Parent, Name: f.Name, Mime: f.Mime, Size: f.Size,
		ContentHash: f.ContentHash, ChunkSize: chunkSizeFor(f.Size, uc.policy.ChunkSize), Rename: f.Rename,
		State: UploadOpen, CreatedAt: now, ExpiresAt: now.Add(uc.policy.UploadTTL)}
	u.Nonce, u.ChallengeOffset, u.ChallengeLength = newChallenge(f.Size)
	if u.BackendRef, err = uc.store.Begin(ctx, u); err != nil {
		return nil, err
	}
	if err := uc.uploads.Create(ctx, u); err != nil {
		_ = uc.store.Discard(ctx, u)
		return nil, err
	}
	if err := uc.index.Start(ctx, u.ID, uc.policy.UploadTTL); err != nil {
		uc.log.WithContext(ctx).Warnw("msg", "chunk index unavailable", "err", err)
	}
	return &Session{Upload: u, Held: []int64{}}, nil
}

// newChallenge picks a random range of the content to prove.
func newChallenge(size int64) ([]byte, int64, int64) {
	nonce, _ := hex.DecodeString(randomHex(16))
	length := min(size, int64(challengeMax))
	var off int64
	if span := size - length; span > 0 {
		off = int64(binary.BigEndian.Uint64(nonce[:8]) % uint64(span+1))
	}
	return nonce, off, length
}

// Status returns an upload and the chunks it holds.
func (uc *UploadUsecase) Status(ctx context.Context, owner int64, id string) (*Session, error) {
	u, err := uc.get(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	return uc.session(ctx, u)
}

func (uc *UploadUsecase) session(ctx context.Context, u *Upload) (*Session, error) {
	if u.State == UploadOpen {
		held, ok, err := uc.index.Held(ctx, u.ID, u.Layout().Count())
		if err == nil && ok {
			return &Session{Upload: u, Held: held}, nil
		}
	}
	cs, err := uc.uploads.Chunks(ctx, u.OwnerID, u.ID)
	if err != nil {
		return nil, err
	}
	s := &Session{Upload: u, Held: make([]int64, 0, len(cs))}
	for _, c := range cs {
		s.Held = append(s.Held, c.Index)
	}
	return s, nil
}

func (uc *UploadUsecase) get(ctx context.Context, owner int64, id string) (*Upload, error) {
	u, err := uc.uploads.Get(ctx, owner, id)
	if errors.Is(err, ErrNotFound) {
		return nil, errUploadNotFound()
	}
	return u, err
}

func (uc *UploadUsecase) open(ctx context.Context, owner int64, id string) (*Upload, error) {
	u, err := uc.get(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	return u, uc.checkOpen(u)
}

// checkOpen refuses an upload that can take no more chunks or proofs.
func (uc *UploadUsecase) checkOpen(u *Upload) error {
	if u.State != UploadOpen || uc.now().After(u.ExpiresAt) {
		return v1.ErrorUploadClosed("this upload is finished, aborted or expired")
	}
	return nil
}

// PutChunk stores one chunk. It is idempotent and chunks may come in any
// order, several at once. The blocks are hashed as the bytes stream through;
// a Content-Digest (RFC 9530 sha-256) that does not match drops the chunk.
func (uc *UploadUsecase) PutChunk(ctx context.Context, owner int64, id string, index int64, r io.Reader, digest []byte) error {
	u, err := uc.open(ctx, owner, id)
	if err != nil {
		return err
	}
	l := u.Layout()
	if index < 0 || index >= l.Count() {
		return v1.ErrorBadChunk("chunk %d is outside this upload (0..%d)", index, l.Count()-1)
	}
	want := l.Len(index)
	// A chunk's record must always describe the bytes stored for it. Writing
	// a chunk again overwrites those bytes (on local disk, in place), so the
	// record goes first, and comes back only once the new bytes are written
	// and checked; a failed or rejected write leaves the chunk missing, to be
	// sent again, never "held" with other bytes than its digests say.
	key := id + "/" + strconv.FormatInt(index, 10)
	mu, _ := uc.chunkLocks.LoadOrStore(key, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer func() {
		mu.(*sync.Mutex).Unlock()
		uc.chunkLocks.CompareAndDelete(key, mu)
	}()
	// The view first, then the truth: a view never shows a chunk the repo lacks.
	if err := uc.index.Set(ctx, id, index, false); err != nil {
		return err
	}
	if err := uc.uploads.DeleteChunk(ctx, owner, id, index); err != nil {
		return err
	}
	blocks := NewBlockHasher()
	counted := &countingReader{r: io.LimitReader(r, want+1)}
	var sink io.Writer = blocks
	var whole hash.Hash
	if digest != nil { // hashing costs: the whole chunk only when asked
		whole = sha256.New()
		sink = io.MultiWriter(blocks, whole)
	}
	body := io.TeeReader(counted, sink)
	etag, err := uc.store.WriteChunk(ctx, u, index, io.LimitReader(body, want), want)
	if err != nil {
		if errors.Is(err, ErrNotFound) { // aborted or collected meanwhile
			return v1.ErrorUploadClosed("this upload is finished, aborted or expired")
		}
		if counted.n < want {
			return v1.ErrorBadChunk("chunk %d must be %d bytes, got %d", index, want, counted.n)
		}
		return err
	}
	// One more byte than the chunk's length means the body was too long.
	if n, _ := io.Copy(io.Discard, io.LimitReader(counted, 1)); n > 0 || counted.n != want {
		return v1.ErrorBadChunk("chunk %d must be %d bytes", index, want)
	}
	if digest != nil && subtle.ConstantTimeCompare(digest, whole.Sum(nil)) != 1 {
		return v1.ErrorDigestMismatch("chunk %d does not match its Content-Digest; it was not kept", index)
	}
	if err := uc.uploads.SaveChunk(ctx, &Chunk{UploadID: u.ID, OwnerID: owner, Index: index, Size: want,
		Digests: blocks.Digests(), ETag: etag}); err != nil {
		return err
	}
	if err := uc.index.Set(ctx, id, index, true); err != nil {
		// Harmless: the client sees the chunk missing and sends it again.
		uc.log.WithContext(ctx).Warnw("msg", "chunk index not updated", "err", err)
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// leaseTTL bounds how long a crashed completion blocks the next try.
const leaseTTL = 2 * time.Minute

// Complete checks the content hash from the block digests, stores the
// content (unless it is stored already) and creates the node. Calling it
// again returns the same node.
func (uc *UploadUsecase) Complete(ctx context.Context, owner int64, id string) (*FileNode, error) {
	u, err := uc.get(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	if u.State == UploadCompleted {
		return uc.completedNode(ctx, u)
	}
	if err := uc.checkOpen(u); err != nil {
		return nil, err
	}
	now := uc.now()
	ok, err := uc.uploads.Lease(ctx, owner, id, now, now.Add(leaseTTL))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, v1.ErrorBlobBusy("this upload is being completed; retry in a moment")
	}
	defer func() { _ = uc.uploads.Release(context.WithoutCancel(ctx), owner, id) }()

	chunks, err := uc.uploads.Chunks(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	if missing := missingChunks(chunks, u.Layout().Count()); len(missing) > 0 {
		return nil, v1.ErrorChunksMissing("%d chunks are missing", len(missing)).
			WithMetadata(map[string]string{"missing": joinInts(missing, 100)})
	}
	var digests []byte
	for _, c := range chunks {
		digests = append(digests, c.Digests...)
	}
	if got := ContentHash(digests); got != u.ContentHash {
		// Some chunk differs from the file the hash was taken of; which one
		// cannot be told, so the upload starts over.
		if err := uc.index.Drop(ctx, id); err != nil {
			return nil, err
		}
		if err := uc.uploads.DeleteChunks(ctx, owner, id); err != nil {
			return nil, err
		}
		return nil, v1.ErrorHashMismatch("the content does not match its hash; upload it again").
			WithMetadata(map[string]string{"content_hash": got})
	}
	stored, err := uc.publish(ctx, u, chunks)
	if errors.Is(err, ErrNotFound) {
		// The chunks went into a blob that a refused node left unreferenced
		// and the collector has taken since: they must come again, into a
		// fresh start at the backend.
		ref, err := uc.store.Begin(ctx, u)
		if err != nil {
			return nil, err
		}
		_ = uc.index.Drop(ctx, id)
		if err := uc.uploads.Restart(ctx, owner, id, ref); err != nil {
			return nil, err
		}
		_ = uc.index.Start(ctx, id, u.ExpiresAt.Sub(uc.now()))
		return nil, v1.ErrorChunksMissing("the upload's content is gone; send every chunk again").
			WithMetadata(map[string]string{"missing": "all"})
	}
	if err != nil {
		return nil, err
	}
	n, err := uc.createNode(ctx, u)
	if err != nil {
		return nil, err
	}
	if stored {
		// The content was stored already: this upload's copy is not needed.
		// Only now, once the node exists: a refused node (name, quota) keeps
		// the chunks for the retry.
		_ = uc.store.Discard(ctx, u)
	}
	return n, nil
}

// publish makes sure the upload's content is stored as its blob: it moves
// the chunks there, or (stored true) finds the blob there already and pins it.
func (uc *UploadUsecase) publish(ctx context.Context, u *Upload, chunks []*Chunk) (stored bool, err error) {
	b, err := uc.blobs.Get(ctx, u.ContentHash)
	switch {
	case err == nil && b.Deleting:
		return false, v1.ErrorBlobBusy("this content is being collected; retry in a moment")
	case err == nil:
		ok, err := uc.blobs.Pin(ctx, u.ContentHash, uc.now())
		if err != nil {
			return false, err
		}
		if !ok {
			return false, v1.ErrorBlobBusy("this content is being collected; retry in a moment")
		}
		return true, nil
	case !errors.Is(err, ErrNotFound):
		return false, err
	}
	if err := uc.store.Publish(ctx, u, chunks); err != nil {
		return false, err
	}
	err = uc.blobs.Create(ctx, &Blob{Hash: u.ContentHash, Size: u.Size, CreatedAt: uc.now()})
	if errors.Is(err, ErrDuplicate) { // a twin upload published the same content
		_, err = uc.blobs.Pin(ctx, u.ContentHash, uc.now())
	}
	return false, err
}

// createNode makes the file node and closes the upload.
func (uc *UploadUsecase) createNode(ctx context.Context, u *Upload) (*FileNode, error) {
	n, err := uc.files.CreateFile(ctx, NewFile{Owner: u.OwnerID, Parent: u.ParentID, Name: u.Name,
		ContentHash: u.ContentHash, Size: u.Size, Mime: u.Mime, Rename: u.Rename})
	if err != nil {
		return nil, err
	}
	if err := uc.uploads.Finish(ctx, u.OwnerID, u.ID, UploadCompleted, n.ID); err != nil {
		return nil, err
	}
	_ = uc.index.Drop(ctx, u.ID)
	_ = uc.uploads.DeleteChunks(ctx, u.OwnerID, u.ID)
	return n, nil
}

func (uc *UploadUsecase) completedNode(ctx context.Context, u *Upload) (*FileNode, error) {
	n, err := uc.files.GetFile(ctx, u.OwnerID, u.NodeID)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// Prove finishes an upload without its bytes when the content is stored
// and the proof matches. A wrong proof and absent content are refused alike,
// and an upload may try only a few proofs.
func (uc *UploadUsecase) Prove(ctx context.Context, owner int64, id, proofHex string) (*FileNode, error) {
	u, err := uc.get(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	if u.State == UploadCompleted {
		return uc.completedNode(ctx, u)
	}
	if err := uc.checkOpen(u); err != nil {
		return nil, err
	}
	ok, err := uc.uploads.CountProof(ctx, owner, id, uc.policy.ProveAttempts)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errProofRejected()
	}
	proof, err := hex.DecodeString(proofHex)
	if err != nil {
		return nil, errProofRejected()
	}
	b, err := uc.blobs.Get(ctx, u.ContentHash)
	if errors.Is(err, ErrNotFound) || (err == nil && (b.Deleting || b.Size != u.Size)) {
		return nil, errProofRejected()
	}
	if err != nil {
		return nil, err
	}
	want, err := uc.expectedProof(ctx, u)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(proof, want) != 1 {
		return nil, errProofRejected()
	}
	if ok, err := uc.blobs.Pin(ctx, u.ContentHash, uc.now()); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, errProofRejected()
	}
	n, err := uc.createNode(ctx, u)
	if err != nil {
		return nil, err
	}
	_ = uc.store.Discard(ctx, u)
	return n, nil
}

// expectedProof is SHA-256(nonce ‖ the challenged range) of the stored blob.
func (uc *UploadUsecase) expectedProof(ctx context.Context, u *Upload) ([]byte, error) {
	rs, err := uc.store.Open(ctx, u.ContentHash, u.Size)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	if _, err := rs.Seek(u.ChallengeOffset, io.SeekStart); err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write(u.Nonce)
	if _, err := io.CopyN(h, rs, u.ChallengeLength); err != nil {
		return nil, fmt.Errorf("reading the challenged range: %w", err)
	}
	return h.Sum(nil), nil
}

// Abort drops an open upload and its chunks.
func (uc *UploadUsecase) Abort(ctx context.Context, owner int64, id string) error {
	u, err := uc.get(ctx, owner, id)
	if err != nil {
		return err
	}
	if u.State != UploadOpen {
		return nil
	}
	if err := uc.uploads.Finish(ctx, owner, id, UploadAborted, 0); err != nil {
		return err
	}
	_ = uc.index.Drop(ctx, id)
	if err := uc.uploads.DeleteChunks(ctx, owner, id); err != nil {
		return err
	}
	return uc.store.Discard(ctx, u)
}

func missingChunks(have []*Chunk, count int64) []int64 {
	held := make(map[int64]bool, len(have))
	for _, c := range have {
		held[c.Index] = true
	}
	var out []int64
	for i := int64(0); i < count; i++ {
		if !held[i] {
			out = append(out, i)
		}
	}
	return out
}

func joinInts(xs []int64, max int) string {
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	if len(xs) > max {
		xs = xs[:max]
	}
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}
