package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"clouddrive/pkg/events"
)

func kafkaCluster(t *testing.T) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("kfake cluster: skipped with -short")
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(3))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// batchOf makes the events of round r as the file and share services
// publish them: saves of alice's shares, shares sent to bob, quota
// warnings, and events that tell nobody (revokes, file changes, a disabled
// recipient). want maps each event that makes a notification to its
// recipient and the share token or usage that identifies it in the API.
func batchOf(r, n int, want map[string]wantNote) []events.Message {
	var out []events.Message
	for i := 0; i < n; i++ {
		id := func(kind string) string { return fmt.Sprintf("r%d-%s-%03d", r, kind, i) }
		tok := fmt.Sprintf("tok-%d-%03d", r, i)
		out = append(out,
			shareSaved(id("saved"), alice, carol, tok, "Holiday"),
			fileCreated(id("file"), alice, "a.txt"),
			shareCreated(id("sent"), alice, bob, tok, "Report"),
			shareRevoked(id("revoked"), alice, tok),
			shareCreated(id("dave"), carol, dave, tok, "x"),
			shareCreated(id("tocarol"), carol, alice, tok+"c", "From Carol"),
		)
		want[id("saved")] = wantNote{alice, "share_saved", tok}
		want[id("sent")] = wantNote{bob, "share_received", tok}
		want[id("tocarol")] = wantNote{alice, "share_received", tok + "c"}
		if i%5 == 0 {
			used := fmt.Sprint(int64(900+r*100+i) << 20)
			out = append(out, quotaWarning(id("quota"), alice, int64(900+r*100+i)<<20, 1000<<20))
			want[id("quota")] = wantNote{alice, "quota_warning", used}
			out = append(out, quotaWarning(id("bobquota"), bob, int64(900+r*100+i)<<20, 1000<<20))
			want[id("bobquota")] = wantNote{bob, "quota_warning", used}
		}
	}
	return out
}

type wantNote struct {
	user int64
	kind string
	key  string // share_token, or used_bytes of a quota warning
}

func publish(t *testing.T, pub *events.KafkaPublisher, msgs []events.Message) {
	t.Helper()
	// In batches, as the relay does.
	for len(msgs) > 0 {
		n := min(len(msgs), 50)
		if err := pub.Publish(context.Background(), msgs[:n]); err != nil {
			t.Fatal(err)
		}
		msgs = msgs[n:]
	}
}

