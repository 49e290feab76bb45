package events

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
	"gorm.io/gorm"

	eventsv1 "clouddrive/api/events/v1"
	"clouddrive/pkg/database"
)

type shareEvent struct {
	id    string
	owner int64
}

func TestOutboxWritesInTheChangesTransaction(t *testing.T) {
	db, err := database.Open(*outboxDB(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := database.Migrate(db, &OutboxRecord{}); err != nil {
		t.Fatal(err)
	}
	o := NewOutbox(func(ctx context.Context) *gorm.DB { return database.Conn(ctx, db) }, TopicShare,
		func(e shareEvent) Encoded {
			return Encoded{ID: e.id, Key: "7", Payload: &eventsv1.ShareEvent{EventId: e.id, OwnerId: e.owner}}
		})
	tx := database.NewTransactor(db)
	ctx := context.Background()
	if err := tx.InTx(ctx, func(ctx context.Context) error { return o.Add(ctx, shareEvent{"kept", 7}) }); err != nil {
		t.Fatal(err)
	}
	rolledBack := errors.New("the change failed")
	if err := tx.InTx(ctx, func(ctx context.Context) error {
		if err := o.Add(ctx, shareEvent{"dropped", 7}); err != nil {
			return err
		}
		return rolledBack
	}); !errors.Is(err, rolledBack) {
		t.Fatalf("InTx: %v", err)
	}
	var rows []OutboxRecord
	if err := db.Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].EventID != "kept" || rows[0].Topic != TopicShare || rows[0].Key != "7" {
		t.Fatalf("outbox rows = %+v, want the committed event only", rows)
	}
	var got eventsv1.ShareEvent
	if err := proto.Unmarshal(rows[0].Payload, &got); err != nil || got.GetOwnerId() != 7 || got.GetEventId() != "kept" {
		t.Fatalf("payload = %v, %v", &got, err)
	}
}
