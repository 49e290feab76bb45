package biz

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	filev1 "clouddrive/api/file/v1"
	"clouddrive/pkg/ratelimit"
)

var visitor = Visitor{IP: "203.0.113.9"}

func TestOpen(t *testing.T) {
	f := newFixture(t)
	s := f.share("ab12")
	f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
	f.live(s)
	f.shares.EXPECT().AddView(gomock.Any(), s.ID).Return(nil)
	o, err := f.access.Open(f.ctx, s.Token, "AB12", visitor)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := f.keys.verifyAccess(o.AccessToken, f.now); !ok || got != s.Token {
		t.Fatalf("access token for %q, %v", got, ok)
	}
	if _, ok := f.keys.verifyAccess(o.AccessToken, f.now.Add(30*time.Minute)); ok {
		t.Fatal("the access token outlives its 30 minutes")
	}
	v := o.View
	if v.Code != "" || v.OwnerNickname != "Alice" || v.Views != 1 || v.Name != "photos" || o.ExpiresIn != 30*time.Minute {
		t.Fatalf("opened %+v", v)
	}
}

// TestOpenRechecks: every state that closes a share, checked at open.
func TestOpenRechecks(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *fixture, s *Share)
		expect func(f *fixture, s *Share)
		reason string
	}{
		{"unknown token", nil, func(f *fixture, s *Share) {
			f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(nil, ErrNotFound)
		}, "SHARE_NOT_FOUND"},
		{"revoked", func(f *fixture, s *Share) { s.RevokedAt = ptr(f.now.Add(-time.Second)) }, nil, "SHARE_REVOKED"},
		{"expired", func(f *fixture, s *Share) { s.ExpiresAt = ptr(f.now) }, nil, "SHARE_EXPIRED"},
		{"downloads used up", func(f *fixture, s *Share) { s.MaxDownloads, s.Downloads = 3, 3 }, nil, "SHARE_LIMIT_REACHED"},
		{"owner disabled", nil, func(f *fixture, s *Share) {
			f.users.EXPECT().GetUser(gomock.Any(), alice).Return(&User{ID: alice, Disabled: true}, nil)
		}, "SHARE_GONE"},
		{"owner deleted", nil, func(f *fixture, s *Share) {
			f.users.EXPECT().GetUser(gomock.Any(), alice).Return(nil, errUserMissing())
		}, "SHARE_GONE"},
		{"node trashed", nil, func(f *fixture, s *Share) {
			f.users.EXPECT().GetUser(gomock.Any(), alice).Return(aliceUser, nil)
			f.files.EXPECT().GetNode(gomock.Any(), alice, s.NodeID).Return(&Node{ID: s.NodeID, Trashed: true}, nil)
		}, "SHARE_GONE"},
		{"node purged", nil, func(f *fixture, s *Share) {
			f.users.EXPECT().GetUser(gomock.Any(), alice).Return(aliceUser, nil)
			f.files.EXPECT().GetNode(gomock.Any(), alice, s.NodeID).Return(nil, errNodeMissing())
		}, "SHARE_GONE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			s := f.share("")
			if tt.change != nil {
				tt.change(f, s)
			}
			if tt.name != "unknown token" {
				f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
			}
			if tt.expect != nil {
				tt.expect(f, s)
			}
			_, err := f.access.Open(f.ctx, s.Token, "", visitor)
			wantReason(t, err, tt.reason)
		})
	}
}

