package biz

import (
	"context"
	"errors"
	"strconv"
	"time"

	v1 "clouddrive/api/storage/v1"
)

const (
	// leaseTTL bounds how long a crashed completion blocks the next try.
	leaseTTL = 2 * time.Minute
	// completeWait bounds how long Complete waits for another completion of
	// the same upload, or for chunk writes begun before the seal.
	completeWait = 30 * time.Second
	// pollEvery is how often it looks while waiting.
	pollEvery = 20 * time.Millisecond
)

// Complete checks the content hash from the block digests, stores the
// content (unless it is stored already) and creates the node. Calling it
// again, or several times at once, returns the same node to every caller.
//
// The integrity invariant: Complete first seals the upload (its lease), so
// no chunk write can begin, then waits for the writes begun before to end;
// only then does it read the chunks' digests. The bytes it publishes are
// exactly those the digests describe.
func (uc *UploadUsecase) Complete(ctx context.Context, owner int64, id string) (*FileNode, error) {
	// One completion per upload in this process; the others share its
	// outcome. It runs to its end even if the first caller goes away: a
	// completion left half done helps nobody.
	key := strconv.FormatInt(owner, 10) + "/" + id
	res, err, _ := uc.completing.Do(key, func() (any, error) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), leaseTTL)
		defer cancel()
		return uc.complete(cctx, owner, id)
	})
	if err != nil {
		return nil, err
	}
	return res.(*FileNode), nil
}

func (uc *UploadUsecase) complete(ctx context.Context, owner int64, id string) (*FileNode, error) {
	u, err := uc.lease(ctx, owner, id)
	if err != nil || u.State == UploadCompleted {
		if err != nil {
			return nil, err
		}
		return uc.completedNode(ctx, u)
	}
	defer func() { _ = uc.uploads.Release(context.WithoutCancel(ctx), owner, id) }()
	if err := uc.drain(ctx, owner, id); err != nil {
		return nil, err
	}

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
	var lost *LostChunksError
	if errors.As(err, &lost) {
		for _, i := range lost.Indexes {
			_ = uc.index.Set(ctx, id, i, false)
		}
		if err := uc.uploads.ForgetChunks(ctx, owner, id, lost.Indexes); err != nil {
			return nil, err
		}
		uc.log.WithContext(ctx).Warnw("msg", "chunks lost in a crash: asked again", "upload", id, "chunks", len(lost.Indexes))
		return nil, v1.ErrorChunksMissing("%d chunks were lost and must be sent again", len(lost.Indexes)).
			WithMetadata(map[string]string{"missing": joinInts(lost.Indexes, 100)})
	}
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

// lease takes the upload's completion lease, waiting (bounded) while
// another instance holds it. It returns the upload; a completed one (the
// other completion won) comes back without a lease.
func (uc *UploadUsecase) lease(ctx context.Context, owner int64, id string) (*Upload, error) {
	deadline := time.Now().Add(uc.wait)
	for {
		u, err := uc.get(ctx, owner, id)
		if err != nil {
			return nil, err
		}
		if u.State == UploadCompleted {
			return u, nil
		}
		if err := uc.checkOpen(u); err != nil {
			return nil, err
		}
		now := uc.now()
		ok, err := uc.uploads.Lease(ctx, owner, id, now, now.Add(leaseTTL))
		if err != nil || ok {
			return u, err
		}
		if time.Now().After(deadline) {
			return nil, v1.ErrorBlobBusy("this upload is being completed elsewhere; retry in a moment")
		}
		if err := sleep(ctx, pollEvery); err != nil {
			return nil, err
		}
	}
}

// drain waits until no chunk write begun before the seal is still running.
func (uc *UploadUsecase) drain(ctx context.Context, owner int64, id string) error {
	deadline := time.Now().Add(uc.wait)
	for {
		n, err := uc.uploads.Writing(ctx, owner, id, uc.now().Add(-staleWrite))
		if err != nil || n == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return errChunkBusy("%d chunks are still being written; complete once they are done", n)
		}
		if err := sleep(ctx, pollEvery); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// publish makes sure the upload's content is stored as its blob: it moves
// the chunks there, or (stored true) finds a trusted blob there already and
// pins it. A blob stored there that is not trusted (published before the
// integrity invariant, or quarantined by the scrub) is replaced by these
// checked bytes.
func (uc *UploadUsecase) publish(ctx context.Context, u *Upload, chunks []*Chunk) (stored bool, err error) {
	b, err := uc.blobs.Get(ctx, u.ContentHash)
	switch {
	case err == nil && b.Deleting:
		return false, v1.ErrorBlobBusy("this content is being collected; retry in a moment")
	case err == nil && b.Trusted(u.Size):
		ok, err := uc.blobs.Pin(ctx, u.ContentHash, uc.now())
		if err != nil {
			return false, err
		}
		if !ok {
			return false, v1.ErrorBlobBusy("this content is being collected; retry in a moment")
		}
		return true, nil
	case err == nil:
		if err := uc.store.Publish(ctx, u, chunks); err != nil {
			return false, err
		}
		uc.log.WithContext(ctx).Warnw("msg", "untrusted blob replaced by checked bytes", "hash", u.ContentHash)
		return false, uc.blobs.Verify(ctx, u.ContentHash, u.Size, uc.now())
	case !errors.Is(err, ErrNotFound):
		return false, err
	}
	if err := uc.store.Publish(ctx, u, chunks); err != nil {
		return false, err
	}
	err = uc.blobs.Create(ctx, &Blob{Hash: u.ContentHash, Size: u.Size, Verified: true, CreatedAt: uc.now()})
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
