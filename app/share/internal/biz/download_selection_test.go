package biz

import (
	"testing"
	"time"

	"go.uber.org/mock/gomock"
)

// "Download" with some items of a shared folder ticked: a zip of just
// those, each checked to lie inside the share.
func TestDownloadSelection(t *testing.T) {
	url := &SignedURL{URL: "/v1/download/archive?sig=x", ExpiresAt: testNow.Add(5 * time.Minute)}
	t.Run("two items: a zip of them, named after the folder", func(t *testing.T) {
		f := newFixture(t)
		s := f.share("")
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		f.live(s)
		f.subtree()
		f.storage.EXPECT().SignZip(gomock.Any(), alice, []int64{300, 200}, "photos.zip", s.Token).Return(url, nil)
		got, err := f.access.DownloadSelection(f.ctx, f.opened(s), []int64{300, 200})
		if err != nil || got != url {
			t.Fatalf("%v, %v", got, err)
		}
	})
	t.Run("one file: the file itself", func(t *testing.T) {
		f := newFixture(t)
		s := f.share("")
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		f.live(s)
		f.subtree()
		f.storage.EXPECT().SignDownload(gomock.Any(), alice, int64(300), s.Token).Return(url, nil)
		if _, err := f.access.DownloadSelection(f.ctx, f.opened(s), []int64{300}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an item outside the share refuses the whole selection", func(t *testing.T) {
		f := newFixture(t)
		s := f.share("")
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		f.live(s)
		f.subtree()
		// No SignZip: nothing is signed.
		_, err := f.access.DownloadSelection(f.ctx, f.opened(s), []int64{300, 400})
		wantReason(t, err, "NOT_IN_SHARE")
		f2 := newFixture(t)
		s2 := f2.share("")
		f2.shares.EXPECT().ByToken(gomock.Any(), s2.Token).Return(s2, nil)
		f2.live(s2)
		f2.subtree()
		_, err = f2.access.DownloadSelection(f2.ctx, f2.opened(s2), []int64{300, 900})
		wantReason(t, err, "NOT_IN_SHARE")
	})
}
