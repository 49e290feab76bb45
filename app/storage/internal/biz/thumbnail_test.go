package biz

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"go.uber.org/mock/gomock"

	filev1 "clouddrive/api/file/v1"
	v1 "clouddrive/api/storage/v1"
	"clouddrive/pkg/auth"
)

// memThumbCache is a ThumbCache in memory.
type memThumbCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *memThumbCache) Get(_ context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.m[key]; ok {
		return b, nil
	}
	return nil, ErrNotFound
}

func (c *memThumbCache) Put(_ context.Context, key string, b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = b
	return nil
}

type thumbFixture struct {
	uc     *ThumbnailUsecase
	files  *MockFileService
	blobs  *MockBlobRepo
	store  *MockBlobStore
	render *MockThumbnailer
	cache  *memThumbCache
}

func newThumbFixture(t *testing.T) *thumbFixture {
	ctrl := gomock.NewController(t)
	f := &thumbFixture{files: NewMockFileService(ctrl), blobs: NewMockBlobRepo(ctrl), store: NewMockBlobStore(ctrl),
		render: NewMockThumbnailer(ctrl), cache: &memThumbCache{m: map[string][]byte{}}}
	f.uc = NewThumbnailUsecase(f.files, f.blobs, f.store, f.render, f.cache, auth.NewURLSigner([]byte("test secret")),
		&Policy{URLTTL: 5 * time.Minute}, NewClock(), log.NewStdLogger(io.Discard))
	return f
}

