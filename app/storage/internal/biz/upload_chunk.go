package biz

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"hash"
	"io"
	"strconv"
	"sync"
	"time"

	v1 "clouddrive/api/storage/v1"
)

// A chunk write may take chunkWriteTTL (a slow link sending 8 MiB); after
// it the write stops reading. While it runs, its writer beats every
// heartbeatEvery; a write whose last beat is older than staleWrite is dead
// (its process crashed): Complete does not wait for it and another writer
// may take its chunk. A writer that could not beat for selfStop stops
// writing, well before anyone may take its chunk over.
const (
	chunkWriteTTL  = 10 * time.Minute
	heartbeatEvery = 3 * time.Second
	selfStop       = 9 * time.Second
	staleWrite     = 15 * time.Second
)

// PutChunk stores one chunk. It is idempotent and chunks may come in any
// order, several at once. The blocks are hashed as the bytes stream through;
// a Content-Digest (RFC 9530 sha-256) that does not match drops the chunk.
//
// A chunk's record always describes the bytes stored for it: BeginChunk
// marks the chunk as being written (not held) before any byte moves, and
// EndChunk records it held, with the digests of exactly the bytes written,
// once they are stored and checked. BeginChunk is refused once Complete
// has sealed the upload, and Complete waits for the writes begun before.
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
	writer := randomHex(8)
	now := uc.now()
	if err := uc.uploads.BeginChunk(ctx, owner, id, index, writer, now, now.Add(-staleWrite)); err != nil {
		return uc.chunkRefused(ctx, owner, id, index, err)
	}
	held := false
	defer func() {
		if !held {
			_ = uc.uploads.AbortChunk(context.WithoutCancel(ctx), owner, id, index, writer)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, chunkWriteTTL)
	defer cancel()
	stopBeat := uc.heartbeat(ctx, cancel, owner, id, index, writer)
	defer stopBeat()

	blocks := NewBlockHasher()
	counted := &countingReader{r: io.LimitReader(r, want+1), ctx: ctx}
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
		// Short only when the client's body ended early: a backend that
		// failed (stopped, full) stops reading too, and is no fault of the
		// client's.
		if counted.n < want && counted.ended {
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
	err = uc.uploads.EndChunk(ctx, &Chunk{UploadID: u.ID, OwnerID: owner, Index: index, Size: want,
		Digests: blocks.Digests(), ETag: etag}, writer)
	if err != nil {
		return uc.chunkRefused(ctx, owner, id, index, err)
	}
	held = true
	if err := uc.index.Set(ctx, id, index, true); err != nil {
		// Harmless: the client sees the chunk missing and sends it again.
		uc.log.WithContext(ctx).Warnw("msg", "chunk index not updated", "err", err)
	}
	return nil
}

// heartbeat keeps the write's claim on its chunk fresh while it runs; when
// the claim cannot be renewed (taken over, or the database out of reach for
// selfStop) it cancels the write, so a writer others may think dead has
// stopped writing.
func (uc *UploadUsecase) heartbeat(ctx context.Context, cancel context.CancelFunc, owner int64, id string, index int64, writer string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(uc.beat)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			err := uc.uploads.TouchChunk(ctx, owner, id, index, writer, uc.now())
			switch {
			case err == nil:
				last = time.Now()
			case errors.Is(err, ErrBusy) || time.Since(last) > selfStop:
				uc.log.WithContext(ctx).Warnw("msg", "chunk write stopped: its claim could not be renewed", "upload", id, "chunk", index, "err", err)
				cancel()
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

// RecoverSoleInstance forgets the chunk writes a crashed predecessor left
// begun: when this instance is the only writer, none of them is running.
func (uc *UploadUsecase) RecoverSoleInstance(ctx context.Context) error {
	n, err := uc.uploads.ClearWriters(ctx, uc.now())
	if n > 0 {
		uc.log.WithContext(ctx).Infow("msg", "chunk writes of a crashed process forgotten", "chunks", n)
	}
	return err
}

// chunkRefused turns the repo's refusal of a chunk write into a reason.
func (uc *UploadUsecase) chunkRefused(ctx context.Context, owner int64, id string, index int64, err error) error {
	switch {
	case errors.Is(err, ErrBusy):
		return errChunkBusy("chunk %d is being written by another request; retry in a moment", index)
	case errors.Is(err, ErrSealed):
		u, gerr := uc.open(ctx, owner, id)
		if gerr != nil {
			return gerr
		}
		if u.State == UploadOpen {
			return errCompleting()
		}
		return v1.ErrorUploadClosed("this upload is finished, aborted or expired")
	}
	return err
}

// countingReader counts what it reads and stops at its context's end (a
// write past chunkWriteTTL).
type countingReader struct {
	r     io.Reader
	n     int64
	ctx   context.Context
	ended bool // the body came to its end (io.EOF)
}

func (c *countingReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err == io.EOF {
		c.ended = true
	}
	return n, err
}
