package biz

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"go.uber.org/mock/gomock"

	v1 "clouddrive/api/notify/v1"
)

const (
	alice int64 = 101
	bob   int64 = 202
	carol int64 = 303
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// fx is the use cases on mocks, with a fixed clock.
type fx struct {
	ctx    context.Context
	repo   *MockNotificationRepo
	queue  *MockMailRepo
	users  *MockUserService
	mailer *MockMailer
	mail   *MailUsecase
	uc     *NotificationUsecase
}

// newFx builds the use cases; withMail gives them a mailer (SMTP configured).
func newFx(t *testing.T, withMail bool) *fx {
	ctrl := gomock.NewController(t)
	f := &fx{ctx: context.Background(), repo: NewMockNotificationRepo(ctrl), queue: NewMockMailRepo(ctrl),
		users: NewMockUserService(ctrl), mailer: NewMockMailer(ctrl)}
	clock := func() time.Time { return t0 }
	quiet := log.NewStdLogger(io.Discard)
	var m Mailer
	if withMail {
		m = f.mailer
	}
	f.mail = NewMailUsecase(f.queue, f.users, m, &MailPolicy{MaxAttempts: 3, RetryBackoff: time.Minute}, clock, quiet)
	f.uc = NewNotificationUsecase(f.repo, f.users, f.mail, clock, quiet)
	return f
}

func (f *fx) user(u *User) {
	f.users.EXPECT().GetUser(gomock.Any(), u.ID).Return(u, nil).AnyTimes()
}

func (f *fx) woken() bool {
	select {
	case <-f.mail.Woken():
		return true
	default:
		return false
	}
}

func TestHandleMakesOneNotificationPerEvent(t *testing.T) {
	cases := []struct {
		name      string
		e         *Event
		recipient int64
		kind      Kind
		data      map[string]string
	}{
		{"quota warning to the owner",
			&Event{ID: "q1", Type: EventQuotaWarning, Owner: alice, UsedBytes: 95, LimitBytes: 100, OccurredAt: t0.Add(-time.Minute)},
			alice, KindQuotaWarning, map[string]string{DataUsedBytes: "95", DataLimitBytes: "100"}},
		{"a share sent to bob tells bob",
			&Event{ID: "s1", Type: EventShareCreated, Owner: alice, OwnerNickname: "Alice", Recipient: bob, ShareToken: "tok", Name: "Photos"},
			bob, KindShareReceived, map[string]string{DataShareToken: "tok", DataOwnerID: "101", DataOwnerNickname: "Alice", DataName: "Photos"}},
		{"a save tells the owner",
			&Event{ID: "s2", Type: EventShareSaved, Owner: alice, Actor: carol, ActorNickname: "Carol", ShareToken: "tok", Name: "Photos"},
			alice, KindShareSaved, map[string]string{DataShareToken: "tok", DataActorID: "303", DataActorNickname: "Carol", DataName: "Photos"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFx(t, false)
			f.user(&User{ID: c.recipient, Nickname: "r", Email: "r@example.com", EmailNotifications: true})
			var got *Notification
			f.repo.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, n *Notification) (bool, error) {
				got = n
				n.ID = 1
				return true, nil
			})
			if err := f.uc.Handle(f.ctx, c.e); err != nil {
				t.Fatal(err)
			}
			if got.Recipient != c.recipient || got.Kind != c.kind || got.EventID != c.e.ID {
				t.Errorf("notification %+v, want recipient %d kind %s event %s", got, c.recipient, c.kind, c.e.ID)
			}
			for k, v := range c.data {
				if got.Data[k] != v {
					t.Errorf("data[%s] = %q, want %q", k, got.Data[k], v)
				}
			}
			if !c.e.OccurredAt.IsZero() && !got.CreatedAt.Equal(c.e.OccurredAt) {
				t.Errorf("created at %v, want the event's time %v", got.CreatedAt, c.e.OccurredAt)
			}
			if c.e.OccurredAt.IsZero() && !got.CreatedAt.Equal(t0) {
				t.Errorf("created at %v, want now %v", got.CreatedAt, t0)
			}
			if got.MailState != MailNone || f.woken() {
				t.Errorf("no SMTP configured, yet mail state %v (woken %v)", got.MailState, f.woken())
			}
		})
	}
}

