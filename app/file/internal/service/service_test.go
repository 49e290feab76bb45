package service

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	v1 "clouddrive/api/file/v1"
	"clouddrive/app/file/internal/biz"
)

// A page's messages share one array; each still carries its own node,
// every field, the trash time only where there is one.
func TestToNodesFillsEachMessage(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	trashed := at.Add(time.Hour)
	ns := []*biz.Node{
		{ID: 9007199254740993, ParentID: 0, Name: "photos", Kind: biz.KindFolder, CreatedAt: at, UpdatedAt: at, Version: 3},
		{ID: 7, ParentID: 9007199254740993, Name: "a.txt", Kind: biz.KindFile, Size: 1 << 40, ContentHash: "ab", Mime: "text/plain",
			CreatedAt: at, UpdatedAt: trashed, TrashedAt: &trashed, Version: 1},
	}
	want := []*v1.Node{
		{Id: "9007199254740993", ParentId: "", Name: "photos", Kind: "folder", CreatedAt: timestamp(at), UpdatedAt: timestamp(at), Version: 3},
		{Id: "7", ParentId: "9007199254740993", Name: "a.txt", Kind: "file", Size: 1 << 40, ContentHash: "ab", Mime: "text/plain",
			CreatedAt: timestamp(at), UpdatedAt: timestamp(trashed), TrashedAt: timestamp(trashed), Version: 1},
	}
	got := toNodes(ns)
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d", len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) || !proto.Equal(got[i], toNode(ns[i])) {
			t.Errorf("item %d: %v, want %v", i, got[i], want[i])
		}
	}
	if len(toNodes(nil)) != 0 {
		t.Error("no nodes, some messages")
	}
}
