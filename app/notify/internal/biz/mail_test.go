package biz

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"
)

func pending(id, recipient int64, attempts int) *Notification {
	return &Notification{ID: id, Recipient: recipient, EventID: "e", Kind: KindShareSaved, MailState: MailPending,
		MailAttempts: attempts, Data: map[string]string{DataActorNickname: "Carol", DataName: "Photos"}}
}

func TestSendDueSendsAndRecords(t *testing.T) {
	f := newFx(t, true)
	f.queue.EXPECT().ClaimMail(gomock.Any(), t0, t0.Add(2*time.Minute), 50).Return([]*Notification{pending(1, alice, 1)}, nil)
	f.user(&User{ID: alice, Nickname: "Alice", Email: "alice@example.com", EmailNotifications: true})
	var sent *Email
	f.mailer.EXPECT().Send(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, e *Email) error {
		sent = e
		return nil
	})
	f.queue.EXPECT().FinishMail(gomock.Any(), int64(1), MailSent, time.Time{}).Return(nil)
	if n, err := f.mail.SendDue(f.ctx); err != nil || n != 1 {
		t.Fatalf("SendDue = %d, %v", n, err)
	}
	if sent.To != "alice@example.com" || sent.ToName != "Alice" {
		t.Errorf("sent to %q <%s>", sent.ToName, sent.To)
	}
	for _, want := range []string{"Carol saved items from your share “Photos”", "Carol 保存了你的分享「Photos」中的内容"} {
		if !strings.Contains(sent.Subject, want) || !strings.Contains(sent.Text, want) {
			t.Errorf("subject %q / text %q lacks %q", sent.Subject, sent.Text, want)
		}
	}
}

func TestSendDueRetriesWithBackoffThenGivesUp(t *testing.T) {
	cases := []struct {
		attempts int
		state    MailState
		retryAt  time.Time
	}{
		{1, MailPending, t0.Add(time.Minute)},
		{2, MailPending, t0.Add(2 * time.Minute)},
		{3, MailFailed, time.Time{}}, // MaxAttempts 3
	}
	for _, c := range cases {
		f := newFx(t, true)
		f.queue.EXPECT().ClaimMail(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return([]*Notification{pending(7, alice, c.attempts)}, nil)
		f.user(&User{ID: alice, Email: "alice@example.com", EmailNotifications: true})
		f.mailer.EXPECT().Send(gomock.Any(), gomock.Any()).Return(errors.New("421 try later"))
		f.queue.EXPECT().FinishMail(gomock.Any(), int64(7), c.state, c.retryAt).Return(nil)
		if _, err := f.mail.SendDue(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSendDueSkipsUsersWhoNoLongerWantIt(t *testing.T) {
	for _, u := range []*User{
		{ID: alice, Email: "alice@example.com", EmailNotifications: true, Disabled: true},
		{ID: alice, Email: "alice@example.com"},
		{ID: alice, EmailNotifications: true},
	} {
		f := newFx(t, true)
		f.queue.EXPECT().ClaimMail(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return([]*Notification{pending(3, alice, 1)}, nil)
		f.user(u)
		f.queue.EXPECT().FinishMail(gomock.Any(), int64(3), MailSkipped, time.Time{}).Return(nil)
		if _, err := f.mail.SendDue(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	f := newFx(t, true)
	f.queue.EXPECT().ClaimMail(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return([]*Notification{pending(4, bob, 1)}, nil)
	f.users.EXPECT().GetUser(gomock.Any(), bob).Return(nil, ErrUserNotFound)
	f.queue.EXPECT().FinishMail(gomock.Any(), int64(4), MailSkipped, time.Time{}).Return(nil)
	if _, err := f.mail.SendDue(f.ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSendDueUserServiceDownRetries(t *testing.T) {
	f := newFx(t, true)
	f.queue.EXPECT().ClaimMail(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return([]*Notification{pending(5, alice, 1)}, nil)
	f.users.EXPECT().GetUser(gomock.Any(), alice).Return(nil, errors.New("unavailable"))
	f.queue.EXPECT().FinishMail(gomock.Any(), int64(5), MailPending, t0.Add(time.Minute)).Return(nil)
	if _, err := f.mail.SendDue(f.ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSendDueWithoutMailerDoesNothing(t *testing.T) {
	f := newFx(t, false) // no call on the queue is expected
	if n, err := f.mail.SendDue(f.ctx); err != nil || n != 0 {
		t.Fatalf("SendDue = %d, %v", n, err)
	}
}