func TestHandleIgnoresEventsThatTellNobody(t *testing.T) {
	for _, e := range []*Event{
		{ID: "a", Type: EventOther, Owner: alice},
		{ID: "b", Type: EventShareRevoked, Owner: alice, Recipient: bob},
		{ID: "c", Type: EventShareCreated, Owner: alice}, // a link, sent to nobody
		{ID: "d", Type: EventShareCreated, Owner: alice, Recipient: alice},
		{ID: "e", Type: EventShareSaved, Owner: alice, Actor: alice},
		{ID: "f", Type: EventQuotaWarning, Owner: alice, UsedBytes: 5}, // no limit
		{ID: "", Type: EventQuotaWarning, Owner: alice, UsedBytes: 95, LimitBytes: 100},
	} {
		f := newFx(t, true) // no call on any mock is expected
		if err := f.uc.Handle(f.ctx, e); err != nil {
			t.Errorf("%+v: %v", e, err)
		}
	}
}

func TestHandleDisabledOrUnknownRecipientGetsNothing(t *testing.T) {
	f := newFx(t, true)
	f.user(&User{ID: bob, Email: "bob@example.com", EmailNotifications: true, Disabled: true})
	f.users.EXPECT().GetUser(gomock.Any(), carol).Return(nil, ErrUserNotFound)
	if err := f.uc.Handle(f.ctx, &Event{ID: "s1", Type: EventShareCreated, Owner: alice, OwnerNickname: "A", Recipient: bob}); err != nil {
		t.Fatal(err)
	}
	if err := f.uc.Handle(f.ctx, &Event{ID: "s2", Type: EventShareCreated, Owner: alice, OwnerNickname: "A", Recipient: carol}); err != nil {
		t.Fatal(err)
	}
	if f.woken() {
		t.Error("the mail sender was woken for nobody")
	}
}

func TestHandleUserServiceDownIsRetried(t *testing.T) {
	f := newFx(t, true)
	down := errors.New("user service unavailable")
	f.users.EXPECT().GetUser(gomock.Any(), alice).Return(nil, down)
	err := f.uc.Handle(f.ctx, &Event{ID: "q", Type: EventQuotaWarning, Owner: alice, UsedBytes: 95, LimitBytes: 100})
	if !errors.Is(err, down) {
		t.Fatalf("Handle = %v, want the lookup error (the event is delivered again)", err)
	}
}

func TestHandleMailOnlyForNewRowsOfUsersWhoWantIt(t *testing.T) {
	cases := []struct {
		name     string
		smtp     bool
		user     User
		created  bool
		wantMail bool
	}{
		{"wants it", true, User{Email: "a@example.com", EmailNotifications: true}, true, true},
		{"duplicate delivery", true, User{Email: "a@example.com", EmailNotifications: true}, false, false},
		{"no address", true, User{EmailNotifications: true}, true, false},
		{"email off", true, User{Email: "a@example.com"}, true, false},
		{"no SMTP", false, User{Email: "a@example.com", EmailNotifications: true}, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFx(t, c.smtp)
			u := c.user
			u.ID = alice
			f.user(&u)
			var got *Notification
			f.repo.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, n *Notification) (bool, error) {
				got = n
				return c.created, nil
			})
			if err := f.uc.Handle(f.ctx, &Event{ID: "q", Type: EventQuotaWarning, Owner: alice, UsedBytes: 95, LimitBytes: 100}); err != nil {
				t.Fatal(err)
			}
			wantState := MailNone
			if c.smtp && u.WantsEmail() {
				wantState = MailPending
			}
			if got.MailState != wantState {
				t.Errorf("mail state %v, want %v", got.MailState, wantState)
			}
			if wantState == MailPending && (got.MailAfter == nil || !got.MailAfter.Equal(t0)) {
				t.Errorf("mail after %v, want now", got.MailAfter)
			}
			if w := f.woken(); w != c.wantMail {
				t.Errorf("sender woken = %v, want %v", w, c.wantMail)
			}
		})
	}
}

func TestHandleStoreFailureIsRetried(t *testing.T) {
	f := newFx(t, true)
	f.user(&User{ID: alice, Email: "a@example.com", EmailNotifications: true})
	boom := errors.New("database is gone")
	f.repo.EXPECT().Create(gomock.Any(), gomock.Any()).Return(false, boom)
	if err := f.uc.Handle(f.ctx, &Event{ID: "q", Type: EventQuotaWarning, Owner: alice, UsedBytes: 95, LimitBytes: 100}); !errors.Is(err, boom) {
		t.Fatalf("Handle = %v, want %v", err, boom)
	}
	if f.woken() {
		t.Error("mail was queued for a notification that was not stored")
	}
}