// TestAccessRechecks: a valid access token does not keep a share open: each
// call reads the share and asks the owner and the node again.
func TestAccessRechecks(t *testing.T) {
	calls := map[string]func(f *fixture, access string) error{
		"browse": func(f *fixture, access string) error {
			_, err := f.access.Browse(f.ctx, access, 0, 0, "")
			return err
		},
		"download": func(f *fixture, access string) error {
			_, err := f.access.Download(f.ctx, access, 0)
			return err
		},
		"save": func(f *fixture, access string) error {
			_, err := f.access.Save(f.ctx, access, bob, []int64{100}, 0)
			return err
		},
	}
	states := []struct {
		name   string
		change func(f *fixture, s *Share)
		expect func(f *fixture, s *Share)
		reason string
	}{
		{"revoked after open", func(f *fixture, s *Share) { s.RevokedAt = ptr(f.now) }, nil, "SHARE_REVOKED"},
		{"expired after open", func(f *fixture, s *Share) { f.now = f.now.Add(time.Minute); s.ExpiresAt = ptr(f.now) }, nil, "SHARE_EXPIRED"},
		{"limit reached after open", func(f *fixture, s *Share) { s.MaxDownloads, s.Downloads = 1, 1 }, nil, "SHARE_LIMIT_REACHED"},
		{"owner disabled after open", nil, func(f *fixture, s *Share) {
			f.users.EXPECT().GetUser(gomock.Any(), alice).Return(&User{ID: alice, Disabled: true}, nil)
		}, "SHARE_GONE"},
		{"node trashed after open", nil, func(f *fixture, s *Share) {
			f.users.EXPECT().GetUser(gomock.Any(), alice).Return(aliceUser, nil)
			f.files.EXPECT().GetNode(gomock.Any(), alice, s.NodeID).Return(&Node{ID: s.NodeID, Folder: true, Trashed: true}, nil)
		}, "SHARE_GONE"},
	}
	for call, do := range calls {
		for _, st := range states {
			t.Run(call+"/"+st.name, func(t *testing.T) {
				f := newFixture(t)
				s := f.share("")
				access := f.opened(s)
				if st.change != nil {
					st.change(f, s)
				}
				f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
				if st.expect != nil {
					st.expect(f, s)
				}
				wantReason(t, do(f, access), st.reason)
			})
		}
	}
}

func TestAccessTokenInvalid(t *testing.T) {
	f := newFixture(t)
	s := f.share("")
	for name, access := range map[string]string{
		"none":    "",
		"forged":  f.opened(s) + "x",
		"expired": f.keys.signAccess(s.Token, f.now.Add(-time.Hour), f.now.Add(-time.Second)),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.access.Browse(f.ctx, access, 0, 0, "")
			wantReason(t, err, "SHARE_TOKEN_INVALID")
		})
	}
}

// TestCodeBruteForce: 10 wrong codes in a row lock the share for the
// cool-down, the right code included; the count is the repo's (per share).
func TestCodeBruteForce(t *testing.T) {
	f := newFixture(t)
	s := f.share("ab12")
	f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil).AnyTimes()
	f.shares.EXPECT().CodeFailed(gomock.Any(), s.ID, 10, f.now.Add(15*time.Minute)).DoAndReturn(
		func(_ context.Context, _ int64, max int, until time.Time) error {
			s.CodeFailures++
			if s.CodeFailures >= max {
				s.CodeFailures, s.LockedUntil = 0, &until
			}
			return nil
		}).Times(10)
	for i := 1; i <= 10; i++ {
		_, err := f.access.Open(f.ctx, s.Token, fmt.Sprintf("x%03d", i), visitor)
		wantReason(t, err, "CODE_WRONG")
	}
	// Locked: refused before the code is compared, the right one too, and
	// a wrong one is not counted (CodeFailed would be called an 11th time).
	for _, code := range []string{"ab12", "zzzz"} {
		_, err := f.access.Open(f.ctx, s.Token, code, visitor)
		wantReason(t, err, "RATE_LIMITED")
	}
	// After the cool-down the right code opens it.
	f.now = f.now.Add(15 * time.Minute)
	f.live(s)
	f.shares.EXPECT().AddView(gomock.Any(), s.ID).Return(nil)
	if _, err := f.access.Open(f.ctx, s.Token, "ab12", visitor); err != nil {
		t.Fatalf("after the cool-down: %v", err)
	}
}

