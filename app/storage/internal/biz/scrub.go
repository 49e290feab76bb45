package biz

import (
	"context"
	"errors"
	"io"

	"github.com/go-kratos/kratos/v2/log"
)

// ScrubUsecase re-hashes stored blobs and quarantines any whose bytes do not
// match their hash: whatever wrote them (a bug, a disk, someone with access
// to the bucket), a quarantined blob is never served and never given to a
// new upload; the next upload of the genuine content replaces it.
type ScrubUsecase struct {
	blobs BlobRepo
	store BlobStore
	now   Clock
	log   *log.Helper
}

// NewScrubUsecase builds the use case.
func NewScrubUsecase(blobs BlobRepo, store BlobStore, now Clock, logger log.Logger) *ScrubUsecase {
	return &ScrubUsecase{blobs: blobs, store: store, now: now, log: log.NewHelper(log.With(logger, "module", "biz/scrub"))}
}

// ScrubReport is one pass over a page of blobs.
type ScrubReport struct {
	Checked     int
	Quarantined []string
	// Next is where the following page starts; "" once every blob was seen.
	Next string
}

// Run checks up to limit blobs after the hash after.
func (uc *ScrubUsecase) Run(ctx context.Context, after string, limit int) (*ScrubReport, error) {
	if limit <= 0 {
		limit = 100
	}
	bs, err := uc.blobs.List(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	rep := &ScrubReport{}
	for _, b := range bs {
		if b.Deleting {
			continue
		}
		ok, err := uc.check(ctx, b)
		if err != nil {
			return nil, err
		}
		rep.Checked++
		if ok {
			if !b.Verified || b.QuarantinedAt != nil {
				if err := uc.blobs.Verify(ctx, b.Hash, b.Size, uc.now()); err != nil {
					return nil, err
				}
			}
			continue
		}
		uc.log.WithContext(ctx).Errorw("msg", "blob does not match its hash: quarantined", "hash", b.Hash)
		if err := uc.blobs.Quarantine(ctx, b.Hash, uc.now()); err != nil {
			return nil, err
		}
		rep.Quarantined = append(rep.Quarantined, b.Hash)
	}
	if len(bs) == limit {
		rep.Next = bs[len(bs)-1].Hash
	}
	return rep, nil
}

// RunAll checks every blob, page by page.
func (uc *ScrubUsecase) RunAll(ctx context.Context) (*ScrubReport, error) {
	total := &ScrubReport{}
	after := ""
	for {
		rep, err := uc.Run(ctx, after, 100)
		if err != nil {
			return total, err
		}
		total.Checked += rep.Checked
		total.Quarantined = append(total.Quarantined, rep.Quarantined...)
		if rep.Next == "" {
			return total, nil
		}
		after = rep.Next
	}
}

// check re-hashes one blob; false when it is missing, short, long or wrong.
func (uc *ScrubUsecase) check(ctx context.Context, b *Blob) (bool, error) {
	rs, err := uc.store.Open(ctx, b.Hash, b.Size)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer rs.Close()
	h := NewBlockHasher()
	n, err := io.Copy(h, io.LimitReader(rs, b.Size+1))
	if err != nil {
		return false, err
	}
	return n == b.Size && ContentHash(h.Digests()) == b.Hash, nil
}
