package local_test

// Faults of the shared infrastructure: Redis stopped and started (it comes
// back empty: the chunk state's fast view is gone, the backend's truth is
// not), the broker (kfake) restarted with events waiting to be relayed and
// SIGKILLed with events relayed and not yet consumed,
// and etcd stopped (the running services keep serving with their last view
// of each other).

import (
	"fmt"
	"testing"
	"time"
)

func TestFaultRedisStoppedAndStarted(t *testing.T) {
	c := open(t)
	u, _ := c.account(t)
	before := content(1 << 20)
	if _, err := u.Upload(ctxT(t), "", "before-redis.bin", before); err != nil {
		t.Fatal(err)
	}
	ct := content(threeChunks)
	s, err := u.Init(ctxT(t), "", "across-redis.bin", ct)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.PutChunk(ctxT(t), s, ct, 0, nil); err != nil {
		t.Fatal(err)
	}
	want := []file{{"before-redis.bin", before}, {"across-redis.bin", ct}}

	c.stop(t, "redis")
	acked := map[int64]bool{0: true}
	err = u.PutChunk(ctxT(t), s, ct, 1, nil)
	mustBeClear(t, "chunk 1", err)
	if err == nil {
		acked[1] = true
	}
	_, err = u.ListAll(ctxT(t), "")
	mustBeClear(t, "list", err)
	small := content(64 << 10)
	_, err = u.PutFile(ctxT(t), "", "during-redis.bin", small.Bytes(0, small.Size))
	mustBeClear(t, "one-request upload", err)
	if err == nil {
		want = append(want, file{"during-redis.bin", small})
	}

	c.start(t, "redis")
	sendMissing(t, u, missingAfter(t, u, s.UploadID, acked), ct)
	settled(t, u, "", want)
}

func TestFaultBrokerRestartedWithEventsInFlight(t *testing.T) {
	c := open(t)
	owner, _ := c.account(t)
	recipient, name := c.account(t)
	f, err := owner.PutFile(ctxT(t), "", "shared.txt", []byte("shared across a broker restart"))
	if err != nil {
		t.Fatal(err)
	}
	notified := func(want int, within time.Duration) {
		t.Helper()
		var n int
		deadline := time.Now().Add(within)
		for {
			n, err = recipient.Notifications(ctxT(t))
			if err == nil && n >= want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d notification(s) after %v, want %d (last error: %v)", n, within, want, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
		if n != want {
			t.Errorf("%d notifications, want %d: an event was delivered twice in effect", n, want)
		}
	}
	if _, err := owner.CreateShare(ctxT(t), f.ID, name); err != nil {
		t.Fatal(err)
	}
	notified(1, 60*time.Second)

	// Shares made while the broker is down: their events wait in the share
	// service's outbox, and are relayed once it is back. (Events already in
	// the broker when it goes down: TestFaultBrokerKilledWithEventsUnconsumed.)
	c.stop(t, "kafka")
	const during = 5
	for i := 0; i < during; i++ {
		_, err := owner.CreateShare(ctxT(t), f.ID, name)
		mustBeClear(t, fmt.Sprintf("share %d", i), err)
		if err != nil {
			t.Fatalf("creating a share needs no broker (the event goes to the outbox): %v", err)
		}
	}
	c.start(t, "kafka")
	notified(1+during, 90*time.Second)
	// Once more after a while: nothing comes twice.
	time.Sleep(2 * time.Second)
	notified(1+during, time.Second)
}

// Events the broker has accepted and no consumer has read yet survive a
// SIGKILL of the broker (kfake keeps its log and the groups' offsets on
// disk, as Kafka does): notify, stopped meanwhile, delivers each once when
// both are back. Before, the broker came back empty and these were lost:
// the outbox had marked them sent.
func TestFaultBrokerKilledWithEventsUnconsumed(t *testing.T) {
	c := open(t)
	owner, _ := c.account(t)
	recipient, name := c.account(t)
	f, err := owner.PutFile(ctxT(t), "", "shared-unconsumed.txt", []byte("shared across a broker SIGKILL"))
	if err != nil {
		t.Fatal(err)
	}
	c.stop(t, "notify")
	const n = 3
	for i := 0; i < n; i++ {
		if _, err := owner.CreateShare(ctxT(t), f.ID, name); err != nil {
			t.Fatalf("share %d: %v", i, err)
		}
	}
	// Relayed: in the broker, read by no one (notify is down).
	shares := c.db(t, "clouddrive_share")
	for i := 0; ; i++ {
		var left int
		if err := shares.QueryRow("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if i == 600 {
			t.Fatalf("%d share events still in the outbox after a minute: the relay did not publish them", left)
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.kill9(t, "kafka")
	for i := 0; c.running("kafka"); i++ {
		if i == 100 {
			t.Fatal("kfake still runs 10s after SIGKILL")
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.start(t, "kafka")
	c.start(t, "notify")

	var got int
	for deadline := time.Now().Add(90 * time.Second); ; {
		got, err = recipient.Notifications(ctxT(t))
		if err == nil && got >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d notification(s) 90s after the broker came back, want %d (last error: %v): events it held were lost", got, n, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	// Once more after a while: nothing comes twice.
	time.Sleep(2 * time.Second)
	if got, err = recipient.Notifications(ctxT(t)); err != nil || got != n {
		t.Fatalf("%d notifications (%v), want %d: an event was delivered twice in effect", got, err, n)
	}
}

func TestFaultEtcdStopped(t *testing.T) {
	c := open(t)
	u, _ := c.account(t)
	c.stop(t, "etcd")
	// Everything that runs keeps serving with its last view: the gateway's
	// and storage's of file, share's of storage...
	ct := content(threeChunks)
	if _, err := u.Upload(ctxT(t), "", "etcd-stopped.bin", ct); err != nil {
		t.Errorf("upload with etcd stopped: %v", err)
	}
	small := content(1000)
	f, err := u.PutFile(ctxT(t), "", "etcd-small.txt", small.Bytes(0, small.Size))
	if err != nil {
		t.Errorf("one-request upload with etcd stopped: %v", err)
	} else if _, err := u.CreateShare(ctxT(t), f.ID, ""); err != nil {
		t.Errorf("share with etcd stopped: %v", err)
	}
	if _, err := u.ListAll(ctxT(t), ""); err != nil {
		t.Errorf("list with etcd stopped: %v", err)
	}
	c.start(t, "etcd")
	// Every instance registers again.
	want := map[string]int{"user": 1, "file": 2, "storage": 2, "share": 1, "notify": 1, "webdav": 1}
	deadline := time.Now().Add(60 * time.Second)
	for svc, n := range want {
		for len(c.registered(t, svc)) < n {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d instance(s) registered 60s after etcd came back, want %d", svc, len(c.registered(t, svc)), n)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	settled(t, u, "", []file{{"etcd-stopped.bin", ct}, {"etcd-small.txt", small}})
}
