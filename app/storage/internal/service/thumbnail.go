package service

import (
	"context"
	"net/http"
	"strconv"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	v1 "clouddrive/api/storage/v1"
	"clouddrive/app/storage/internal/biz"
)

// ThumbnailService signs thumbnail URLs (the Thumbnails API) and serves
// them (the signed byte route).
type ThumbnailService struct {
	v1.UnimplementedThumbnailsServer
	thumbs *biz.ThumbnailUsecase
	bytes  *ByteRoutes
}

var _ v1.ThumbnailsHTTPServer = (*ThumbnailService)(nil)

// NewThumbnailService builds the service; it answers and checks links as
// the other byte routes do.
func NewThumbnailService(thumbs *biz.ThumbnailUsecase, b *ByteRoutes) *ThumbnailService {
	return &ThumbnailService{thumbs: thumbs, bytes: b}
}

func (s *ThumbnailService) ThumbnailURLs(ctx context.Context, req *v1.ThumbnailURLsRequest) (*v1.ThumbnailURLsReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	// An id that cannot be a node names nothing of the caller's: left out
	// like any other.
	ids := make([]int64, 0, len(req.GetIds()))
	for _, raw := range req.GetIds() {
		if id, ok := parseID(raw); ok {
			ids = append(ids, id)
		}
	}
	links, err := s.thumbs.URLs(ctx, uid, ids, int(req.GetSize()))
	if err != nil {
		return nil, err
	}
	return toThumbnailURLs(links), nil
}

func toThumbnailURLs(links []biz.ThumbLink) *v1.ThumbnailURLsReply {
	out := &v1.ThumbnailURLsReply{Thumbnails: make([]*v1.ThumbnailURL, len(links))}
	for i, l := range links {
		out.Thumbnails[i] = &v1.ThumbnailURL{Id: formatID(l.ID), Url: l.URL, ExpiresAt: timestamp(l.ExpiresAt),
			ContentHash: l.ContentHash}
	}
	return out
}

// thumbMaxAge is how long browsers keep a thumbnail: its URL names the
// content (through the node, checked at each request for it), and a
// content's thumbnail never changes.
const thumbMaxAge = 7 * 24 * 3600

// Serve is GET /v1/download/thumbnail?id=&s=&uid=&iat=&exp=&sig=: a JPEG,
// with an ETag of content and size and a long private cache lifetime.
func (s *ThumbnailService) Serve(w http.ResponseWriter, r *http.Request) {
	b := s.bytes
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		b.fail(w, r, kerrors.New(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use GET"))
		return
	}
	t, err := s.thumbs.OpenSigned(r.Context(), r.URL.Query())
	if err != nil {
		b.fail(w, r, err)
		return
	}
	// A thumbnail is no download: a share's limit does not count it.
	if err := b.checkLink(r.Context(), t.Link, false); err != nil {
		b.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, max-age="+strconv.Itoa(thumbMaxAge)+", immutable")
	h.Set("ETag", t.ETag)
	if match := r.Header.Get("If-None-Match"); match != "" && match == t.ETag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(t.JPEG)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(t.JPEG)
}
