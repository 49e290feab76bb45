package biz

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"golang.org/x/sync/singleflight"

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

// Upload is one file on its way in.
type Upload struct {
	ID          string
	OwnerID     int64
	ParentID    int64
	Name        string
	Mime        string
	Size        int64
	ContentHash string
	// Hashless: the client sent no content hash at init. ContentHash stays
	// empty in the record; Complete takes it from the digests of the chunks
	// the server hashed itself. Such an upload has no challenge (no instant
	// upload), no later init resumes it, and a backend that stages chunks at
	// the blob's key stages these apart (the key is not known yet).
	Hashless  bool
	ChunkSize int64
	Rename    bool
	Version   bool
	State     UploadState
	NodeID    int64 // once completed
	// The proof-of-possession challenge: the nonce of (owner, content,
	// period), from which the challenged ranges derive (see challenge.go).
	Nonce           []byte
	ChallengePeriod int64
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
//
// The seal: while an upload holds a completion lease (Lease until Release),
// no chunk write may begin (BeginChunk refuses), and Complete waits for the
// writes that began before it (Writing) before reading the chunks. So the
// bytes that become a blob are exactly those whose digests were recorded.
type UploadRepo interface {
	Create(ctx context.Context, u *Upload) error
	Get(ctx context.Context, owner int64, id string) (*Upload, error)
	// FindResumable is an open, unexpired upload of the same file to the
	// same place by the same user.
	FindResumable(ctx context.Context, owner, parent int64, name, hash string, size int64, now time.Time) (*Upload, error)
	// Lease gives one caller at a time the right to complete (or abort) and
	// seals the upload against new chunk writes; false when a live lease is
	// held by another or the upload is not open. An expired lease (its
	// holder died) can be taken again; it keeps the upload sealed meanwhile.
	Lease(ctx context.Context, owner int64, id string, now, until time.Time) (bool, error)
	// Release ends the lease: chunk writes may begin again.
	Release(ctx context.Context, owner int64, id string) error
	// Finish closes an open upload (completed with its node, or aborted),
	// ends its lease and forgets its chunks, at once.
	Finish(ctx context.Context, owner int64, id string, state UploadState, nodeID int64) error
	// CountProof counts one proof of owner for content hash in a challenge
	// period; false once max were tried.
	CountProof(ctx context.Context, owner int64, hash string, period int64, max int) (bool, error)
	// BeginChunk records that writer w starts writing chunk index: the
	// chunk is no longer held. ErrSealed when the upload is not open or is
	// leased; ErrBusy when another writer began since staleBefore.
	BeginChunk(ctx context.Context, owner int64, id string, index int64, w string, now, staleBefore time.Time) error
	// EndChunk records the chunk written by w as held, with its digests;
	// ErrBusy when w no longer owns the chunk (it was taken as stale).
	EndChunk(ctx context.Context, c *Chunk, w string) error
	// AbortChunk forgets the chunk w failed to write.
	AbortChunk(ctx context.Context, owner int64, id string, index int64, w string) error
	// TouchChunk renews w's claim on the chunk; ErrBusy when w lost it.
	TouchChunk(ctx context.Context, owner int64, id string, index int64, w string, now time.Time) error
	// ClearWriters forgets every chunk write of any upload begun or renewed
	// before before (the writes a crashed sole instance left).
	ClearWriters(ctx context.Context, before time.Time) (int64, error)
	// Writing counts writes begun since staleBefore and not ended.
	Writing(ctx context.Context, owner int64, id string, staleBefore time.Time) (int, error)
	// Restart forgets every chunk and records the backend's new handle.
	Restart(ctx context.Context, owner int64, id, backendRef string) error
	// ForgetChunks drops held chunks the backend found lost.
	ForgetChunks(ctx context.Context, owner int64, id string, indexes []int64) error
	// Chunks lists the held chunks (not those being written).
	Chunks(ctx context.Context, owner int64, id string) ([]*Chunk, error)
	DeleteChunks(ctx context.Context, owner int64, id string) error
	// Expired lists open uploads of any owner past their expiry, and closed
	// ones finished before then.
	Expired(ctx context.Context, before time.Time, limit int) ([]*Upload, error)
	Delete(ctx context.Context, owner int64, id string) error
}

// UploadUsecase is the upload protocol.
type UploadUsecase struct {
	// chunkLocks serialise the writers of one chunk in this process (a
	// client retrying while its first try still runs waits for it rather
	// than being refused as busy): see PutChunk.
	chunkLocks sync.Map
	// completing joins concurrent completes of one upload in this process:
	// every caller gets the node.
	completing singleflight.Group
	// wait is completeWait, beat heartbeatEvery (shorter in tests).
	wait    time.Duration
	beat    time.Duration
	uploads UploadRepo
	index   ChunkIndex
	blobs   BlobRepo
	store   BlobStore
	files   FileService
	policy  *Policy
	now     Clock
	log     *log.Helper
}

// NewUploadUsecase builds the use case.
func NewUploadUsecase(uploads UploadRepo, index ChunkIndex, blobs BlobRepo, store BlobStore, files FileService, p *Policy, now Clock, logger log.Logger) *UploadUsecase {
	return &UploadUsecase{wait: completeWait, beat: heartbeatEvery, uploads: uploads, index: index, blobs: blobs, store: store, files: files, policy: p, now: now,
		log: log.NewHelper(log.With(logger, "module", "biz/upload"))}
}

// Session is an upload as the client sees it.
type Session struct {
	Upload *Upload
	Held   []int64
	// Challenge is the ranges a proof of possession covers.
	Challenge []Range
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
			return &Session{Upload: u, Held: held, Challenge: uc.challenge(u)}, nil
		}
	}
	cs, err := uc.uploads.Chunks(ctx, u.OwnerID, u.ID)
	if err != nil {
		return nil, err
	}
	s := &Session{Upload: u, Held: make([]int64, 0, len(cs)), Challenge: uc.challenge(u)}
	for _, c := range cs {
		s.Held = append(s.Held, c.Index)
	}
	return s, nil
}

// challenge is the ranges a proof of u covers; none for a hashless upload.
func (uc *UploadUsecase) challenge(u *Upload) []Range {
	if u.Hashless {
		return nil
	}
	return uc.policy.ChallengeRanges(u.Nonce, u.Size)
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

// Abort drops an open upload and its chunks. It takes the completion lease
// first, so an upload being completed is not pulled from under Complete.
func (uc *UploadUsecase) Abort(ctx context.Context, owner int64, id string) error {
	u, err := uc.get(ctx, owner, id)
	if err != nil {
		return err
	}
	if u.State != UploadOpen {
		return nil
	}
	now := uc.now()
	ok, err := uc.uploads.Lease(ctx, owner, id, now, now.Add(leaseTTL))
	if err != nil {
		return err
	}
	if !ok {
		return errCompleting()
	}
	if err := uc.uploads.Finish(ctx, owner, id, UploadAborted, 0); err != nil {
		// Still open: unseal it, or it would refuse chunks until the lease ends.
		_ = uc.uploads.Release(context.WithoutCancel(ctx), owner, id)
		return err
	}
	_ = uc.index.Drop(ctx, id)
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