func TestHandleLooksUpMissingNicknames(t *testing.T) {
	f := newFx(t, false)
	f.user(&User{ID: alice})
	f.user(&User{ID: carol, Nickname: "Carol"})
	var got *Notification
	f.repo.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, n *Notification) (bool, error) {
		got = n
		return true, nil
	})
	if err := f.uc.Handle(f.ctx, &Event{ID: "s", Type: EventShareSaved, Owner: alice, Actor: carol, Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if got.Data[DataActorNickname] != "Carol" {
		t.Errorf("actor nickname %q, want it looked up", got.Data[DataActorNickname])
	}
}

func TestHandleLongEventIDsFitTheColumn(t *testing.T) {
	f := newFx(t, false)
	f.user(&User{ID: alice})
	var ids []string
	f.repo.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, n *Notification) (bool, error) {
		ids = append(ids, n.EventID)
		return true, nil
	}).Times(2)
	long := string(make([]byte, 100))
	for _, id := range []string{long + "a", long + "b"} {
		if err := f.uc.Handle(f.ctx, &Event{ID: id, Type: EventQuotaWarning, Owner: alice, UsedBytes: 95, LimitBytes: 100}); err != nil {
			t.Fatal(err)
		}
	}
	if len(ids[0]) > maxEventID || ids[0] == ids[1] {
		t.Errorf("event keys %q, want distinct and at most %d bytes", ids, maxEventID)
	}
}

func TestList(t *testing.T) {
	f := newFx(t, false)
	page := func(ids ...int64) []*Notification {
		out := make([]*Notification, len(ids))
		for i, id := range ids {
			out[i] = &Notification{ID: id, Recipient: alice}
		}
		return out
	}
	// A full page and one more: there is a next page, from the last id.
	f.repo.EXPECT().List(gomock.Any(), ListQuery{Recipient: alice, Limit: 3}).Return(page(9, 8, 7), nil)
	p, err := f.uc.List(f.ctx, ListQuery{Recipient: alice, Limit: 2})
	if err != nil || len(p.Items) != 2 || p.Next != 8 {
		t.Fatalf("List = %+v, %v; want 2 items and next 8", p, err)
	}
	f.repo.EXPECT().List(gomock.Any(), ListQuery{Recipient: alice, Before: 8, UnreadOnly: true, Limit: DefaultPageSize + 1}).Return(page(7), nil)
	p, err = f.uc.List(f.ctx, ListQuery{Recipient: alice, Before: 8, UnreadOnly: true})
	if err != nil || len(p.Items) != 1 || p.Next != 0 {
		t.Fatalf("List = %+v, %v; want the last page", p, err)
	}
	f.repo.EXPECT().List(gomock.Any(), ListQuery{Recipient: alice, Limit: MaxPageSize + 1}).Return(nil, nil)
	if _, err := f.uc.List(f.ctx, ListQuery{Recipient: alice, Limit: 10_000}); err != nil {
		t.Fatal(err)
	}
}

func TestMarkRead(t *testing.T) {
	t.Run("all", func(t *testing.T) {
		f := newFx(t, false)
		f.repo.EXPECT().MarkRead(gomock.Any(), alice, nil, t0).Return(int64(4), nil)
		if n, err := f.uc.MarkRead(f.ctx, alice, []int64{1}, true); err != nil || n != 4 {
			t.Fatalf("MarkRead(all) = %d, %v", n, err)
		}
	})
	t.Run("own ids, repeated", func(t *testing.T) {
		f := newFx(t, false)
		f.repo.EXPECT().CountOwned(gomock.Any(), alice, []int64{1, 2}).Return(int64(2), nil)
		f.repo.EXPECT().MarkRead(gomock.Any(), alice, []int64{1, 2}, t0).Return(int64(1), nil)
		if n, err := f.uc.MarkRead(f.ctx, alice, []int64{2, 1, 2}, false); err != nil || n != 1 {
			t.Fatalf("MarkRead = %d, %v", n, err)
		}
	})
	t.Run("someone else's id marks nothing", func(t *testing.T) {
		f := newFx(t, false)
		f.repo.EXPECT().CountOwned(gomock.Any(), bob, []int64{1, 2}).Return(int64(1), nil)
		_, err := f.uc.MarkRead(f.ctx, bob, []int64{1, 2}, false)
		if !v1.IsNotificationNotFound(err) {
			t.Fatalf("MarkRead = %v, want NOTIFICATION_NOT_FOUND", err)
		}
	})
	t.Run("nothing", func(t *testing.T) {
		f := newFx(t, false)
		if n, err := f.uc.MarkRead(f.ctx, alice, nil, false); err != nil || n != 0 {
			t.Fatalf("MarkRead = %d, %v", n, err)
		}
	})
}
