package biz

import (
	"context"
	"errors"

	v1 "clouddrive/api/storage/v1"
)

// Init starts an upload, or resumes the same one (same user, folder, name,
// size and hash). The answer has the same shape whether or not the content
// is stored already: every session carries a challenge, and it is the same
// challenge for every init of that content by that user in a period.
//
// Without a content hash (f.ContentHash empty) the upload is a plain chunked
// one, so the client can send at once and hash in parallel: no challenge, and
// no resume by a later init, since nothing would tell its held chunks from
// another file of the same name and size (the client resumes it by its id).
func (uc *UploadUsecase) Init(ctx context.Context, f NewFile) (*Session, error) {
	if f.Size > uc.policy.MaxFileSize {
		return nil, v1.ErrorFileTooLarge("files are limited to %d bytes", uc.policy.MaxFileSize)
	}
	now := uc.now()
	hashless := f.ContentHash == ""
	if !hashless {
		u, err := uc.uploads.FindResumable(ctx, f.Owner, f.Parent, f.Name, f.ContentHash, f.Size, now)
		if err == nil {
			return uc.session(ctx, u)
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	// Folder, name and quota are checked before any byte is taken.
	if err := uc.files.CheckCreate(ctx, f); err != nil {
		return nil, err
	}
	u := &Upload{ID: randomHex(16), OwnerID: f.Owner, ParentID: f.Parent, Name: f.Name, Mime: f.Mime, Size: f.Size,
		ContentHash: f.ContentHash, Hashless: hashless, ChunkSize: chunkSizeFor(f.Size, uc.policy.ChunkSize), Rename: f.Rename,
		Version: f.Version, State: UploadOpen, CreatedAt: now, ExpiresAt: now.Add(uc.policy.UploadTTL)}
	u.Nonce = []byte{} // no challenge without a hash (the record wants a value)
	if !hashless {
		u.ChallengePeriod = uc.policy.challengePeriod(now)
		u.Nonce = uc.policy.challengeNonce(f.Owner, f.ContentHash, f.Size, u.ChallengePeriod)
	}
	var err error
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
	return &Session{Upload: u, Held: []int64{}, Challenge: uc.challenge(u)}, nil
}
