package events

import (
	"context"

	"google.golang.org/protobuf/proto"
	"gorm.io/gorm"
)

// Outbox is the outbox repository every producing service uses: it writes
// its events of type E, as their protobuf payload, into the service's own
// outbox table within the transaction of the change they describe. A
// service supplies only how one of its events becomes a message.
type Outbox[E any] struct {
	db     func(ctx context.Context) *gorm.DB
	topic  string
	encode func(E) Encoded
}

// Encoded is what a service makes of one of its events: its id (the
// consumers' idempotency key), its partition key and its payload.
type Encoded struct {
	ID      string
	Key     string
	Payload proto.Message
}

// NewOutbox returns the outbox of topic. db gives the connection of ctx
// (the transaction the change runs in, when there is one).
func NewOutbox[E any](db func(ctx context.Context) *gorm.DB, topic string, encode func(E) Encoded) *Outbox[E] {
	return &Outbox[E]{db: db, topic: topic, encode: encode}
}

// Add writes e to the outbox in ctx's transaction.
func (o *Outbox[E]) Add(ctx context.Context, e E) error {
	m := o.encode(e)
	payload, err := proto.Marshal(m.Payload)
	if err != nil {
		return err
	}
	return Add(o.db(ctx), Message{ID: m.ID, Topic: o.topic, Key: m.Key, Payload: payload})
}
