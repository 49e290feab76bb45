package data

import (
	"context"
	"strconv"

	"google.golang.org/protobuf/proto"

	eventsv1 "clouddrive/api/events/v1"
	"clouddrive/app/share/internal/biz"
	"clouddrive/pkg/events"
)

type outboxRepo struct{ d *Data }

var _ biz.OutboxRepo = (*outboxRepo)(nil)

// NewOutboxRepo returns the gorm OutboxRepo.
func NewOutboxRepo(d *Data) biz.OutboxRepo { return &outboxRepo{d: d} }

// Add writes a ShareEvent to the outbox, keyed by the owner's id.
func (r *outboxRepo) Add(ctx context.Context, e *biz.Event) error {
	payload, err := proto.Marshal(&eventsv1.ShareEvent{
		EventId: e.ID, Type: eventsv1.ShareEvent_Type(e.Type), ShareToken: e.Token, OwnerId: e.OwnerID,
		RecipientId: e.RecipientID, ActorId: e.ActorID, ActorNickname: e.ActorNickname,
		OwnerNickname: e.OwnerNickname, Name: e.Name, OccurredAt: e.OccurredAt,
	})
	if err != nil {
		return err
	}
	return events.Add(r.d.db(ctx), events.Message{ID: e.ID, Topic: events.TopicShare,
		Key: strconv.FormatInt(e.OwnerID, 10), Payload: payload})
}
