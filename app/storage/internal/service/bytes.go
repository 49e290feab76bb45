package service

import (
	"context"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/gorilla/mux"

	"clouddrive/app/storage/internal/biz"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

// ChunkPrefix is where chunk PUTs go: ChunkPrefix/{upload_id}/{index}.
const ChunkPrefix = "/v1/upload"

// Operation names of the raw routes, for access checks and logs. They are
// not RPCs, so they are bearer by default (unknown operations are).
const (
	opPutChunk = "/clouddrive.storage.v1.Bytes/PutChunk"
)

// ByteRoutes serve the bytes: chunk PUTs and signed downloads. They are
// plain HTTP (APISIX proxies them as HTTP, never transcodes them).
type ByteRoutes struct {
	uploads   *biz.UploadUsecase
	downloads *biz.DownloadUsecase
	shares    *biz.ShareGate
	admit     *auth.Options
	log       *log.Helper
	logger    log.Logger
}

// NewByteRoutes builds the routes.
func NewByteRoutes(uploads *biz.UploadUsecase, downloads *biz.DownloadUsecase, shares *biz.ShareGate, logger log.Logger) *ByteRoutes {
	return &ByteRoutes{uploads: uploads, downloads: downloads, shares: shares, logger: logger,
		log: log.NewHelper(log.With(logger, "module", "service/bytes"))}
}

// SetAuth gives the routes the server's auth options (the same the
// middleware uses).
func (b *ByteRoutes) SetAuth(o auth.Options) { b.admit = &o }

func (b *ByteRoutes) fail(w http.ResponseWriter, r *http.Request, err error) {
	se := apierror.Public(r.Context(), b.log, err)
	apierror.WriteHTTP(w, apierror.Localize(se, r.Header.Get("Accept-Language")))
}

// PutChunk is PUT /v1/upload/{upload_id}/{index} with the chunk as body.
func (b *ByteRoutes) PutChunk(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		w.Header().Set("Allow", http.MethodPut)
		b.fail(w, r, kerrors.New(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use PUT"))
		return
	}
	ctx, err := b.admit.Admit(r.Context(), opPutChunk, r.Header.Get)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	c, _ := auth.FromContext(ctx)
	vars := mux.Vars(r)
	index, err := strconv.ParseInt(vars["index"], 10, 64)
	if err != nil {
		b.fail(w, r, apierror.Invalid("index", "not a chunk index"))
		return
	}
	digest, err := contentDigest(r.Header.Get("Content-Digest"))
	if err != nil {
		b.fail(w, r, err)
		return
	}
	ctx = apiserver.WithClient(ctx, apiserver.Client{IP: r.RemoteAddr, UserAgent: r.UserAgent()})
	if err := b.uploads.PutChunk(ctx, c.UserID, vars["upload_id"], index, r.Body, digest); err != nil {
		b.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// contentDigest reads the sha-256 member of an RFC 9530 Content-Digest
// ("sha-256=:base64:"); other algorithms are ignored.
func contentDigest(h string) ([]byte, error) {
	if h == "" {
		return nil, nil
	}
	for _, member := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(member), "=")
		if !ok || strings.ToLower(k) != "sha-256" {
			continue
		}
		if len(v) < 2 || v[0] != ':' || v[len(v)-1] != ':' {
			return nil, apierror.Invalid("Content-Digest", "sha-256 must be a byte sequence (:base64:)")
		}
		d, err := base64.StdEncoding.DecodeString(v[1 : len(v)-1])
		if err != nil || len(d) != 32 {
			return nil, apierror.Invalid("Content-Digest", "sha-256 is not 32 base64 bytes")
		}
		return d, nil
	}
	return nil, nil
}

// downloadHeaders keep a served file from ever running as a page of ours.
func downloadHeaders(w http.ResponseWriter, name string, inline bool, ctype string) {
	h := w.Header()
	disp := "attachment"
	if inline {
		disp = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": name}))
	if ctype == "" {
		ctype = mime.TypeByExtension(path.Ext(name))
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h.Set("Content-Type", ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'")
	h.Set("Cache-Control", "private, max-age=0, must-revalidate")
}

// File is GET /v1/download/file?id=&uid=&exp=&sig=: Range, If-Range and
// ETag through http.ServeContent, memory bounded by its copy buffer.
func (b *ByteRoutes) File(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		b.fail(w, r, kerrors.New(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use GET"))
		return
	}
	o, err := b.downloads.OpenSigned(r.Context(), r.URL.Query())
	if err != nil {
		b.fail(w, r, err)
		return
	}
	defer o.Body.Close()
	// The content hash names the bytes exactly: a strong validator.
	etag := `"` + o.Node.ContentHash + `"`
	if err := b.checkLink(r.Context(), o.Link, startsDownload(r, etag, o.Node.Size)); err != nil {
		b.fail(w, r, err)
		return
	}
	downloadHeaders(w, o.Node.Name, o.Inline, o.Node.Mime)
	w.Header().Set("ETag", etag)
	http.ServeContent(w, r, "", o.Node.UpdatedAt, o.Body)
}

// checkLink is made at every request for bytes, whatever the URL said when
// it was signed: its user's tokens must not have been revoked since
// (disabled, password changed, email claimed, signed out everywhere), and
// a share's URL must still be allowed by the share, which counts a
// download when counted is set.
func (b *ByteRoutes) checkLink(ctx context.Context, l biz.Link, counted bool) error {
	if b.admit == nil {
		return errors.New("byte routes: no auth options")
	}
	if err := b.admit.CheckSignedURL(ctx, l.UserID, l.SignedAt); err != nil {
		return err
	}
	return b.shares.Check(ctx, l, counted)
}

// startsDownload reports whether a request serves a file from its first
// byte: that is a download, counted against a share's limit. A Range that
// starts later continues a download already counted (a resume, or one of
// several parallel parts): it is checked but not counted, and not refused
// by the limit, so that the download the limit allowed can finish; its URL
// lives minutes, and none is signed once the limit is reached. HEAD serves
// no bytes and counts nothing.
func startsDownload(r *http.Request, etag string, size int64) bool {
	if r.Method != http.MethodGet {
		return false
	}
	spec, ok := strings.CutPrefix(r.Header.Get("Range"), "bytes=")
	if !ok {
		return true // no Range (or one ServeContent ignores): the whole file
	}
	if ir := r.Header.Get("If-Range"); ir != "" && ir != etag {
		return true // a stale validator gets the whole file
	}
	for _, part := range strings.Split(spec, ",") {
		first, last, _ := strings.Cut(strings.TrimSpace(part), "-")
		if first == "" { // the last n bytes: from the start when n covers the file
			n, err := strconv.ParseInt(last, 10, 64)
			if err != nil || n >= size {
				return true
			}
			continue
		}
		if n, err := strconv.ParseInt(first, 10, 64); err != nil || n <= 0 {
			return true
		}
	}
	return false
}

// Zip is GET /v1/download/archive?ids=&name=&uid=&exp=&sig=.
func (b *ByteRoutes) Zip(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		b.fail(w, r, kerrors.New(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use GET"))
		return
	}
	z, err := b.downloads.OpenZip(r.Context(), r.URL.Query())
	if err != nil {
		b.fail(w, r, err)
		return
	}
	// A zip is streamed whole (no ranges): every GET is a download.
	if err := b.checkLink(r.Context(), z.Link, true); err != nil {
		b.fail(w, r, err)
		return
	}
	downloadHeaders(w, z.Name, false, "application/zip")
	if err := z.WriteTo(r.Context(), w); err != nil && r.Context().Err() == nil {
		// Headers are gone: all that is left is to cut the stream short.
		b.log.WithContext(r.Context()).Errorw("msg", "zip stream failed", "err", err)
		panic(http.ErrAbortHandler)
	}
}
