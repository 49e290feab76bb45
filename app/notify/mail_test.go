package notify

import (
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"clouddrive/pkg/events"
)

// body is a single-part message's text after its transfer encoding.
func body(t *testing.T, m *mail.Message) string {
	t.Helper()
	var r io.Reader = m.Body
	switch strings.ToLower(m.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	return string(b)
}

func parse(t *testing.T, m sinkMail) (*mail.Message, string, string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(m.data))
	if err != nil {
		t.Fatalf("the sink got no parsable message: %v\n%s", err, m.data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject: %v", err)
	}
	return msg, subject, body(t, msg)
}

// Email goes to users who have an address and left email on, after the
// in-app notification is stored, once per notification, through a local
// SMTP sink.
func TestEmailThroughLocalSMTPSink(t *testing.T) {
	h := newHarness(t, harnessOptions{smtp: true})
	ctx := context.Background()
	handle := h.m.Handler()
	deliver := func(m events.Message) {
		t.Helper()
		if err := handle(ctx, m); err != nil {
			t.Fatalf("handle %s: %v", m.ID, err)
		}
	}

	deliver(shareSaved("s1", alice, carol, "tokA", "Holiday photos"))
	deliver(shareCreated("c1", alice, bob, "tokB", "Report.pdf"))  // bob: no address
	deliver(shareCreated("c2", alice, dave, "tokD", "Report.pdf")) // dave: disabled
	deliver(shareCreated("c3", bob, carol, "tokC", "Minutes.txt")) // carol: email off
	h.m.SendDueMail(ctx)

	got := h.sink.received()
	if len(got) != 1 {
		t.Fatalf("sink got %d messages, want 1 (alice's)", len(got))
	}
	if !strings.Contains(got[0].from, "<noreply@drive.test>") || len(got[0].rcpt) != 1 ||
		!strings.HasPrefix(got[0].rcpt[0], "<alice@example.com>") {
		t.Errorf("envelope from %q to %q", got[0].from, got[0].rcpt)
	}
	msg, subject, text := parse(t, got[0])
	if to, err := msg.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "alice@example.com" || to[0].Name != "Alice" {
		t.Errorf("To: %q (%v)", msg.Header.Get("To"), err)
	}
	if want := "Carol saved items from your share “Holiday photos” / Carol 保存了你的分享「Holiday photos」中的内容"; subject != want {
		t.Errorf("Subject %q, want %q", subject, want)
	}
	for _, want := range []string{"Hi Alice,", "Carol saved items from your share “Holiday photos”",
		"Alice，你好！", "Carol 保存了你的分享「Holiday photos」中的内容", "https://drive.test/"} {
		if !strings.Contains(text, want) {
			t.Errorf("body lacks %q:\n%s", want, text)
		}
	}
	if ct := msg.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	// Everyone but dave has the in-app notification, email or not.
	for uid, want := range map[int64]int64{alice: 1, bob: 1, carol: 1, dave: 0} {
		if n := h.unread(uid); n != want {
			t.Errorf("user %d has %d unread, want %d", uid, n, want)
		}
	}

	// A duplicate delivery mails nothing more.
	deliver(shareSaved("s1", alice, carol, "tokA", "Holiday photos"))
	h.m.SendDueMail(ctx)
	if n := len(h.sink.received()); n != 1 {
		t.Fatalf("after a duplicate delivery the sink has %d messages, want 1", n)
	}
	if n := h.unread(alice); n != 1 {
		t.Fatalf("alice has %d unread after a duplicate, want 1", n)
	}
}

// A failing SMTP server loses no in-app notification and duplicates none;
// the email is retried and sent once the server is back.
func TestEmailFailureKeepsInAppAndRetries(t *testing.T) {
	h := newHarness(t, harnessOptions{smtp: true, retryBackoff: time.Second})
	ctx := context.Background()
	h.sink.setFailing(true)
	if err := h.m.Handler()(ctx, quotaWarning("q1", alice, 92, 100)); err != nil {
		t.Fatalf("a mail problem failed the event: %v", err)
	}
	h.m.SendDueMail(ctx)
	if n := len(h.sink.received()); n != 0 {
		t.Fatalf("sink got %d messages while refusing", n)
	}
	if n := h.unread(alice); n != 1 {
		t.Fatalf("alice has %d unread, want her notification in-app anyway", n)
	}
	if got := h.rows("mail_state = 1 AND mail_attempts = 1"); got != 1 {
		t.Fatalf("%d rows pending after one failed attempt, want 1", got)
	}
	// Redelivery of the event while the email waits: still one of each.
	if err := h.m.Handler()(ctx, quotaWarning("q1", alice, 92, 100)); err != nil {
		t.Fatal(err)
	}
	h.sink.setFailing(false)
	h.m.SendDueMail(ctx) // too early: the retry is not due yet
	if n := len(h.sink.received()); n != 0 {
		t.Fatalf("retried before the backoff: %d messages", n)
	}
	// The worker retries on its own once due.
	h.startMailWorker()
	waitFor(t, "the retried email", 10*time.Second, func() bool {
		h.m.SendDueMail(ctx)
		return len(h.sink.received()) >= 1
	})
	time.Sleep(300 * time.Millisecond)
	h.m.SendDueMail(ctx)
	got := h.sink.received()
	if len(got) != 1 {
		t.Fatalf("sink got %d messages, want exactly 1", len(got))
	}
	if _, subject, _ := parse(t, got[0]); subject != "Your drive is 92% full / 你的网盘空间已使用 92%" {
		t.Errorf("subject %q", subject)
	}
	if n := h.unread(alice); n != 1 {
		t.Errorf("alice has %d unread, want 1", n)
	}
	if got := h.rows("mail_state = 2"); got != 1 {
		t.Errorf("%d rows marked sent, want 1", got)
	}
}

// Without SMTP, notifications are in-app only, and nothing waits to be mailed.
func TestNoSMTPInAppOnly(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	if err := h.m.Handler()(context.Background(), shareSaved("s1", alice, carol, "t", "n")); err != nil {
		t.Fatal(err)
	}
	if h.unread(alice) != 1 || h.rows("mail_state <> 0") != 0 {
		t.Errorf("unread %d, rows waiting for mail %d; want 1, 0", h.unread(alice), h.rows("mail_state <> 0"))
	}
}

// While the user service is down, the event fails (to be delivered again)
// and nothing is stored; once it is back the event makes its notification.
func TestUserServiceDownRetriesTheEvent(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.users.setDown(true)
	ev := shareSaved("s1", alice, carol, "t", "n")
	if err := h.m.Handler()(context.Background(), ev); err == nil {
		t.Fatal("the event was taken while the user service was down")
	}
	if n := h.rows(""); n != 0 {
		t.Fatalf("%d rows stored without knowing the user", n)
	}
	h.users.setDown(false)
	if err := h.m.Handler()(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if n := h.unread(alice); n != 1 {
		t.Fatalf("alice has %d unread, want 1", n)
	}
}

// A payload that does not decode is skipped, not retried for ever.
func TestUndecodableEventIsSkipped(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	bad := events.Message{ID: "x", Topic: events.TopicShare, Payload: []byte{0xff, 0xff, 0xff}}
	if err := h.m.Handler()(context.Background(), bad); err != nil {
		t.Fatalf("an undecodable payload failed the handler: %v", err)
	}
	if n := h.rows(""); n != 0 {
		t.Fatalf("%d rows from garbage", n)
	}
}
