package data

import (
	"strconv"

	eventsv1 "clouddrive/api/events/v1"
	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/events"
)

// NewOutboxRepo returns the OutboxRepo: FileEvents into the file
// database's outbox, keyed by the owner's id.
func NewOutboxRepo(d *Data) biz.OutboxRepo {
	return events.NewOutbox(d.db, events.TopicFile, func(e *biz.Event) events.Encoded {
		return events.Encoded{ID: e.ID, Key: strconv.FormatInt(e.OwnerID, 10), Payload: &eventsv1.FileEvent{
			EventId: e.ID, Type: eventsv1.FileEvent_Type(e.Type), OwnerId: e.OwnerID, NodeId: e.NodeID,
			ParentId: e.ParentID, Name: e.Name, Kind: kindName(e.Kind), Size: e.Size, Count: e.Count,
			UsedBytes: e.UsedBytes, LimitBytes: e.LimitBytes, OccurredAt: e.OccurredAt, ChangeSeq: e.ChangeSeq,
		}}
	})
}

func kindName(k biz.Kind) string {
	if k == 0 {
		return ""
	}
	return k.String()
}
