package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
)

// A batch consumer gets what a partition fetched in batches, in order; a
// failed batch comes back whole (nothing skipped, nothing handled twice by
// a handler that failed before writing), and the offset moves only past
// handled batches: a consumer of the same group started later gets none of
// the old messages again.
func TestKafkaBatchConsumerRetriesWholeBatchesInOrder(t *testing.T) {
	brokers := kafka(t)
	pub, err := NewKafkaPublisher(brokers, KafkaConfig("test-batch"))
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	const keys, perKey = 5, 60
	var msgs []Message
	for i := range perKey {
		for k := range keys {
			msgs = append(msgs, Message{ID: fmt.Sprint(k, "-", i), Topic: TopicFile, Key: fmt.Sprint("k", k), Payload: []byte(strconv.Itoa(i))})
		}
	}
	if err := pub.Publish(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	seen := map[string][]int{} // per key, the payloads handled in order
	biggest, calls, failed := 0, 0, false
	handle := func(_ context.Context, ms []Message) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		for _, m := range ms {
			if m.ID == "2-30" && !failed {
				failed = true
				return errors.New("redis down") // before any of the batch is written
			}
		}
		biggest = max(biggest, len(ms))
		for _, m := range ms {
			n, _ := strconv.Atoi(string(m.Payload))
			seen[m.Key] = append(seen[m.Key], n)
		}
		return nil
	}
	total := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range seen {
			n += len(s)
		}
		return n
	}
	start := func() *KafkaConsumer {
		c, err := NewKafkaBatchConsumer(brokers, "batch", []string{TopicFile}, handle, KafkaConfig("test-batch-consumer"), quiet)
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = c.Start(context.Background()) }()
		return c
	}
	c := start()
	waitFor(t, "every message", func() bool { return total() == keys*perKey })
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if !failed {
		t.Fatal("the failing batch never came")
	}
	if biggest < 2 {
		t.Fatalf("messages came one at a time (largest batch %d in %d calls)", biggest, calls)
	}
	for k, s := range seen {
		for i, n := range s {
			if n != i {
				t.Fatalf("key %s: handled %v, want 0..%d once each in order", k, s, perKey-1)
			}
		}
	}
	mu.Unlock()

	// The group's offsets are past everything handled: a new member gets
	// only what comes after.
	c = start()
	defer func() { _ = c.Stop(context.Background()) }()
	if err := pub.Publish(context.Background(), []Message{{ID: "late", Topic: TopicFile, Key: "k0", Payload: []byte(strconv.Itoa(perKey))}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the late message", func() bool { return total() == keys*perKey+1 })
	mu.Lock()
	defer mu.Unlock()
	if s := seen["k0"]; s[len(s)-1] != perKey || s[len(s)-2] != perKey-1 {
		t.Fatalf("k0 after the restart: %v", s[perKey-2:])
	}
}
