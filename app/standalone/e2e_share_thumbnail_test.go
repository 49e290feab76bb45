package standalone_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/url"
	"strings"
	"testing"

	fv1 "clouddrive/api/file/v1"
	sv1 "clouddrive/api/storage/v1"
)

const shareThumbnailsPath = "/v1/share/thumbnails"

// Thumbnails on a share's page: a visitor with the share's access token
// gets thumbnail URLs for the shared folder's pictures (not its text, not
// the owner's files outside the share), each a valid JPEG served with the
// owner's long cache headers, and none once the share is revoked.
func (e *env) testShareThumbnails(t *testing.T) {
	owner := e.storeUser(t, "sh-thumb-owner")
	pic := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			pic.Set(x, y, color.RGBA{uint8(x), uint8(y), 40, 255})
		}
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, pic, nil); err != nil {
		t.Fatal(err)
	}
	put := func(parent, name string, b []byte) *fv1.Node {
		var n fv1.Node
		q := url.Values{"name": {name}, "parent_id": {parent}}
		owner.c.ok(owner.raw(http.MethodPut, uploadFile+"?"+q.Encode(), owner.tok, bytes.NewReader(b), int64(len(b))), &n)
		return &n
	}
	dir := owner.mkdir("", "holiday")
	photo := put(dir.GetId(), "beach.jpg", jpg.Bytes())
	notes := put(dir.GetId(), "notes.txt", []byte("sunny"))
	outside := put("", "private.jpg", jpg.Bytes())
	s := owner.createShare(map[string]any{"node_id": dir.GetId(), "generate_code": true})

	v := e.anonymous(t)
	// Without the share's access token (no code given): nothing.
	v.c.fail(v.c.post(shareThumbnailsPath, "", map[string]any{"ids": []string{photo.GetId()}}), 401, "SHARE_TOKEN_INVALID")
	v.c.fail(v.open(s.GetToken(), "0000"), 403, "CODE_WRONG")
	at := v.mustOpen(s.GetToken(), s.GetCode())

	var r sv1.ThumbnailURLsReply
	v.c.ok(v.c.post(shareThumbnailsPath, "", map[string]any{"ids": []string{photo.GetId(), notes.GetId()}, "size": 256}, xShare(at)), &r)
	if len(r.GetThumbnails()) != 1 || r.GetThumbnails()[0].GetId() != photo.GetId() {
		t.Fatalf("share thumbnails %v, want beach.jpg's only", r.GetThumbnails())
	}
	th := r.GetThumbnails()[0]
	if th.GetContentHash() == "" || th.GetExpiresAt() == "" || !strings.Contains(th.GetUrl(), "share=") {
		t.Fatalf("thumbnail %v: want a content hash, an expiry and the share in the URL", th)
	}
	got := v.c.get(th.GetUrl(), "")
	if got.status != http.StatusOK || got.header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("GET the share's thumbnail: %s", got)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(got.body))
	if err != nil || cfg.Width != 256 || cfg.Height != 192 {
		t.Fatalf("thumbnail %d×%d (%v), want 256×192", cfg.Width, cfg.Height, err)
	}
	if cc := got.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=604800") {
		t.Errorf("Cache-Control %q", cc)
	}
	// A thumbnail is no download: the share's counter does not move.
	if n := owner.myShare(s.GetToken()).GetDownloads(); n != 0 {
		t.Errorf("fetching a thumbnail counted %d downloads", n)
	}

	// The owner's picture outside the shared folder, another user's file,
	// an id that is no node: refused, nothing signed.
	stranger := e.storeUser(t, "sh-thumb-stranger")
	theirs := stranger.uploadHTTP("", "theirs.bin", small(77, 100))
	for _, id := range []string{outside.GetId(), theirs.GetId(), "x"} {
		v.c.fail(v.c.post(shareThumbnailsPath, "", map[string]any{"ids": []string{photo.GetId(), id}}, xShare(at)), 404, "NOT_IN_SHARE")
	}

	// Revoked: no new URLs, and the URL signed before answers no more.
	owner.c.ok(owner.post(shareRevokePath, map[string]string{"token": s.GetToken()}), nil)
	v.c.fail(v.c.post(shareThumbnailsPath, "", map[string]any{"ids": []string{photo.GetId()}}, xShare(at)), 410, "SHARE_REVOKED")
	v.c.fail(v.c.get(th.GetUrl(), ""), 410, "SHARE_REVOKED")
}
