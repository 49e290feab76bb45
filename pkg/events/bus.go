package events

import (
	"context"
	"sync"
)

// Bus is the in-process Publisher of the standalone binary: it hands each
// message to the handlers subscribed to its topic, the same handlers the
// Kafka consumers run in production.
type Bus struct {
	mu       sync.RWMutex
	handlers map[string][]subscriber
}

type subscriber struct {
	group string
	h     Handler
}

// NewBus returns a bus with no subscribers.
func NewBus() *Bus { return &Bus{handlers: map[string][]subscriber{}} }

// Subscribe adds h for topic.
func (b *Bus) Subscribe(topic string, h Handler) { b.SubscribeAs("bus", topic, h) }

// SubscribeAs adds h for topic under a consumer name (its group on Kafka),
// which its spans carry.
func (b *Bus) SubscribeAs(group, topic string, h Handler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handlers[topic] = append(b.handlers[topic], subscriber{group: group, h: h})
}

// Publish implements Publisher. A handler's error fails the batch, which the
// relay sends again: handlers that already ran see duplicates and skip them.
func (b *Bus) Publish(ctx context.Context, msgs []Message) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, m := range msgs {
		for _, s := range b.handlers[m.Topic] {
			if err := consume(ctx, s.group, m, s.h); err != nil {
				return err
			}
		}
	}
	return nil
}