func TestRightCodeResetsTheCount(t *testing.T) {
	f := newFixture(t)
	s := f.share("ab12")
	s.CodeFailures = 9
	f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
	f.shares.EXPECT().CodeSucceeded(gomock.Any(), s.ID).Return(nil)
	f.live(s)
	f.shares.EXPECT().AddView(gomock.Any(), s.ID).Return(nil)
	if _, err := f.access.Open(f.ctx, s.Token, "ab12", visitor); err != nil {
		t.Fatal(err)
	}
}

// TestLimitersChargedBeforeTheCode: past the per-IP limit even the right
// code is refused, and nothing is compared or counted; another IP and
// another share are unaffected.
func TestLimitersChargedBeforeTheCode(t *testing.T) {
	f := newFixture(t)
	f.policy.OpenPerIP = ratelimit.Rule{Limit: 3, Window: time.Minute}
	f.policy.MaxWrongCodes = 100
	s := f.share("ab12")
	f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil).AnyTimes()
	f.shares.EXPECT().CodeFailed(gomock.Any(), s.ID, 100, gomock.Any()).Return(nil).Times(3)
	for range 3 {
		_, err := f.access.Open(f.ctx, s.Token, "zzzz", visitor)
		wantReason(t, err, "CODE_WRONG")
	}
	_, err := f.access.Open(f.ctx, s.Token, "ab12", visitor)
	wantReason(t, err, "RATE_LIMITED")

	f.live(s)
	f.shares.EXPECT().AddView(gomock.Any(), s.ID).Return(nil)
	if _, err := f.access.Open(f.ctx, s.Token, "ab12", Visitor{IP: "198.51.100.1"}); err != nil {
		t.Fatalf("another IP: %v", err)
	}

	// 4 attempts reached the per-share limiter so far (the refused one
	// stopped at the per-IP one): a 4 per minute rule refuses the next.
	f.policy.OpenPerShare = ratelimit.Rule{Limit: 4, Window: time.Minute}
	_, err = f.access.Open(f.ctx, s.Token, "ab12", Visitor{IP: "198.51.100.2"})
	wantReason(t, err, "RATE_LIMITED")
}

func TestEmptyCodeIsNoAttempt(t *testing.T) {
	f := newFixture(t)
	f.policy.OpenPerIP = ratelimit.Rule{Limit: 1, Window: time.Minute}
	s := f.share("ab12")
	f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil).Times(3)
	for range 2 {
		_, err := f.access.Open(f.ctx, s.Token, "", visitor)
		wantReason(t, err, "CODE_WRONG")
	}
	f.live(s)
	f.shares.EXPECT().AddView(gomock.Any(), s.ID).Return(nil)
	if _, err := f.access.Open(f.ctx, s.Token, "ab12", visitor); err != nil {
		t.Fatalf("empty codes used up the limit: %v", err)
	}
}

func TestOwnerAndRecipientNeedNoCode(t *testing.T) {
	for _, uid := range []int64{alice, bob} {
		f := newFixture(t)
		s := f.share("ab12")
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		f.live(s)
		f.shares.EXPECT().AddView(gomock.Any(), s.ID).Return(nil)
		if _, err := f.access.Open(f.ctx, s.Token, "", Visitor{UserID: uid, IP: "203.0.113.1"}); err != nil {
			t.Fatalf("user %d: %v", uid, err)
		}
	}
	f := newFixture(t)
	s := f.share("ab12")
	f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
	_, err := f.access.Open(f.ctx, s.Token, "", Visitor{UserID: 99, IP: "203.0.113.1"})
	wantReason(t, err, "CODE_WRONG")
}

