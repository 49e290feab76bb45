package events

import (
	"time"

	"gorm.io/gorm"
)

// OutboxRecord is an event waiting for the relay, in the owning service's
// own database (table "outbox").
type OutboxRecord struct {
	ID      int64  `gorm:"primaryKey;autoIncrement"`
	EventID string `gorm:"type:varchar(32);not null;uniqueIndex"`
	Topic   string `gorm:"type:varchar(64);not null"`
	Key     string `gorm:"type:varchar(64);not null"`
	Payload []byte `gorm:"type:blob;not null"`
	// Trace is the trace context of the writing call (JSON), for the relay.
	Trace     string `gorm:"type:varchar(512);not null;default:''"`
	CreatedAt time.Time
	SentAt    *time.Time `gorm:"index"`
}

// TableName is the outbox table.
func (OutboxRecord) TableName() string { return "outbox" }

// Add writes m to the outbox with tx, the transaction of the change the
// event describes: both happen or neither does. The trace of tx's context
// is kept with it.
func Add(tx *gorm.DB, m Message) error {
	return tx.Create(&OutboxRecord{EventID: m.ID, Topic: m.Topic, Key: m.Key, Payload: m.Payload,
		Trace: encodeTrace(injectTrace(tx.Statement.Context)), CreatedAt: time.Now().UTC()}).Error
}
