// Package events carries domain events from the service that makes them to
// the services that react: an outbox table written in the same transaction
// as the change (no dual write), a relay that publishes it (Kafka through
// sarama in production, an in-process bus on one machine), and consumers
// whose handlers are idempotent, so at-least-once delivery acts once.
package events

import (
	"context"
	"time"
)

// Message is one event on its way.
type Message struct {
	// ID is unique: consumers drop a second delivery by it.
	ID    string
	Topic string
	// Key keeps one user's events in order (Kafka partitions by it).
	Key string
	// Payload is a protobuf message of api/events/v1.
	Payload []byte
	// Trace is the W3C trace context of the change that made the event
	// (traceparent, tracestate), so its consumers join the same trace.
	Trace map[string]string // Time is the record's timestamp when read from Kafka (when its producer
	// says the change happened); zero otherwise.
	Time time.Time
}

// Publisher sends a batch of messages, all or nothing from the caller's view:
// an error means the batch is sent again (handlers are idempotent).
type Publisher interface {
	Publish(ctx context.Context, msgs []Message) error
}

// Handler reacts to one message. It must be idempotent, and return an error
// only for a failure worth retrying (the message is delivered again).
type Handler func(ctx context.Context, m Message) error

// Topics of the services' events.
const (
	TopicFile  = "file.events"
	TopicShare = "share.events"
	TopicUser  = "user.events"
)
