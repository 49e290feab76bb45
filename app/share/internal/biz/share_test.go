package biz

import (
	"context"
	"testing"
	"time"

	"go.uber.org/mock/gomock"
)

func TestCreate(t *testing.T) {
	f := newFixture(t)
	f.files.EXPECT().GetNode(gomock.Any(), alice, int64(100)).Return(folder100, nil)
	f.users.EXPECT().GetUser(gomock.Any(), alice).Return(aliceUser, nil)
	f.users.EXPECT().LookupUser(gomock.Any(), "Bob").Return(bobUser, nil)
	var stored *Share
	f.shares.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, s *Share) error {
		s.ID, s.CreatedAt = 9, f.now
		stored = s
		return nil
	})
	f.events.EXPECT().Add(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, e *Event) error {
		if e.Type != EventCreated || e.OwnerID != alice || e.RecipientID != bob || e.OwnerNickname != "Alice" ||
			e.Name != "photos" || e.Token != stored.Token || e.ID == "" || e.OccurredAt != f.now.UnixMilli() {
			t.Errorf("event %+v", e)
		}
		return nil
	})
	v, err := f.uc.Create(f.ctx, alice, NewShare{NodeID: 100, Code: "AB12", ExpiresIn: 7 * 24 * time.Hour, MaxDownloads: 3, Recipient: "Bob"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Code != "ab12" || !v.Folder || v.Name != "photos" || v.MaxDownloads != 3 || v.RecipientName != "bob" ||
		v.ExpiresAt == nil || !v.ExpiresAt.Equal(f.now.Add(7*24*time.Hour)) {
		t.Fatalf("view %+v", v)
	}
	if !f.keys.codeMatches(stored.Token, "ab12", stored.CodeHash) {
		t.Fatal("the stored hash does not match the code")
	}
	if c, _ := f.keys.openCode(stored.Token, stored.CodeSealed); c != "ab12" {
		t.Fatalf("sealed code opens as %q", c)
	}
}

func TestCreateGeneratesACode(t *testing.T) {
	f := newFixture(t)
	f.files.EXPECT().GetNode(gomock.Any(), alice, int64(100)).Return(folder100, nil)
	f.users.EXPECT().GetUser(gomock.Any(), alice).Return(aliceUser, nil)
	f.shares.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
	f.events.EXPECT().Add(gomock.Any(), gomock.Any()).Return(nil)
	v, err := f.uc.Create(f.ctx, alice, NewShare{NodeID: 100, GenerateCode: true})
	if err != nil {
		t.Fatal(err)
	}
	if !validCode(v.Code) || v.ExpiresAt != nil || v.RecipientID != 0 {
		t.Fatalf("view %+v", v)
	}
}

func TestCreateRefuses(t *testing.T) {
	tests := []struct {
		name   string
		in     NewShare
		expect func(f *fixture)
		reason string
	}{
		{"not the caller's node", NewShare{NodeID: 100}, func(f *fixture) {
			f.files.EXPECT().GetNode(gomock.Any(), alice, int64(100)).Return(nil, errNodeMissing())
		}, "NODE_NOT_FOUND"},
		{"trashed node", NewShare{NodeID: 100}, func(f *fixture) {
			f.files.EXPECT().GetNode(gomock.Any(), alice, int64(100)).Return(&Node{ID: 100, Trashed: true}, nil)
		}, "NODE_NOT_FOUND"},
		{"unknown recipient", NewShare{NodeID: 100, Recipient: "nobody"}, func(f *fixture) {
			f.files.EXPECT().GetNode(gomock.Any(), alice, int64(100)).Return(folder100, nil)
			f.users.EXPECT().GetUser(gomock.Any(), alice).Return(aliceUser, nil)
			f.users.EXPECT().LookupUser(gomock.Any(), "nobody").Return(nil, errUserMissing())
		}, "RECIPIENT_NOT_FOUND"},
		{"disabled recipient", NewShare{NodeID: 100, Recipient: "bob"}, func(f *fixture) {
			f.files.EXPECT().GetNode(gomock.Any(), alice, int64(100)).Return(folder100, nil)
			f.users.EXPECT().GetUser(gomock.Any(), alice).Return(aliceUser, nil)
			f.users.EXPECT().LookupUser(gomock.Any(), "bob").Return(&User{ID: bob, Disabled: true}, nil)
		}, "RECIPIENT_NOT_FOUND"},
		{"malformed code", NewShare{NodeID: 100, Code: "ab!"}, func(*fixture) {}, "VALIDATION_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.expect(f)
			_, err := f.uc.Create(f.ctx, alice, tt.in)
			wantReason(t, err, tt.reason)
		})
	}
}