// subtree: alice's folder 100 (shared) holds 200 (folder) holding 300
// (file); 400 is elsewhere in alice's tree; 900 is another user's.
func (f *fixture) subtree() {
	n100 := &Node{ID: 100, ParentID: 5, Name: "photos", Folder: true}
	n200 := &Node{ID: 200, ParentID: 100, Name: "2024", Folder: true}
	n300 := &Node{ID: 300, ParentID: 200, Name: "a.jpg", Size: 10}
	f.files.EXPECT().GetPath(gomock.Any(), alice, int64(200)).Return([]*Node{{ID: 5, Folder: true}, n100, n200}, nil).AnyTimes()
	f.files.EXPECT().GetPath(gomock.Any(), alice, int64(300)).Return([]*Node{{ID: 5, Folder: true}, n100, n200, n300}, nil).AnyTimes()
	f.files.EXPECT().GetPath(gomock.Any(), alice, int64(400)).Return([]*Node{{ID: 5, Folder: true}, {ID: 400}}, nil).AnyTimes()
	f.files.EXPECT().GetPath(gomock.Any(), alice, int64(5)).Return([]*Node{{ID: 5, Folder: true}}, nil).AnyTimes()
	f.files.EXPECT().GetPath(gomock.Any(), alice, int64(900)).Return(nil, errNodeMissing()).AnyTimes()
}

