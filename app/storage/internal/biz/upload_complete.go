package biz

import (
	"context"
	"errors"
	"strconv"
	"time"

	v1 "clouddrive/api/storage/v1"
)

const (
	// leaseTTL bounds how long a crashed abort or proof blocks the next try.
	leaseTTL = 2 * time.Minute
	// completeLease is how long a completion's lease lasts unless renewed:
	// the completion renews it every beat while it runs (publishing a large
	// upload can take minutes), so a completion whose process died blocks
	// the retry only this long.
	completeLease = staleWrite
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
	return uc.CompleteChecked(ctx, owner, id, "")
}

// CompleteChecked is Complete that also refuses content whose hash is not
// want (when want is not empty): the client's own hash of a hashless
// upload, taken while it sent, so a file that changed while it was read is
// not stored.
func (uc *UploadUsecase) CompleteChecked(ctx context.Context, owner int64, id, want string) (*FileNode, error) {
	// One completion per upload in this process; the others share its
	// outcome. It runs to its end even if the first caller goes away: a
	// completion left half done helps nobody.
	key := strconv.FormatInt(owner, 10) + "/" + id + "/" + want
	res, err, _ := uc.completing.Do(key, func() (any, error) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), leaseTTL)
		defer cancel()
		return uc.complete(cctx, owner, id, want)
	})
	if err != nil {
		return nil, err
	}
	return res.(*FileNode), nil
}

func (uc *UploadUsecase) complete(ctx context.Context, owner int64, id, want string) (*FileNode, error) {
	u, until, err := uc.lease(ctx, owner, id)
	if err != nil || u.State == UploadCompleted {
		if err != nil {
			return nil, err
		}
		return uc.completedNode(ctx, u)
	}
	finished := false // Finish ends the lease with the upload
	defer func() {
		if !finished {
			_ = uc.uploads.Release(context.WithoutCancel(ctx), owner, id)
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer uc.keepLease(ctx, cancel, owner, id, until)()
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
	got := ContentHash(digests)
	if u.Hashless && (want == "" || want == got) {
		// The server hashed every block itself as it arrived: the content
		// hash is known now, and nothing else names it.
		u.ContentHash = got
	}
	if got != u.ContentHash || (want != "" && got != want) {
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
	finished = true
	if stored {
		// The content was stored already: this upload's copy is not needed.
		// Only now, once the node exists: a refused node (name, quota) keeps
		// the chunks for the retry.
		_ = uc.store.Discard(ctx, u)
	}
	return n, nil
}

// lease takes the upload's completion lease, waiting (bounded) while
// another instance holds it. It returns the upload and when the lease ends;
// a completed one (the other completion won) comes back without a lease.
func (uc *UploadUsecase) lease(ctx context.Context, owner int64, id string) (*Upload, time.Time, error) {
	deadline := time.Now().Add(uc.wait)
	for {
		u, err := uc.get(ctx, owner, id)
		if err != nil {
			return nil, time.Time{}, err
		}
		if u.State == UploadCompleted {
			return u, time.Time{}, nil
		}
		if err := uc.checkOpen(u); err != nil {
			return nil, time.Time{}, err
		}
		now := uc.now()
		until := leaseEnd(now)
		ok, err := uc.uploads.Lease(ctx, owner, id, now, until)
		if err != nil || ok {
			return u, until, err
		}
		if time.Now().After(deadline) {
			return nil, time.Time{}, v1.ErrorBlobBusy("this upload is being completed elsewhere; retry in a moment")
		}
		if err := sleep(ctx, pollEvery); err != nil {
			return nil, time.Time{}, err
		}
	}
}

// leaseEnd is when a completion lease taken or renewed at now ends, to the
// millisecond the database keeps: the end is also the holder's mark.
func leaseEnd(now time.Time) time.Time { return now.Add(completeLease).Truncate(time.Millisecond) }

// keepLease renews the completion lease every beat while the completion
// runs. A renewal is the same conditional Lease, asked as of just after the
// holder's own end: it succeeds only while the lease is still the one this
// completion set (a lease taken over by another instance ends later). When
// the lease is lost, or cannot be renewed before it ends, the completion is
// cancelled: another may hold it by then.
func (uc *UploadUsecase) keepLease(ctx context.Context, cancel context.CancelFunc, owner int64, id string, until time.Time) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(uc.beat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			next := leaseEnd(uc.now())
			ok, err := uc.uploads.Lease(ctx, owner, id, until.Add(time.Millisecond), next)
			switch {
			case ok:
				until = next
			case err == nil || !uc.now().Before(until):
				uc.log.WithContext(ctx).Warnw("msg", "completion stopped: its lease could not be renewed", "upload", id, "err", err)
				cancel()
				return
			}
		}
	}()
	return func() { close(done); <-finished }
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
	return false, uc.publishNew(ctx, u, chunks)
}

// publishNew stores content that had no blob when last looked up: a twin
// upload that published it since only gets it pinned.
func (uc *UploadUsecase) publishNew(ctx context.Context, u *Upload, chunks []*Chunk) error {
	if err := uc.store.Publish(ctx, u, chunks); err != nil {
		return err
	}
	err := uc.blobs.Create(ctx, &Blob{Hash: u.ContentHash, Size: u.Size, Verified: true, CreatedAt: uc.now()})
	if errors.Is(err, ErrDuplicate) { // a twin upload published the same content
		_, err = uc.blobs.Pin(ctx, u.ContentHash, uc.now())
	}
	return err
}

// createNode makes the file node and closes the upload.
func (uc *UploadUsecase) createNode(ctx context.Context, u *Upload) (*FileNode, error) {
	n, err := uc.files.CreateFile(ctx, NewFile{Owner: u.OwnerID, Parent: u.ParentID, Name: u.Name,
		ContentHash: u.ContentHash, Size: u.Size, Mime: u.Mime, Rename: u.Rename, Version: u.Version})
	if err != nil {
		return nil, err
	}
	if err := uc.uploads.Finish(ctx, u.OwnerID, u.ID, UploadCompleted, n.ID); err != nil {
		return nil, err
	}
	_ = uc.index.Drop(ctx, u.ID)
	return n, nil
}

func (uc *UploadUsecase) completedNode(ctx context.Context, u *Upload) (*FileNode, error) {
	n, err := uc.files.GetFile(ctx, u.OwnerID, u.NodeID)
	if err != nil {
		return nil, err
	}
	return n, nil
}
