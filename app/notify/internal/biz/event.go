package biz

import "time"

// EventType is what happened, as far as notify cares.
type EventType int

// Event types. Everything else a service publishes is EventOther and makes
// no notification.
const (
	EventOther EventType = iota
	// The owner's usage crossed the warning line of the quota.
	EventQuotaWarning
	// A share was created; Recipient is set when it was sent to someone.
	EventShareCreated
	// Actor saved items of the owner's share into their drive.
	EventShareSaved
	// The owner revoked a share.
	EventShareRevoked
)

// Event is a domain event (api/events/v1 FileEvent or ShareEvent) decoded by
// the service layer.
type Event struct {
	// ID is unique per event: a second delivery carries the same one.
	ID   string
	Type EventType
	// Owner of the tree or of the share.
	Owner         int64
	OwnerNickname string
	// Recipient of a share sent by name (EventShareCreated).
	Recipient int64
	// Who did it (the saver of EventShareSaved).
	Actor         int64
	ActorNickname string
	ShareToken    string
	// The shared item's name.
	Name       string
	UsedBytes  int64
	LimitBytes int64
	OccurredAt time.Time
}