func TestBrowseStaysInTheSubtree(t *testing.T) {
	tests := []struct {
		name   string
		parent int64
		reason string
	}{
		{"the shared folder", 0, ""},
		{"the shared folder by id", 100, ""},
		{"a folder inside", 200, ""},
		{"a file inside lists as itself", 300, ""},
		{"the owner's folder above", 5, "NOT_IN_SHARE"},
		{"the owner's node elsewhere", 400, "NOT_IN_SHARE"},
		{"another user's node", 900, "NOT_IN_SHARE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			s := f.share("")
			f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
			f.live(s)
			f.subtree()
			if tt.reason == "" && tt.parent != 300 {
				dir := tt.parent
				if dir == 0 {
					dir = 100
				}
				f.files.EXPECT().ListChildren(gomock.Any(), alice, dir, 10, "pt").
					Return(&NodePage{Items: []*Node{{ID: 1}, {ID: 2, Trashed: true}}, Next: "next"}, nil)
			}
			p, err := f.access.Browse(f.ctx, f.opened(s), tt.parent, 10, "pt")
			if tt.reason != "" {
				wantReason(t, err, tt.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.parent == 300 {
				if len(p.Items) != 1 || p.Items[0].ID != 300 {
					t.Fatalf("file listing %+v", p.Items)
				}
				return
			}
			if len(p.Items) != 1 || p.Items[0].ID != 1 || p.Next != "next" {
				t.Fatalf("page %+v", p)
			}
		})
	}
}

func TestBrowseASharedFile(t *testing.T) {
	f := newFixture(t)
	s := f.share("")
	s.NodeID, s.Folder = 300, false
	f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
	f.users.EXPECT().GetUser(gomock.Any(), alice).Return(aliceUser, nil)
	f.files.EXPECT().GetNode(gomock.Any(), alice, int64(300)).Return(&Node{ID: 300, ParentID: 200, Name: "a.jpg"}, nil)
	p, err := f.access.Browse(f.ctx, f.opened(s), 0, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].ID != 300 || p.Items[0].ParentID != 0 {
		t.Fatalf("items %+v (the parent must not show)", p.Items)
	}
}

func TestTrashedInsideIsNotInShare(t *testing.T) {
	f := newFixture(t)
	s := f.share("")
	f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
	f.live(s)
	f.files.EXPECT().GetPath(gomock.Any(), alice, int64(300)).Return([]*Node{
		{ID: 100, Folder: true}, {ID: 200, Folder: true, Trashed: true}, {ID: 300, Trashed: true}}, nil)
	_, err := f.access.Download(f.ctx, f.opened(s), 300)
	wantReason(t, err, "NOT_IN_SHARE")
}

func TestDownload(t *testing.T) {
	url := &SignedURL{URL: "/v1/storage/file?sig=x", ExpiresAt: testNow.Add(5 * time.Minute)}
	// Signing counts nothing: the URL names the share, and its GETs are
	// checked and counted by CheckDownload (no TakeDownload expected here).
	t.Run("a file inside", func(t *testing.T) {
		f := newFixture(t)
		s := f.share("")
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		f.live(s)
		f.subtree()
		f.storage.EXPECT().SignDownload(gomock.Any(), alice, int64(300), s.Token).Return(url, nil)
		got, err := f.access.Download(f.ctx, f.opened(s), 300)
		if err != nil || got != url {
			t.Fatalf("%v, %v", got, err)
		}
	})
	t.Run("the shared folder as a zip", func(t *testing.T) {
		f := newFixture(t)
		s := f.share("")
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		f.live(s)
		f.storage.EXPECT().SignZip(gomock.Any(), alice, []int64{100}, "photos.zip", s.Token).Return(url, nil)
		if _, err := f.access.Download(f.ctx, f.opened(s), 0); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("no URL once the limit is reached", func(t *testing.T) {
		f := newFixture(t)
		s := f.share("")
		s.MaxDownloads, s.Downloads = 1, 1
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		_, err := f.access.Download(f.ctx, f.opened(s), 0)
		wantReason(t, err, "SHARE_LIMIT_REACHED")
	})
	t.Run("another user's node", func(t *testing.T) {
		f := newFixture(t)
		s := f.share("")
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		f.live(s)
		f.subtree()
		_, err := f.access.Download(f.ctx, f.opened(s), 900)
		wantReason(t, err, "NOT_IN_SHARE")
	})
}

// CheckDownload is the share as it is at each GET of a signed URL.
func TestCheckDownload(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *fixture, s *Share)
		expect func(f *fixture, s *Share) // beyond ByToken
		owner  int64
		ids    []int64
		count  bool
		reason string // "" for allowed
	}{
		{name: "a first byte counts one download", count: true, ids: []int64{300}, expect: func(f *fixture, s *Share) {
			f.live(s)
			f.subtree()
			f.shares.EXPECT().TakeDownload(gomock.Any(), s.ID).Return(true, nil)
		}},
		{name: "a continuation is checked, not counted", ids: []int64{300}, expect: func(f *fixture, s *Share) {
			f.live(s)
			f.subtree()
		}},
		{name: "a continuation of the download that reached the limit goes on", ids: []int64{300},
			change: func(f *fixture, s *Share) { s.MaxDownloads, s.Downloads = 1, 1 },
			expect: func(f *fixture, s *Share) { f.live(s); f.subtree() }},
		{name: "limit reached", count: true, ids: []int64{300}, reason: "SHARE_LIMIT_REACHED",
			change: func(f *fixture, s *Share) { s.MaxDownloads, s.Downloads = 1, 1 }},
		{name: "the last download taken by a racing GET", count: true, ids: []int64{300}, reason: "SHARE_LIMIT_REACHED",
			change: func(f *fixture, s *Share) { s.MaxDownloads = 1 },
			expect: func(f *fixture, s *Share) {
				f.live(s)
				f.subtree()
				f.shares.EXPECT().TakeDownload(gomock.Any(), s.ID).Return(false, nil)
				f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
			}},
		{name: "revoked since the URL was signed", ids: []int64{300}, reason: "SHARE_REVOKED",
			change: func(f *fixture, s *Share) { s.RevokedAt = ptr(f.now) }},
		{name: "expired since", count: true, ids: []int64{300}, reason: "SHARE_EXPIRED",
			change: func(f *fixture, s *Share) { s.ExpiresAt = ptr(f.now) }},
		{name: "owner disabled since", count: true, ids: []int64{300}, reason: "SHARE_GONE",
			expect: func(f *fixture, s *Share) {
				f.users.EXPECT().GetUser(gomock.Any(), alice).Return(&User{ID: alice, Disabled: true}, nil)
			}},
		{name: "node moved out of the share since", count: true, ids: []int64{400}, reason: "NOT_IN_SHARE",
			expect: func(f *fixture, s *Share) { f.live(s); f.subtree() }},
		{name: "node purged since", count: true, ids: []int64{900}, reason: "NOT_IN_SHARE",
			expect: func(f *fixture, s *Share) { f.live(s); f.subtree() }},
		{name: "a URL of another owner never matches the share", owner: bob, count: true, ids: []int64{300}, reason: "SHARE_NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			s := f.share("")
			if tt.change != nil {
				tt.change(f, s)
			}
			f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
			if tt.expect != nil {
				tt.expect(f, s)
			}
			owner := tt.owner
			if owner == 0 {
				owner = alice
			}
			err := f.access.CheckDownload(f.ctx, s.Token, owner, tt.ids, tt.count)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantReason(t, err, tt.reason)
		})
	}
	t.Run("unknown share", func(t *testing.T) {
		f := newFixture(t)
		f.shares.EXPECT().ByToken(gomock.Any(), "nope").Return(nil, ErrNotFound)
		wantReason(t, f.access.CheckDownload(f.ctx, "nope", alice, []int64{1}, true), "SHARE_NOT_FOUND")
	})
}

