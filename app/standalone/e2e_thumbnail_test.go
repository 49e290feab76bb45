package standalone_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	fv1 "clouddrive/api/file/v1"
	sv1 "clouddrive/api/storage/v1"
)

const thumbnailURLs = "/v1/storage/thumbnails"

// Thumbnails over HTTP: signed for the caller's images only, served as
// JPEG with a long cache lifetime and a content ETag, refused with
// NO_THUMBNAIL for a file that is not an image, and never for another
// user's node.
func (e *env) testThumbnails(t *testing.T) {
	u := e.storeUser(t, "thumbs")
	pic := image.NewRGBA(image.Rect(0, 0, 800, 600))
	for y := range 600 {
		for x := range 800 {
			pic.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var jpg, pngb bytes.Buffer
	if err := jpeg.Encode(&jpg, pic, nil); err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(&pngb, pic); err != nil {
		t.Fatal(err)
	}
	webp, err := os.ReadFile("../storage/internal/thumb/testdata/sample.webp")
	if err != nil {
		t.Fatal(err)
	}
	put := func(name string, b []byte) *fv1.Node {
		var n fv1.Node
		u.c.ok(u.raw(http.MethodPut, uploadFile+"?"+url.Values{"name": {name}}.Encode(), u.tok, bytes.NewReader(b), int64(len(b))), &n)
		return &n
	}
	nodes := map[string]*fv1.Node{
		"photo.jpg":  put("photo.jpg", jpg.Bytes()),
		"shot.png":   put("shot.png", pngb.Bytes()),
		"small.webp": put("small.webp", webp),
		"broken.jpg": put("broken.jpg", []byte("\xff\xd8\xff this is no picture")),
		"notes.txt":  put("notes.txt", []byte("hello")),
	}
	ids := []string{}
	for _, n := range nodes {
		ids = append(ids, n.GetId())
	}
	var reply sv1.ThumbnailURLsReply
	u.c.ok(u.post(thumbnailURLs, map[string]any{"ids": ids, "size": 256}), &reply)
	urls := map[string]string{}
	for _, th := range reply.GetThumbnails() {
		urls[th.GetId()] = th.GetUrl()
	}
	if _, ok := urls[nodes["notes.txt"].GetId()]; ok || len(urls) != 4 {
		t.Fatalf("thumbnail URLs for %d files (want the 4 images, not the text): %v", len(urls), reply.GetThumbnails())
	}

	for name, want := range map[string][2]int{"photo.jpg": {256, 192}, "shot.png": {256, 192}, "small.webp": {64, 48}} {
		r := u.raw(http.MethodGet, urls[nodes[name].GetId()], "", nil, 0)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("%s: %s", name, r)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(r.body))
		if err != nil || cfg.Width != want[0] || cfg.Height != want[1] {
			t.Fatalf("%s: thumbnail %d×%d (%v), want %v", name, cfg.Width, cfg.Height, err, want)
		}
		if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=604800") || !strings.Contains(cc, "private") {
			t.Errorf("%s: Cache-Control %q", name, cc)
		}
		etag := r.header.Get("ETag")
		if again := u.raw(http.MethodGet, urls[nodes[name].GetId()], "", nil, 0, header{"If-None-Match", etag}); again.status != http.StatusNotModified {
			t.Errorf("%s: revalidation answered %d", name, again.status)
		}
	}
	u.c.fail(u.raw(http.MethodGet, urls[nodes["broken.jpg"].GetId()], "", nil, 0), 404, "NO_THUMBNAIL")

	// A tampered URL is refused; another user gets no URL for these nodes.
	tampered := strings.Replace(urls[nodes["photo.jpg"].GetId()], "s=256", "s=1024", 1)
	u.c.fail(u.raw(http.MethodGet, tampered, "", nil, 0), 403, "LINK_INVALID")
	other := e.storeUser(t, "thumbs-other")
	var theirs sv1.ThumbnailURLsReply
	other.c.ok(other.post(thumbnailURLs, map[string]any{"ids": ids}), &theirs)
	if len(theirs.GetThumbnails()) != 0 {
		t.Fatalf("another user got thumbnails of these files: %v", theirs.GetThumbnails())
	}
	// Sizes other than 256 and 1024 are refused; no token, no URLs.
	u.c.fail(u.post(thumbnailURLs, map[string]any{"ids": ids, "size": 4000}), 400, "VALIDATION_FAILED")
	u.c.fail(u.c.post(thumbnailURLs, "", map[string]any{"ids": ids}), 401, "UNAUTHENTICATED")
}