func photo(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	img.Set(0, 0, color.White)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func hashOf(c byte) string { return strings.Repeat(string(c), 64) }

// A content's thumbnail is rendered once: a second request, by the same
// user or another with the same content, is served from the cache.
func TestThumbnailRenderedOncePerContent(t *testing.T) {
	f := newThumbFixture(t)
	src := photo(t)
	mine := &FileNode{ID: 7, Name: "cat.jpg", Mime: "image/jpeg", ContentHash: hashOf('a'), Size: int64(len(src))}
	theirs := &FileNode{ID: 9, Name: "copy of cat.jpg", Mime: "image/jpeg", ContentHash: hashOf('a'), Size: int64(len(src))}
	f.files.EXPECT().GetFile(gomock.Any(), int64(1), int64(7)).Return(mine, nil).Times(2)
	f.files.EXPECT().GetFile(gomock.Any(), int64(2), int64(9)).Return(theirs, nil)
	f.blobs.EXPECT().Get(gomock.Any(), mine.ContentHash).Return(&Blob{Hash: mine.ContentHash, Size: mine.Size}, nil)
	f.store.EXPECT().Open(gomock.Any(), mine.ContentHash, mine.Size).Return(seekCloser{bytes.NewReader(src)}, nil)
	rendered := []byte("\xff\xd8 a thumbnail")
	f.render.EXPECT().Render(gomock.Any(), "image/jpeg", "cat.jpg", gomock.Any(), mine.Size, ThumbSmall).Return(rendered, nil).Times(1)

	for _, c := range []struct{ owner, id int64 }{{1, 7}, {1, 7}, {2, 9}} {
		th, err := f.uc.Get(context.Background(), c.owner, c.id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(th.JPEG, rendered) || th.ETag != `"`+hashOf('a')+`-256-r2"` {
			t.Fatalf("got %q etag %s", th.JPEG, th.ETag)
		}
	}
}

// A file that cannot have a thumbnail is refused with NO_THUMBNAIL (404),
// and the refusal is kept: the file is not decoded again.
func TestNoThumbnailIsCachedToo(t *testing.T) {
	f := newThumbFixture(t)
	n := &FileNode{ID: 7, Name: "huge.png", Mime: "image/png", ContentHash: hashOf('b'), Size: 100}
	f.files.EXPECT().GetFile(gomock.Any(), int64(1), int64(7)).Return(n, nil).Times(2)
	f.blobs.EXPECT().Get(gomock.Any(), n.ContentHash).Return(&Blob{Hash: n.ContentHash, Size: n.Size}, nil)
	f.store.EXPECT().Open(gomock.Any(), n.ContentHash, n.Size).Return(seekCloser{bytes.NewReader(make([]byte, 100))}, nil)
	f.render.EXPECT().Render(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).
		Return(nil, v1.ErrorNoThumbnail("too large: 10000×10000")).Times(1)
	for range 2 {
		_, err := f.uc.Get(context.Background(), 1, 7, ThumbLarge)
		if e := wantReason(t, err, 404, "NO_THUMBNAIL"); !strings.Contains(e.Message, "10000×10000") {
			t.Fatalf("the reason is lost: %q", e.Message)
		}
	}
}

// A render that ran out of time is not kept: the next request tries again.
func TestTransientRefusalIsNotCached(t *testing.T) {
	f := newThumbFixture(t)
	n := &FileNode{ID: 7, Name: "clip.mp4", Mime: "video/mp4", ContentHash: hashOf('c'), Size: 10}
	f.files.EXPECT().GetFile(gomock.Any(), int64(1), int64(7)).Return(n, nil).Times(2)
	f.blobs.EXPECT().Get(gomock.Any(), n.ContentHash).Return(&Blob{Hash: n.ContentHash, Size: n.Size}, nil).Times(2)
	f.store.EXPECT().Open(gomock.Any(), n.ContentHash, n.Size).Return(seekCloser{bytes.NewReader(make([]byte, 10))}, nil).Times(2)
	gomock.InOrder(
		f.render.EXPECT().Render(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).
			Return(nil, v1.ErrorNoThumbnail("took too long").WithMetadata(map[string]string{ThumbTransient: "true"})),
		f.render.EXPECT().Render(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).
			Return([]byte("\xff\xd8 frame"), nil),
	)
	_, err := f.uc.Get(context.Background(), 1, 7, 0)
	wantReason(t, err, 404, "NO_THUMBNAIL")
	if _, err := f.uc.Get(context.Background(), 1, 7, 0); err != nil {
		t.Fatalf("the second try: %v", err)
	}
}

// URLs are signed only for the caller's own files that can have a
// thumbnail; another user's node, a folder and a zip are left out, and a
// signed URL serves only the node and user it was signed for.
func TestThumbnailURLsAndAccess(t *testing.T) {
	f := newThumbFixture(t)
	pic := &FileNode{ID: 7, Name: "cat.jpg", Mime: "image/jpeg", ContentHash: hashOf('d'), Size: 10}
	zip := &FileNode{ID: 8, Name: "a.zip", Mime: "application/zip", ContentHash: hashOf('e'), Size: 10}
	dir := &FileNode{ID: 10, Name: "Photos", Folder: true}
	f.files.EXPECT().GetFile(gomock.Any(), int64(1), int64(7)).Return(pic, nil).AnyTimes()
	f.files.EXPECT().GetFile(gomock.Any(), int64(1), int64(8)).Return(zip, nil)
	f.files.EXPECT().GetFile(gomock.Any(), int64(1), int64(10)).Return(dir, nil)
	// Node 9 is user 2's: the file service does not find it for user 1.
	f.files.EXPECT().GetFile(gomock.Any(), int64(1), int64(9)).Return(nil, filev1.ErrorNodeNotFound("no such file or folder")).Times(2)
	f.render.EXPECT().Can("image/jpeg", "cat.jpg").Return(true)
	f.render.EXPECT().Can("application/zip", "a.zip").Return(false)

	links, err := f.uc.URLs(context.Background(), 1, []int64{7, 8, 9, 10}, ThumbLarge)
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].ID != 7 || links[0].ContentHash != pic.ContentHash {
		t.Fatalf("links = %+v, want node 7 only", links)
	}
	u, err := url.Parse(links[0].URL)
	if err != nil || u.Path != ThumbnailPath || u.Query().Get("s") != "1024" {
		t.Fatalf("url %q", links[0].URL)
	}

	// The URL works for the node it names...
	f.cache.m[pic.ContentHash+"-1024"+renderVersion] = []byte("\xff\xd8 cached")
	th, err := f.uc.OpenSigned(context.Background(), u.Query())
	if err != nil || th.Link.UserID != 1 || th.Link.Share != "" {
		t.Fatalf("open: %+v %v", th, err)
	}
	// ...and for no other: an edited id or user breaks the signature.
	for _, edit := range []func(q url.Values){
		func(q url.Values) { q.Set("id", "9") },
		func(q url.Values) { q.Set("uid", "2") },
		func(q url.Values) { q.Set("s", "256") },
		func(q url.Values) { q.Del("sig") },
	} {
		q := u.Query()
		edit(q)
		_, err := f.uc.OpenSigned(context.Background(), q)
		wantReason(t, err, 403, "LINK_INVALID")
	}
	// Asked directly, another user's node is not found.
	_, err = f.uc.Get(context.Background(), 1, 9, 0)
	wantReason(t, err, 404, "NODE_NOT_FOUND")

	// Sizes other than the two are refused, so a content has two thumbnails at most.
	_, err = f.uc.URLs(context.Background(), 1, []int64{7}, 4096)
	if e := kerrors.FromError(err); e.Code != 400 {
		t.Fatalf("size 4096: %v", err)
	}
}
