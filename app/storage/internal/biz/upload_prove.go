package biz

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	commonv1 "clouddrive/api/common/v1"
)

// Prove finishes an upload without its bytes when the content is stored
// and the proof matches. A wrong proof and absent content are refused alike,
// and a user may try only a few proofs of one content in a period, however
// many uploads they start.
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
	if u.Hashless {
		// Nothing names the content to prove: not a refusal of a proof.
		return nil, commonv1.ErrorValidationFailed("this upload was started without a content hash; instant upload needs an init with it").
			WithMetadata(map[string]string{"field": "upload_id"})
	}
	ok, err := uc.uploads.CountProof(ctx, owner, u.ContentHash, u.ChallengePeriod, uc.policy.ProveAttempts)
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
	// Only content published under the integrity invariant (or verified by
	// the scrub since) is given away on a proof.
	b, err := uc.blobs.Get(ctx, u.ContentHash)
	if errors.Is(err, ErrNotFound) || (err == nil && !b.Trusted(u.Size)) {
		return nil, errProofRejected()
	}
	if err != nil {
		return nil, err
	}
	want, err := uc.expectedProof(ctx, u)
	if errors.Is(err, ErrNotFound) {
		return nil, errProofRejected()
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(proof, want) != 1 {
		return nil, errProofRejected()
	}
	// The lease keeps a Complete of the same upload from making a second node.
	now := uc.now()
	if ok, err := uc.uploads.Lease(ctx, owner, id, now, now.Add(leaseTTL)); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, errCompleting()
	}
	finished := false // Finish ends the lease with the upload
	defer func() {
		if !finished {
			_ = uc.uploads.Release(context.WithoutCancel(ctx), owner, id)
		}
	}()
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
	finished = true
	_ = uc.store.Discard(ctx, u)
	return n, nil
}

// expectedProof is SHA-256(nonce ‖ each challenged range) of the stored blob.
func (uc *UploadUsecase) expectedProof(ctx context.Context, u *Upload) ([]byte, error) {
	rs, err := uc.store.Open(ctx, u.ContentHash, u.Size)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	return Proof(rs, u.Nonce, uc.policy.ChallengeRanges(u.Nonce, u.Size))
}

// Proof is SHA-256(nonce ‖ the bytes of each range, in order) of content.
func Proof(content io.ReadSeeker, nonce []byte, ranges []Range) ([]byte, error) {
	h := sha256.New()
	h.Write(nonce)
	for _, r := range ranges {
		if _, err := content.Seek(r.Offset, io.SeekStart); err != nil {
			return nil, err
		}
		if _, err := io.CopyN(h, content, r.Length); err != nil {
			return nil, fmt.Errorf("reading the challenged range: %w", err)
		}
	}
	return h.Sum(nil), nil
}
