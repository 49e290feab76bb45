package biz

import "context"

// EventType is what happened to a tree.
type EventType int

// Event types (api/events/v1 FileEvent.Type).
const (
	EventCreated EventType = iota + 1
	EventRenamed
	EventMoved
	EventCopied
	EventTrashed
	EventRestored
	EventPurged
	EventQuotaWarning
	EventVersioned
	EventVersionRestored
)

// Event is a domain event, written to the outbox in the transaction of the
// change it describes, and relayed to Kafka from there.
type Event struct {
	ID         string
	Type       EventType
	OwnerID    int64
	NodeID     int64
	ParentID   int64
	Name       string
	Kind       Kind
	Size       int64
	Count      int64
	UsedBytes  int64
	LimitBytes int64
	OccurredAt int64 // unix ms
	// ChangeSeq is the change's position in the owner's feed (0: none).
	ChangeSeq int64
}

// OutboxRepo appends events in the caller's transaction.
type OutboxRepo interface {
	Add(ctx context.Context, e *Event) error
}

func (uc *NodeUsecase) event(t EventType, n *Node, count int64) *Event {
	return nodeEvent(t, n, count, uc.now().UnixMilli())
}

func nodeEvent(t EventType, n *Node, count, at int64) *Event {
	return &Event{ID: newEventID(), Type: t, OwnerID: n.OwnerID, NodeID: n.ID, ParentID: n.ParentID,
		Name: n.Name, Kind: n.Kind, Size: n.Size, Count: count, OccurredAt: at}
}
