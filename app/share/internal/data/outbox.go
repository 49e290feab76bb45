package data

import (
	"strconv"

	eventsv1 "clouddrive/api/events/v1"
	"clouddrive/app/share/internal/biz"
	"clouddrive/pkg/events"
)

// NewOutboxRepo returns the OutboxRepo: ShareEvents into the share
// database's outbox, keyed by the owner's id.
func NewOutboxRepo(d *Data) biz.OutboxRepo {
	return events.NewOutbox(d.db, events.TopicShare, func(e *biz.Event) events.Encoded {
		return events.Encoded{ID: e.ID, Key: strconv.FormatInt(e.OwnerID, 10), Payload: &eventsv1.ShareEvent{
			EventId: e.ID, Type: eventsv1.ShareEvent_Type(e.Type), ShareToken: e.Token, OwnerId: e.OwnerID,
			RecipientId: e.RecipientID, ActorId: e.ActorID, ActorNickname: e.ActorNickname,
			OwnerNickname: e.OwnerNickname, Name: e.Name, OccurredAt: e.OccurredAt,
		}}
	})
}