// Acceptance: file and share events published to Kafka (sarama, against
// kfake) reach notify's handler through a consumer group and become
// notifications; a consumer killed in the middle of a batch, after acting on
// messages it never acknowledged, is restarted, and every notification
// reaches its user exactly once, in-app and by email.
func TestKafkaEventsBecomeNotificationsExactlyOnce(t *testing.T) {
	brokers := kafkaCluster(t)
	h := newHarness(t, harnessOptions{smtp: true})
	h.startMailWorker()

	pub, err := events.NewKafkaPublisher(brokers, events.KafkaConfig("test-relay"))
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()

	want := map[string]wantNote{}
	first := batchOf(1, 60, want)
	publish(t, pub, first)
	// At-least-once upstream: a relay that crashed before marking its
	// batch sends part of it again.
	publish(t, pub, first[:40])

	handler := h.m.Handler()
	var mu sync.Mutex
	handled := 0
	unacked := map[string]bool{} // acted on, never acknowledged
	killed := make(chan struct{})
	stuck := make(chan struct{})
	var once sync.Once
	dying := func(ctx context.Context, m events.Message) error {
		mu.Lock()
		handled++
		n := handled
		mu.Unlock()
		if n < 200 {
			return handler(ctx, m)
		}
		// From here the consumer is dying in the middle of its batch: it
		// acts on the message (the notification is stored) but never
		// acknowledges it, so the next consumer gets it again.
		err := handler(ctx, m)
		mu.Lock()
		unacked[m.ID] = true
		mu.Unlock()
		once.Do(func() { close(killed) })
		<-stuck
		return errors.Join(err, errors.New("killed"))
	}
	start := func(h events.Handler) *events.KafkaConsumer {
		c, err := events.NewKafkaConsumer(brokers, Group, Topics, h, events.KafkaConfig("test-notify"), quiet())
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = c.Start(context.Background()) }()
		return c
	}
	c := start(dying)
	select {
	case <-killed:
	case <-time.After(60 * time.Second):
		t.Fatal("the first consumer never got to its 200th message")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	go func() { time.Sleep(100 * time.Millisecond); close(stuck) }()
	_ = c.Stop(ctx)
	cancel()
	if n := h.rows(""); n >= int64(len(want)) {
		t.Fatalf("the first consumer made all %d notifications before it was killed", n)
	}

	// More events arrive while no consumer runs.
	second := batchOf(2, 30, want)
	publish(t, pub, second)

	redelivered := 0
	c = start(func(ctx context.Context, m events.Message) error {
		mu.Lock()
		if unacked[m.ID] {
			redelivered++
		}
		mu.Unlock()
		return handler(ctx, m)
	})
	defer func() { _ = c.Stop(context.Background()) }()
	waitFor(t, fmt.Sprintf("%d notifications", len(want)), 60*time.Second, func() bool { return h.rows("") >= int64(len(want)) })

	// Every message is handled by now; let stragglers (redeliveries, the
	// mail worker) finish before counting.
	wantMail := 0
	for _, w := range want {
		if w.user == alice {
			wantMail++
		}
	}
	waitFor(t, fmt.Sprintf("%d emails", wantMail), 30*time.Second, func() bool { return len(h.sink.received()) >= wantMail })
	time.Sleep(time.Second)
	mu.Lock()
	t.Logf("%d events; the killed consumer acted on %d it never acknowledged; %d of them came again",
		len(want), len(unacked), redelivered)
	if redelivered == 0 {
		t.Error("no message was delivered twice: the test did not kill the consumer mid-batch")
	}
	mu.Unlock()

	// One row per event and recipient; none for events that tell nobody.
	var dups []struct {
		EventID string
		N       int
	}
	if err := h.db.Table("notifications").Select("event_id, COUNT(*) AS n").Group("event_id, recipient_id").
		Having("COUNT(*) > 1").Scan(&dups).Error; err != nil {
		t.Fatal(err)
	}
	if len(dups) > 0 {
		t.Fatalf("duplicated notifications: %+v", dups)
	}
	if n := h.rows(""); n != int64(len(want)) {
		t.Fatalf("%d notifications, want %d", n, len(want))
	}
	var stored []struct {
		EventID     string
		RecipientID int64
		Kind        string
	}
	if err := h.db.Table("notifications").Select("event_id, recipient_id, kind").Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	for _, s := range stored {
		w, ok := want[s.EventID]
		if !ok || w.user != s.RecipientID || w.kind != s.Kind {
			t.Errorf("unexpected notification %+v (want %+v)", s, w)
		}
	}

	// What each user sees through the API: each notification once.
	for _, uid := range []int64{alice, bob, carol, dave} {
		seen := map[string]int{}
		for _, n := range h.listAll(uid, "") {
			key := n.Data["share_token"]
			if n.Kind == "quota_warning" {
				key = n.Data["used_bytes"]
			}
			seen[n.Kind+"/"+key]++
		}
		expected := map[string]int{}
		for _, w := range want {
			if w.user == uid {
				expected[w.kind+"/"+w.key]++
			}
		}
		if len(seen) != len(expected) {
			t.Errorf("user %d sees %d notifications, want %d", uid, len(seen), len(expected))
		}
		for k, n := range seen {
			if n != 1 || expected[k] != 1 {
				t.Errorf("user %d sees %s %d times, want %d", uid, k, n, expected[k])
			}
		}
		if got := h.unread(uid); got != int64(len(expected)) {
			t.Errorf("user %d unread %d, want %d", uid, got, len(expected))
		}
	}

	// Email: alice's notifications, once each; nobody else's.
	mails := h.sink.received()
	if len(mails) != wantMail {
		t.Errorf("%d emails, want %d (one per notification of alice)", len(mails), wantMail)
	}
	for _, m := range mails {
		if len(m.rcpt) != 1 || m.rcpt[0] != "<alice@example.com>" {
			t.Errorf("email to %v", m.rcpt)
		}
	}
	if got := h.rows("mail_state = 2"); got != int64(wantMail) {
		t.Errorf("%d rows marked mailed, want %d", got, wantMail)
	}
}
