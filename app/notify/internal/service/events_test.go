package service

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	eventsv1 "clouddrive/api/events/v1"
	"clouddrive/app/notify/internal/biz"
	"clouddrive/pkg/events"
)

func payload(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecode(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name string
		m    events.Message
		want *biz.Event
	}{
		{"quota warning", events.Message{ID: "h", Topic: events.TopicFile, Payload: payload(t, &eventsv1.FileEvent{
			EventId: "q1", Type: eventsv1.FileEvent_QUOTA_WARNING, OwnerId: 7, UsedBytes: 91, LimitBytes: 100, OccurredAt: at.UnixMilli()})},
			&biz.Event{ID: "q1", Type: biz.EventQuotaWarning, Owner: 7, UsedBytes: 91, LimitBytes: 100, OccurredAt: at}},
		{"other file event", events.Message{Topic: events.TopicFile, Payload: payload(t, &eventsv1.FileEvent{
			EventId: "f1", Type: eventsv1.FileEvent_TRASHED, OwnerId: 7, Name: "a"})},
			&biz.Event{ID: "f1", Type: biz.EventOther, Owner: 7, Name: "a"}},
		{"share created", events.Message{Topic: events.TopicShare, Payload: payload(t, &eventsv1.ShareEvent{
			EventId: "s1", Type: eventsv1.ShareEvent_CREATED, ShareToken: "tok", OwnerId: 7, RecipientId: 8,
			OwnerNickname: "Al", Name: "n"})},
			&biz.Event{ID: "s1", Type: biz.EventShareCreated, ShareToken: "tok", Owner: 7, Recipient: 8, OwnerNickname: "Al", Name: "n"}},
		{"share saved", events.Message{Topic: events.TopicShare, Payload: payload(t, &eventsv1.ShareEvent{
			EventId: "s2", Type: eventsv1.ShareEvent_SAVED, OwnerId: 7, ActorId: 9, ActorNickname: "Ca", Name: "n"})},
			&biz.Event{ID: "s2", Type: biz.EventShareSaved, Owner: 7, Actor: 9, ActorNickname: "Ca", Name: "n"}},
		{"share revoked", events.Message{Topic: events.TopicShare, Payload: payload(t, &eventsv1.ShareEvent{
			EventId: "s3", Type: eventsv1.ShareEvent_REVOKED, OwnerId: 7})},
			&biz.Event{ID: "s3", Type: biz.EventShareRevoked, Owner: 7}},
		{"id from the message", events.Message{ID: "hdr", Topic: events.TopicShare, Payload: payload(t, &eventsv1.ShareEvent{
			Type: eventsv1.ShareEvent_REVOKED, OwnerId: 7})},
			&biz.Event{ID: "hdr", Type: biz.EventShareRevoked, Owner: 7}},
		{"another topic", events.Message{Topic: events.TopicUser, Payload: []byte{1}}, nil},
	}
	for _, c := range cases {
		got, err := Decode(c.m)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}

	// No id at all: the same payload gets the same id, another payload another.
	p := payload(t, &eventsv1.ShareEvent{Type: eventsv1.ShareEvent_SAVED, OwnerId: 7, ActorId: 9})
	a, _ := Decode(events.Message{Topic: events.TopicShare, Payload: p})
	b, _ := Decode(events.Message{Topic: events.TopicShare, Payload: p})
	c, _ := Decode(events.Message{Topic: events.TopicShare, Payload: payload(t, &eventsv1.ShareEvent{Type: eventsv1.ShareEvent_SAVED, OwnerId: 7, ActorId: 10})})
	if a.ID == "" || a.ID != b.ID || a.ID == c.ID {
		t.Errorf("derived ids %q %q %q", a.ID, b.ID, c.ID)
	}

	if _, err := Decode(events.Message{Topic: events.TopicFile, Payload: []byte{0xff, 0xff}}); err == nil {
		t.Error("garbage decoded")
	}
}
