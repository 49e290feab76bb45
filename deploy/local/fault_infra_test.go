package local_test

// Faults of the shared infrastructure: Redis stopped and started (it comes
// back empty: the chunk state's fast view is gone, the backend's truth is
// not), the broker (kfake) restarted with events waiting to be delivered,
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
	// service's outbox (the broker keeps nothing across a restart: kfake
	// holds its log in memory, so "in flight" here means written and not
	// yet relayed).
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