func TestSave(t *testing.T) {
	f := newFixture(t)
	s := f.share("")
	f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
	f.live(s)
	f.subtree()
	copies := []*Node{{ID: 1000, Name: "2024", Folder: true}, {ID: 1001, Name: "a.jpg"}}
	f.files.EXPECT().CopyFrom(gomock.Any(), alice, []int64{200, 300}, bob, int64(77)).Return(copies, nil)
	f.users.EXPECT().GetUser(gomock.Any(), bob).Return(&User{ID: bob, Username: "bob", Nickname: "Bobby"}, nil)
	f.shares.EXPECT().AddSave(gomock.Any(), s.ID).Return(nil)
	f.events.EXPECT().Add(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, e *Event) error {
		if e.Type != EventSaved || e.ActorID != bob || e.ActorNickname != "Bobby" || e.OwnerID != alice ||
			e.OwnerNickname != "Alice" || e.Name != "photos" {
			t.Errorf("event %+v", e)
		}
		return nil
	})
	got, err := f.access.Save(f.ctx, f.opened(s), bob, []int64{200, 300, 200}, 77)
	if err != nil || len(got) != 2 {
		t.Fatalf("%v, %v", got, err)
	}
}

func TestSaveRefuses(t *testing.T) {
	t.Run("an id outside the share", func(t *testing.T) {
		f := newFixture(t)
		s := f.share("")
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		f.live(s)
		f.subtree()
		_, err := f.access.Save(f.ctx, f.opened(s), bob, []int64{300, 900}, 0)
		wantReason(t, err, "NOT_IN_SHARE")
	})
	t.Run("quota passes through", func(t *testing.T) {
		f := newFixture(t)
		s := f.share("")
		f.shares.EXPECT().ByToken(gomock.Any(), s.Token).Return(s, nil)
		f.live(s)
		f.files.EXPECT().CopyFrom(gomock.Any(), alice, []int64{100}, bob, int64(0)).
			Return(nil, filev1.ErrorQuotaExceeded("not enough space"))
		_, err := f.access.Save(f.ctx, f.opened(s), bob, []int64{100}, 0)
		wantReason(t, err, "QUOTA_EXCEEDED")
	})
}

func TestZipName(t *testing.T) {
	long := ""
	for range 130 {
		long += "é" // 2 bytes each
	}
	if got := zipName(long); len(got) > 255 || got[len(got)-4:] != ".zip" {
		t.Fatalf("zipName: %d bytes", len(got))
	}
	if got := zipName("photos"); got != "photos.zip" {
		t.Fatal(got)
	}
}