func TestListShowsCodesAndStates(t *testing.T) {
	f := newFixture(t)
	active := f.share("ab12")
	active.ID = 5
	revoked := f.share("")
	revoked.ID, revoked.RevokedAt = 4, ptr(f.now.Add(-time.Minute))
	expired := f.share("")
	expired.ID, expired.ExpiresAt = 3, ptr(f.now)
	used := f.share("")
	used.ID, used.MaxDownloads, used.Downloads = 2, 2, 2
	gone := f.share("")
	gone.ID, gone.NodeID = 1, 101
	f.shares.EXPECT().ListByOwner(gomock.Any(), alice, int64(0), 51).
		Return([]*Share{active, revoked, expired, used, gone}, nil)
	f.files.EXPECT().GetNode(gomock.Any(), alice, int64(100)).Return(&Node{ID: 100, Name: "renamed", Folder: true, Size: 9}, nil)
	f.files.EXPECT().GetNode(gomock.Any(), alice, int64(101)).Return(&Node{ID: 101, Trashed: true}, nil)
	p, err := f.uc.List(f.ctx, alice, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []State{StateActive, StateRevoked, StateExpired, StateLimitReached, StateGone}
	for i, v := range p.Items {
		if v.State != want[i] {
			t.Errorf("item %d state %q, want %q", i, v.State, want[i])
		}
	}
	if p.Items[0].Code != "ab12" || p.Items[0].Name != "renamed" || p.Items[0].Size != 9 || p.Next != 0 {
		t.Fatalf("first item %+v, next %d", p.Items[0], p.Next)
	}
}

func TestListPages(t *testing.T) {
	f := newFixture(t)
	a, b, c := f.share(""), f.share(""), f.share("")
	a.ID, b.ID, c.ID = 30, 20, 10
	for _, s := range []*Share{a, b, c} {
		s.RevokedAt = ptr(f.now) // no node lookups
	}
	f.shares.EXPECT().ListByOwner(gomock.Any(), alice, int64(0), 3).Return([]*Share{a, b, c}, nil)
	p, err := f.uc.List(f.ctx, alice, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 2 || p.Next != 20 {
		t.Fatalf("%d items, next %d", len(p.Items), p.Next)
	}
}

func TestReceived(t *testing.T) {
	f := newFixture(t)
	mine := f.share("ab12")
	disabledOwner := f.share("")
	disabledOwner.ID, disabledOwner.OwnerID = 6, 33
	f.shares.EXPECT().ListByRecipient(gomock.Any(), bob, int64(0), 51).Return([]*Share{mine, disabledOwner}, nil)
	f.users.EXPECT().GetUser(gomock.Any(), alice).Return(aliceUser, nil)
	f.users.EXPECT().GetUser(gomock.Any(), int64(33)).Return(&User{ID: 33, Username: "carol", Disabled: true}, nil)
	f.files.EXPECT().GetNode(gomock.Any(), alice, int64(100)).Return(folder100, nil)
	p, err := f.uc.Received(f.ctx, bob, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v := p.Items[0]; v.Code != "" || v.State != StateActive || v.OwnerNickname != "Alice" {
		t.Fatalf("received %+v", v)
	}
	if v := p.Items[1]; v.State != StateGone || v.OwnerNickname != "carol" {
		t.Fatalf("share of a disabled owner %+v", v)
	}
}

func TestRevoke(t *testing.T) {
	f := newFixture(t)
	s := f.share("")
	f.shares.EXPECT().Revoke(gomock.Any(), alice, s.Token, f.now).Return(s, true, nil)
	f.events.EXPECT().Add(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, e *Event) error {
		if e.Type != EventRevoked || e.Token != s.Token {
			t.Errorf("event %+v", e)
		}
		return nil
	})
	if err := f.uc.Revoke(f.ctx, alice, s.Token); err != nil {
		t.Fatal(err)
	}
	// Again: nothing changes, no event.
	f.shares.EXPECT().Revoke(gomock.Any(), alice, s.Token, f.now).Return(s, false, nil)
	if err := f.uc.Revoke(f.ctx, alice, s.Token); err != nil {
		t.Fatal(err)
	}
	// Someone else's share.
	f.shares.EXPECT().Revoke(gomock.Any(), bob, s.Token, f.now).Return(nil, false, ErrNotFound)
	wantReason(t, f.uc.Revoke(f.ctx, bob, s.Token), "SHARE_NOT_FOUND")
}
