package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/protobuf/proto"

	eventsv1 "clouddrive/api/events/v1"
	"clouddrive/app/notify/internal/biz"
	"clouddrive/pkg/events"
)

// Topics are what notify consumes.
var Topics = []string{events.TopicFile, events.TopicShare}

// EventHandler decodes the file and share events and hands them to the use
// case. It is the same handler on Kafka (events.KafkaConsumer) and on the
// standalone binary's in-process bus.
type EventHandler struct {
	uc  *biz.NotificationUsecase
	log *log.Helper
}

// NewEventHandler builds the handler.
func NewEventHandler(uc *biz.NotificationUsecase, logger log.Logger) *EventHandler {
	return &EventHandler{uc: uc, log: log.NewHelper(log.With(logger, "module", "service/events"))}
}

// Handle is an events.Handler. A payload that does not decode is logged and
// skipped (delivering it again would not help); an error from the use case
// is returned, so the message is delivered again.
func (h *EventHandler) Handle(ctx context.Context, m events.Message) error {
	e, err := Decode(m)
	if err != nil {
		h.log.WithContext(ctx).Errorw("msg", "undecodable event skipped", "topic", m.Topic, "event", m.ID, "err", err)
		return nil
	}
	if e == nil || e.Type == biz.EventOther {
		return nil
	}
	return h.uc.Handle(ctx, e)
}

// Decode turns a message of TopicFile or TopicShare into a biz event; other
// topics give nil.
func Decode(m events.Message) (*biz.Event, error) {
	var e *biz.Event
	switch m.Topic {
	case events.TopicFile:
		var fe eventsv1.FileEvent
		if err := proto.Unmarshal(m.Payload, &fe); err != nil {
			return nil, err
		}
		e = &biz.Event{ID: fe.GetEventId(), Owner: fe.GetOwnerId(), Name: fe.GetName(),
			UsedBytes: fe.GetUsedBytes(), LimitBytes: fe.GetLimitBytes(), OccurredAt: millis(fe.GetOccurredAt())}
		if fe.GetType() == eventsv1.FileEvent_QUOTA_WARNING {
			e.Type = biz.EventQuotaWarning
		}
	case events.TopicShare:
		var se eventsv1.ShareEvent
		if err := proto.Unmarshal(m.Payload, &se); err != nil {
			return nil, err
		}
		e = &biz.Event{ID: se.GetEventId(), Owner: se.GetOwnerId(), OwnerNickname: se.GetOwnerNickname(),
			Recipient: se.GetRecipientId(), Actor: se.GetActorId(), ActorNickname: se.GetActorNickname(),
			ShareToken: se.GetShareToken(), Name: se.GetName(), OccurredAt: millis(se.GetOccurredAt())}
		switch se.GetType() {
		case eventsv1.ShareEvent_CREATED:
			e.Type = biz.EventShareCreated
		case eventsv1.ShareEvent_SAVED:
			e.Type = biz.EventShareSaved
		case eventsv1.ShareEvent_REVOKED:
			e.Type = biz.EventShareRevoked
		}
	default:
		return nil, nil
	}
	if e.ID == "" {
		e.ID = m.ID
	}
	if e.ID == "" {
		// No id anywhere: the payload itself tells a redelivery apart.
		sum := sha256.Sum256(append([]byte(m.Topic+"\x00"), m.Payload...))
		e.ID = hex.EncodeToString(sum[:])
	}
	return e, nil
}

func millis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
