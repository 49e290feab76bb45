package biz

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"golang.org/x/sync/singleflight"

	v1 "clouddrive/api/storage/v1"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/auth"
)

// ThumbnailPath is the signed route that serves thumbnails.
const ThumbnailPath = "/v1/download/thumbnail"

// Thumbnail sizes: the longer side in pixels. Only these are made, so a
// content has at most this many thumbnails, whoever asks.
const (
	ThumbSmall = 256  // grids and lists
	ThumbLarge = 1024 // previews
)

// Thumbnailer renders thumbnails (a driver-free port: image decoders and
// tools live behind it). Render answers v1.ErrorNoThumbnail when the file
// cannot have one, with the reason; other errors are failures.
type Thumbnailer interface {
	// Can reports whether a file of this type and name can have a
	// thumbnail here (its kind is known and its tool installed).
	Can(mime, name string) bool
	// Render makes a JPEG whose longer side is at most edge pixels.
	Render(ctx context.Context, mime, name string, src io.ReadSeeker, size int64, edge int) ([]byte, error)
}

// ThumbCache keeps rendered thumbnails by key (content hash and size):
// content-addressed, so one entry serves every user with that content.
type ThumbCache interface {
	// Get returns ErrNotFound when the key was never put.
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, b []byte) error
}

// ThumbTransient is set in a NO_THUMBNAIL's metadata when asking again
// later may succeed (the render ran out of time): such a refusal is not
// cached.
const ThumbTransient = "transient"

// renderVersion ends every cache key (and ETag): it changes when rendering
// does, so thumbnails kept from before are made again. "-r2": JPEGs turned
// upright by their EXIF orientation.
const renderVersion = "-r2"

// noThumbMark starts a cached refusal ("no thumbnail", and why), so that a
// file that cannot have one is not decoded again at every request. A JPEG
// starts with 0xFF, never with this.
const noThumbMark = '!'

// ThumbnailUsecase hands out signed thumbnail URLs and serves them,
// rendering each content's thumbnail once.
type ThumbnailUsecase struct {
	files  FileService
	blobs  BlobRepo
	store  BlobStore
	render Thumbnailer
	cache  ThumbCache
	signer URLSigner
	policy *Policy
	now    Clock
	flight singleflight.Group
	log    *log.Helper
}

// NewThumbnailUsecase builds the use case.
func NewThumbnailUsecase(files FileService, blobs BlobRepo, store BlobStore, render Thumbnailer, cache ThumbCache,
	signer URLSigner, p *Policy, now Clock, logger log.Logger) *ThumbnailUsecase {
	return &ThumbnailUsecase{files: files, blobs: blobs, store: store, render: render, cache: cache, signer: signer,
		policy: p, now: now, log: log.NewHelper(log.With(logger, "module", "biz/thumbnail"))}
}

// ThumbLink is a signed thumbnail URL of a file.
type ThumbLink struct {
	ID          int64
	ContentHash string
	SignedURL
}

func thumbSize(size int) (int, error) {
	switch size {
	case 0:
		return ThumbSmall, nil
	case ThumbSmall, ThumbLarge:
		return size, nil
	}
	return 0, apierror.Invalid("size", fmt.Sprintf("thumbnails are %d or %d pixels, not %d", ThumbSmall, ThumbLarge, size))
}

// URLs signs thumbnail URLs for those of the owner's files that can have
// one. A node that is not the owner's, not a file or of another type is
// left out: the caller shows its icon.
func (uc *ThumbnailUsecase) URLs(ctx context.Context, owner int64, ids []int64, size int) ([]ThumbLink, error) {
	return uc.urls(ctx, owner, ids, size, "")
}

// ShareURLs signs them for a share's page: share is signed into each URL,
// so that every GET asks the share service whether the share still allows
// these nodes (the share service checked them before asking).
func (uc *ThumbnailUsecase) ShareURLs(ctx context.Context, owner int64, ids []int64, size int, share string) ([]ThumbLink, error) {
	return uc.urls(ctx, owner, ids, size, share)
}

func (uc *ThumbnailUsecase) urls(ctx context.Context, owner int64, ids []int64, size int, share string) ([]ThumbLink, error) {
	edge, err := thumbSize(size)
	if err != nil {
		return nil, err
	}
	out := make([]ThumbLink, 0, len(ids))
	for _, id := range ids {
		n, err := uc.files.GetFile(ctx, owner, id)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return nil, err
		}
		if n.Folder || n.ContentHash == "" || !uc.render.Can(n.Mime, n.Name) {
			continue
		}
		q := url.Values{"id": {strconv.FormatInt(id, 10)}, "s": {strconv.Itoa(edge)}}
		if share != "" {
			q.Set(paramShare, share)
		}
		out = append(out, ThumbLink{ID: id, ContentHash: n.ContentHash, SignedURL: SignedURL{
			URL:       uc.signer.Sign(ThumbnailPath, q, owner, uc.policy.URLTTL),
			ExpiresAt: uc.now().Add(min(uc.policy.URLTTL, auth.MaxURLTTL))}})
	}
	return out, nil
}

