package data

import (
	"context"
	"strconv"

	"google.golang.org/protobuf/proto"

	eventsv1 "clouddrive/api/events/v1"
	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/events"
)

type outboxRepo struct{ d *Data }

var _ biz.OutboxRepo = (*outboxRepo)(nil)

// NewOutboxRepo returns the gorm OutboxRepo.
func NewOutboxRepo(d *Data) biz.OutboxRepo { return &outboxRepo{d: d} }

func (r *outboxRepo) Add(ctx context.Context, e *biz.Event) error {
	payload, err := proto.Marshal(&eventsv1.FileEvent{
		EventId: e.ID, Type: eventsv1.FileEvent_Type(e.Type), OwnerId: e.OwnerID, NodeId: e.NodeID,
		ParentId: e.ParentID, Name: e.Name, Kind: kindName(e.Kind), Size: e.Size, Count: e.Count,
		UsedBytes: e.UsedBytes, LimitBytes: e.LimitBytes, OccurredAt: e.OccurredAt, ChangeSeq: e.ChangeSeq,
	})
	if err != nil {
		return err
	}
	return events.Add(r.d.db(ctx), events.Message{ID: e.ID, Topic: events.TopicFile, Key: strconv.FormatInt(e.OwnerID, 10), Payload: payload})
}

func kindName(k biz.Kind) string {
	if k == 0 {
		return ""
	}
	return k.String()
}
