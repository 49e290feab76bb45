package biz

import (
	"testing"
	"time"

	"go.uber.org/mock/gomock"
)

// Thumbnails on a share's page: signed only for ids inside the share, with
// the share's token in them, and only while the share stands.
func TestShareThumbnails(t *testing.T) {
	signed := []Thumbnail{{ID: 300, ContentHash: "h300",
		SignedURL: SignedURL{URL: "/v1/download/thumbnail?id=300&share=x", ExpiresAt: testNow.Add(5 * time.Minute)}}}
	t.Run("items inside: signed for the owner through the share", func(t *testing.T) {
		f := newFixture(t)
		s := f.share("ab12")
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		f.live(s)
		f.subtree()
		// The folder 200 is passed on too: storage leaves it out.
		f.storage.EXPECT().SignThumbnails(gomock.Any(), alice, []int64{300, 200}, 256, s.Token).Return(signed, nil)
		got, err := f.access.Thumbnails(f.ctx, f.opened(s), []int64{300, 200, 300}, 256)
		if err != nil || len(got) != 1 || got[0].ID != 300 {
			t.Fatalf("%v, %v", got, err)
		}
	})
	// No SignThumbnails is expected below: the mock fails the test if any
	// URL is signed.
	for _, tt := range []struct {
		name string
		ids  []int64
	}{
		{"the owner's folder above the share", []int64{300, 5}},
		{"the owner's node elsewhere", []int64{400}},
		{"another user's node (not the owner's: not found under her)", []int64{300, 900}},
	} {
		t.Run(tt.name+": refused, nothing signed", func(t *testing.T) {
			f := newFixture(t)
			s := f.share("")
			f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
			f.live(s)
			f.subtree()
			_, err := f.access.Thumbnails(f.ctx, f.opened(s), tt.ids, 256)
			wantReason(t, err, "NOT_IN_SHARE")
		})
	}
	t.Run("a trashed file inside: refused", func(t *testing.T) {
		f := newFixture(t)
		s := f.share("")
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		f.live(s)
		f.files.EXPECT().GetPath(gomock.Any(), alice, int64(301)).Return([]*Node{{ID: 5, Folder: true}, folder100,
			{ID: 301, ParentID: 100, Name: "b.jpg", Trashed: true}}, nil)
		_, err := f.access.Thumbnails(f.ctx, f.opened(s), []int64{301}, 256)
		wantReason(t, err, "NOT_IN_SHARE")
	})
	t.Run("a revoked share: refused", func(t *testing.T) {
		f := newFixture(t)
		s := f.share("")
		token := f.opened(s)
		s.RevokedAt = ptr(f.now.Add(-time.Second))
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		_, err := f.access.Thumbnails(f.ctx, token, []int64{300}, 256)
		wantReason(t, err, "SHARE_REVOKED")
	})
	t.Run("an expired share: refused", func(t *testing.T) {
		f := newFixture(t)
		s := f.share("")
		token := f.opened(s)
		s.ExpiresAt = ptr(f.now.Add(-time.Second))
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		_, err := f.access.Thumbnails(f.ctx, token, []int64{300}, 256)
		wantReason(t, err, "SHARE_EXPIRED")
	})
	t.Run("a wrong code gives no token, and no token gets nothing", func(t *testing.T) {
		f := newFixture(t)
		s := f.share("ab12")
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		f.shares.EXPECT().CodeFailed(gomock.Any(), s.ID, 10, gomock.Any()).Return(nil)
		o, err := f.access.Open(f.ctx, s.Token, "zz99", visitor)
		wantReason(t, err, "CODE_WRONG")
		if o != nil {
			t.Fatalf("a wrong code opened the share: %+v", o)
		}
		for _, token := range []string{"", s.Token, "forged." + s.Token} {
			_, err = f.access.Thumbnails(f.ctx, token, []int64{300}, 256)
			wantReason(t, err, "SHARE_TOKEN_INVALID")
		}
	})
	t.Run("another share's token: that share's subtree only", func(t *testing.T) {
		f := newFixture(t)
		other := &Share{ID: 8, Token: "tok_other", OwnerID: bob, NodeID: 900, Name: "bob's", Folder: true, CreatedAt: f.now.Add(-time.Hour)}
		f.shares.EXPECT().ByToken(gomock.Any(), other.Token).Return(other, nil)
		f.users.EXPECT().GetUser(gomock.Any(), bob).Return(bobUser, nil)
		f.files.EXPECT().GetNode(gomock.Any(), bob, int64(900)).Return(&Node{ID: 900, Name: "bob's", Folder: true}, nil)
		// Alice's file, asked through bob's share, is looked up under bob.
		f.files.EXPECT().GetPath(gomock.Any(), bob, int64(300)).Return(nil, errNodeMissing())
		_, err := f.access.Thumbnails(f.ctx, f.opened(other), []int64{300}, 256)
		wantReason(t, err, "NOT_IN_SHARE")
	})
}