// isNotFound is any service's not-found answer (the file service's own
// reason passes through): a node the owner does not have.
func isNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || kerrors.Code(err) == http.StatusNotFound
}

// Thumb is a thumbnail ready to serve.
type Thumb struct {
	JPEG []byte
	// ETag names the content and size: a strong validator.
	ETag string
	Node *FileNode
	// Link is the signed URL's, to be checked before it is served.
	Link Link
}

// OpenSigned checks a signed thumbnail URL and returns the thumbnail of
// the file it names, rendering it on first use. The node is looked up
// again under the URL's user: only a file that user still has is shown.
func (uc *ThumbnailUsecase) OpenSigned(ctx context.Context, q url.Values) (*Thumb, error) {
	signed, err := uc.signer.Verify(ThumbnailPath, q)
	if err != nil {
		return nil, linkError()
	}
	id, err1 := strconv.ParseInt(q.Get("id"), 10, 64)
	edge, err2 := strconv.Atoi(q.Get("s"))
	if err1 != nil || err2 != nil {
		return nil, linkError()
	}
	t, err := uc.Get(ctx, signed.UserID, id, edge)
	if err != nil {
		return nil, err
	}
	t.Link = Link{UserID: signed.UserID, SignedAt: signed.SignedAt, Share: q.Get(paramShare), IDs: []int64{id}}
	return t, nil
}

// Get returns the thumbnail of one of the owner's files.
func (uc *ThumbnailUsecase) Get(ctx context.Context, owner, id int64, size int) (*Thumb, error) {
	edge, err := thumbSize(size)
	if err != nil {
		return nil, err
	}
	n, err := uc.files.GetFile(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	if n.Folder {
		return nil, v1.ErrorNoThumbnail("%q is a folder", n.Name)
	}
	key := n.ContentHash + "-" + strconv.Itoa(edge) + renderVersion
	b, err := uc.cached(ctx, key)
	if errors.Is(err, ErrNotFound) {
		b, err = uc.make(ctx, key, n, edge)
	}
	if err != nil {
		return nil, err
	}
	return &Thumb{JPEG: b, ETag: `"` + key + `"`, Node: n}, nil
}

// cached reads the cache; a cached refusal comes back as its error.
func (uc *ThumbnailUsecase) cached(ctx context.Context, key string) ([]byte, error) {
	b, err := uc.cache.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	if len(b) > 0 && b[0] == noThumbMark {
		return nil, v1.ErrorNoThumbnail("%s", b[1:])
	}
	return b, nil
}

// make renders a content's thumbnail once, however many ask at the same
// time (one flight per key), and keeps it, or the reason there is none.
// The render is not cancelled by the first asker leaving: the others wait
// for it, and the renderer bounds its time.
func (uc *ThumbnailUsecase) make(ctx context.Context, key string, n *FileNode, edge int) ([]byte, error) {
	v, err, _ := uc.flight.Do(key, func() (any, error) {
		ctx := context.WithoutCancel(ctx)
		if b, err := uc.cached(ctx, key); !errors.Is(err, ErrNotFound) {
			return b, err // made by the flight just before this one
		}
		body, err := openBlob(ctx, uc.blobs, uc.store, n.ContentHash, n.Size)
		if errors.Is(err, ErrNotFound) {
			return nil, errFileNotFound()
		}
		if err != nil {
			return nil, err
		}
		defer body.Close()
		b, err := uc.render.Render(ctx, n.Mime, n.Name, body, n.Size, edge)
		if v1.IsNoThumbnail(err) && kerrors.FromError(err).Metadata[ThumbTransient] == "" {
			uc.keep(ctx, key, append([]byte{noThumbMark}, kerrors.FromError(err).Message...))
			return nil, err
		}
		if err != nil {
			return nil, err
		}
		uc.keep(ctx, key, b)
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// keep caches b; a cache that fails costs a render next time, not the
// answer.
func (uc *ThumbnailUsecase) keep(ctx context.Context, key string, b []byte) {
	if err := uc.cache.Put(ctx, key, b); err != nil {
		uc.log.WithContext(ctx).Warnw("msg", "thumbnail not cached", "key", key, "err", err)
	}
}
