package service

import (
	"net/http"
	"regexp"

	"github.com/go-kratos/kratos/v2/encoding"
	"github.com/go-kratos/kratos/v2/encoding/json"
	kerrors "github.com/go-kratos/kratos/v2/errors"

	filev1 "clouddrive/api/file/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

// SmallFilePath takes a whole file of at most one chunk in one request:
// PUT /v1/upload/file?parent_id=&name=&content_hash=&on_conflict= with the
// bytes as the body (Content-Length required).
const SmallFilePath = "/v1/upload/file"

const opPutFile = "/clouddrive.storage.v1.Bytes/PutFile"

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// PutFile is the single-request upload of a small file.
func (b *ByteRoutes) PutFile(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		w.Header().Set("Allow", http.MethodPut)
		b.fail(w, r, kerrors.New(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "use PUT"))
		return
	}
	ctx, err := b.admit.Admit(r.Context(), opPutFile, r.Header.Get)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	c, _ := auth.FromContext(ctx)
	q := r.URL.Query()
	if r.ContentLength < 0 {
		b.fail(w, r, kerrors.New(http.StatusLengthRequired, "LENGTH_REQUIRED", "send the body with a Content-Length"))
		return
	}
	f := biz.NewFile{Owner: c.UserID, Name: q.Get("name"), Size: r.ContentLength, ContentHash: q.Get("content_hash"),
		Mime: q.Get("mime"), Rename: rename(q.Get("on_conflict")), Version: version(q.Get("on_conflict"))}
	switch {
	case f.Name == "":
		b.fail(w, r, apierror.Invalid("name", "a file name is required"))
		return
	case f.ContentHash != "" && !hexHash.MatchString(f.ContentHash):
		b.fail(w, r, apierror.Invalid("content_hash", "64 lowercase hex digits"))
		return
	case len(f.Mime) > 255:
		b.fail(w, r, apierror.Invalid("mime", "at most 255 bytes"))
		return
	}
	if oc := q.Get("on_conflict"); oc != "" && oc != "fail" && oc != "rename" && oc != "version" {
		b.fail(w, r, apierror.Invalid("on_conflict", `"version", "fail" or "rename"`))
		return
	}
	if p := q.Get("parent_id"); p != "" {
		id, ok := parseID(p)
		if !ok {
			b.fail(w, r, filev1.ErrorParentNotFound("the destination folder does not exist"))
			return
		}
		f.Parent = id
	}
	ctx = apiserver.WithClient(ctx, apiserver.Client{IP: r.RemoteAddr, UserAgent: r.UserAgent()})
	n, err := b.uploads.PutFile(ctx, f, r.Body)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	body, err := encoding.GetCodec(json.Name).Marshal(toNode(n))
	if err != nil {
		b.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
