package biz

import (
	"context"
	"time"

	"github.com/go-kratos/kratos/v2/log"
)

// GCUsecase collects what nobody needs: expired uploads with their chunks,
// and blobs no node references for a grace period. Whether a blob is
// referenced is asked of the file service each sweep, never inferred from
// events, so a lost event can never delete live data.
type GCUsecase struct {
	uploads UploadRepo
	blobs   BlobRepo
	store   BlobStore
	files   FileService
	policy  *Policy
	now     Clock
	log     *log.Helper
}

// NewGCUsecase builds the use case.
func NewGCUsecase(uploads UploadRepo, blobs BlobRepo, store BlobStore, files FileService, p *Policy, now Clock, logger log.Logger) *GCUsecase {
	return &GCUsecase{uploads: uploads, blobs: blobs, store: store, files: files, policy: p, now: now,
		log: log.NewHelper(log.With(logger, "module", "biz/gc"))}
}

// Collected counts what a run removed.
type Collected struct {
	Uploads int
	Blobs   int
	Bytes   int64
}

// Run collects expired uploads, then sweeps blobs.
func (uc *GCUsecase) Run(ctx context.Context) (*Collected, error) {
	out := &Collected{}
	if err := uc.collectUploads(ctx, out); err != nil {
		return out, err
	}
	return out, uc.sweep(ctx, out)
}

func (uc *GCUsecase) collectUploads(ctx context.Context, out *Collected) error {
	for {
		us, err := uc.uploads.Expired(ctx, uc.now(), 200)
		if err != nil || len(us) == 0 {
			return err
		}
		for _, u := range us {
			if u.State == UploadOpen {
				if err := uc.store.Discard(ctx, u); err != nil {
					return err
				}
			}
			if err := uc.uploads.Delete(ctx, u.OwnerID, u.ID); err != nil {
				return err
			}
			out.Uploads++
		}
	}
}

// sweep pages through blobs. An unreferenced blob is marked the first time;
// once marked for longer than the grace period it is claimed (no pin since),
// asked about once more, and only then deleted. Uploads and proofs pin a
// blob before creating a node, and refuse a claimed one, so a node created
// while a sweep runs never loses its content.
func (uc *GCUsecase) sweep(ctx context.Context, out *Collected) error {
	after := ""
	for {
		bs, err := uc.blobs.List(ctx, after, 500)
		if err != nil || len(bs) == 0 {
			return err
		}
		after = bs[len(bs)-1].Hash
		hashes := make([]string, 0, len(bs))
		for _, b := range bs {
			if !b.Deleting {
				hashes = append(hashes, b.Hash)
			}
		}
		refs, err := uc.files.ReferencedHashes(ctx, hashes)
		if err != nil {
			return err
		}
		referenced := make(map[string]bool, len(refs))
		for _, h := range refs {
			referenced[h] = true
		}
		var unref, back []string
		for _, b := range bs {
			switch {
			case b.Deleting:
				// A claim that a crash left behind: finish it below.
				unref = append(unref, b.Hash)
			case referenced[b.Hash] && b.UnreferencedSince != nil:
				back = append(back, b.Hash)
			case !referenced[b.Hash]:
				unref = append(unref, b.Hash)
			}
		}
		if err := uc.blobs.Unmark(ctx, back); err != nil {
			return err
		}
		now := uc.now()
		if err := uc.blobs.Mark(ctx, unref, now); err != nil {
			return err
		}
		for _, b := range bs {
			if b.Deleting || (!referenced[b.Hash] && b.UnreferencedSince != nil) {
				if err := uc.collect(ctx, b, now, out); err != nil {
					return err
				}
			}
		}
	}
}

func (uc *GCUsecase) collect(ctx context.Context, b *Blob, now time.Time, out *Collected) error {
	if !b.Deleting {
		// A pin younger than a completion's lease may still be turning into
		// a node: it keeps the blob whatever the grace period.
		ok, err := uc.blobs.Claim(ctx, b.Hash, now.Add(-uc.policy.BlobGrace), now.Add(-max(uc.policy.BlobGrace, leaseTTL)))
		if err != nil || !ok {
			return err
		}
	}
	// Claimed: no new use can start. Ask once more, for a node created
	// between the first question and the claim.
	refs, err := uc.files.ReferencedHashes(ctx, []string{b.Hash})
	if err != nil {
		return err
	}
	if len(refs) > 0 {
		return uc.blobs.Unclaim(ctx, b.Hash)
	}
	if err := uc.store.Delete(ctx, b.Hash); err != nil {
		return err
	}
	if err := uc.blobs.Delete(ctx, b.Hash); err != nil {
		return err
	}
	out.Blobs++
	out.Bytes += b.Size
	uc.log.WithContext(ctx).Infow("msg", "blob collected", "hash", b.Hash, "size", b.Size)
	return nil
}
