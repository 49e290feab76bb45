package data

import (
	"context"
	"sync"

	"google.golang.org/protobuf/proto"

	eventsv1 "clouddrive/api/events/v1"
	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/events"
)

// ChangeHub wakes the WaitChanges calls of this process. It is fed by the
// file events every change already publishes: through the in-process bus
// in the standalone binary, through a Kafka consumer (a group of its own
// per instance, so each instance sees every event) in a cluster. A change
// made on any instance thus wakes a waiter on any other.
type ChangeHub struct {
	mu      sync.Mutex
	waiters map[int64]map[chan struct{}]struct{}
}

var _ biz.ChangeWaker = (*ChangeHub)(nil)

// NewChangeHub returns a hub with no waiters.
func NewChangeHub() *ChangeHub { return &ChangeHub{waiters: map[int64]map[chan struct{}]struct{}{}} }

// NewChangeWaker is the hub as biz sees it.
func NewChangeWaker(h *ChangeHub) biz.ChangeWaker { return h }

// Subscribe implements biz.ChangeWaker.
func (h *ChangeHub) Subscribe(owner int64) (<-chan struct{}, func()) {
	// Buffered by one: a wake-up between two reads of the waiter is kept,
	// and more than one is the same news.
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.waiters[owner] == nil {
		h.waiters[owner] = map[chan struct{}]struct{}{}
	}
	h.waiters[owner][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.waiters[owner], ch)
		if len(h.waiters[owner]) == 0 {
			delete(h.waiters, owner)
		}
		h.mu.Unlock()
	}
}

// Notify wakes owner's waiters.
func (h *ChangeHub) Notify(owner int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.waiters[owner] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Handle is the events.Handler of the file topic: each change event wakes
// its owner's waiters. Undecodable messages are skipped: a wake-up is a
// hint (the waiter reads the feed itself), never worth a redelivery.
func (h *ChangeHub) Handle(_ context.Context, m events.Message) error {
	var e eventsv1.FileEvent
	if err := proto.Unmarshal(m.Payload, &e); err != nil || e.GetOwnerId() == 0 {
		return nil
	}
	if e.GetType() != eventsv1.FileEvent_QUOTA_WARNING {
		h.Notify(e.GetOwnerId())
	}
	return nil
}
