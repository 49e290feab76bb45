package data

import (
	"encoding/json"
	"time"

	"clouddrive/app/notify/internal/biz"
)

// notificationModel is a row of "notifications". (event_id, recipient_id)
// is unique: the second delivery of an event inserts nothing.
type notificationModel struct {
	ID          int64  `gorm:"primaryKey;autoIncrement"`
	RecipientID int64  `gorm:"not null;uniqueIndex:uq_notifications_event,priority:2;index:idx_notifications_recipient;index:idx_notifications_unread,priority:1"`
	EventID     string `gorm:"type:varchar(64);not null;uniqueIndex:uq_notifications_event,priority:1"`
	Kind        string `gorm:"type:varchar(32);not null"`
	// Data is the JSON object of what the notification is about; the text
	// is rendered from kind and data when read.
	Data         string     `gorm:"type:text;not null"`
	ReadAt       *time.Time `gorm:"index:idx_notifications_unread,priority:2"`
	CreatedAt    time.Time  `gorm:"not null"`
	MailState    int8       `gorm:"not null;default:0;index:idx_notifications_mail,priority:1"`
	MailAttempts int32      `gorm:"not null;default:0"`
	MailAfter    *time.Time `gorm:"index:idx_notifications_mail,priority:2"`
}

// TableName is the table of notifications.
func (notificationModel) TableName() string { return "notifications" }

func toModel(n *biz.Notification) (*notificationModel, error) {
	data := n.Data
	if data == nil {
		data = map[string]string{}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	return &notificationModel{ID: n.ID, RecipientID: n.Recipient, EventID: n.EventID, Kind: string(n.Kind),
		Data: string(b), ReadAt: utc(n.ReadAt), CreatedAt: n.CreatedAt.UTC(), MailState: int8(n.MailState),
		MailAttempts: int32(n.MailAttempts), MailAfter: utc(n.MailAfter)}, nil
}

func (m *notificationModel) toBiz() *biz.Notification {
	data := map[string]string{}
	_ = json.Unmarshal([]byte(m.Data), &data) // written by toModel: always an object
	return &biz.Notification{ID: m.ID, Recipient: m.RecipientID, EventID: m.EventID, Kind: biz.Kind(m.Kind),
		Data: data, ReadAt: utc(m.ReadAt), CreatedAt: m.CreatedAt.UTC(), MailState: biz.MailState(m.MailState),
		MailAttempts: int(m.MailAttempts), MailAfter: utc(m.MailAfter)}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
