package cdcrelay

import (
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/schema"

	"clouddrive/pkg/cdc"
)

func nodesTable() *schema.Table {
	t := &schema.Table{Schema: "clouddrive_file", Name: "nodes"}
	for _, c := range []string{"id", "owner_id", "parent_id", "name_key", "live", "kind", "size", "updated_at", "name",
		"content_hash", "mime", "created_at", "trashed_at", "trash_root", "version"} {
		t.Columns = append(t.Columns, schema.TableColumn{Name: c})
	}
	return t
}

// The values as go-mysql decodes a nodes row (DATETIME(3) as text).
func nodeValues(name string, live any, trashed any, version int64) []any {
	return []any{int64(42), int64(7), int64(0), name, live, int8(2), int64(1024), "2026-12-06 06:01:17.120", name,
		"ab", "text/plain", "2026-12-06 06:01:17.000", trashed, int64(0), version}
}

// An update is what Flink's debezium-json writes for UPDATE_BEFORE and
// UPDATE_AFTER: "d" with the old row, then "c" with the new one, keyed by
// the primary key as JSON, types as Flink maps them (VARBINARY as base64,
// TIMESTAMP(3) as SQL text without trailing zeros).
func TestEncodeIsFlinksDebeziumJSON(t *testing.T) {
	one := int8(1)
	msgs, err := encode(tables["nodes"], nodesTable(), "update", [][]any{
		nodeValues("a.txt", one, nil, 1),
		nodeValues("b.txt", nil, "2026-12-06 06:02:00.500", 2),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ op, value string }{
		{cdc.OpDelete, `{"before":{"id":42,"owner_id":7,"parent_id":0,"name_key":"YS50eHQ=","live":1,"kind":2,"size":1024,"updated_at":"2026-12-06 06:01:17.12","name":"a.txt","content_hash":"ab","mime":"text/plain","created_at":"2026-12-06 06:01:17","trashed_at":null,"trash_root":0,"version":1},"after":null,"op":"d"}`},
		{cdc.OpCreate, `{"before":null,"after":{"id":42,"owner_id":7,"parent_id":0,"name_key":"Yi50eHQ=","live":null,"kind":2,"size":1024,"updated_at":"2026-12-06 06:01:17.12","name":"b.txt","content_hash":"ab","mime":"text/plain","created_at":"2026-12-06 06:01:17","trashed_at":"2026-12-06 06:02:00.5","trash_root":0,"version":2},"op":"c"}`},
	}
	if len(msgs) != len(want) {
		t.Fatalf("%d messages, want %d", len(msgs), len(want))
	}
	for i, m := range msgs {
		if m.topic != cdc.TopicNodes || string(m.key) != `{"id":42}` || m.op != want[i].op || string(m.value) != want[i].value {
			t.Errorf("message %d:\n got %s %s %s\nwant %s {\"id\":42} %s", i, m.topic, m.key, m.value, cdc.TopicNodes, want[i].value)
		}
	}
	if _, err := encode(tables["nodes"], nodesTable(), "update", [][]any{nodeValues("a", one, nil, 1)}); err == nil {
		t.Error("an update with one image encoded")
	}
	if _, err := encode(tables["nodes"], nodesTable(), "insert", [][]any{{int64(1)}}); err == nil {
		t.Error("a row with missing columns encoded")
	}
}

func TestPositionFileResumes(t *testing.T) {
	f := positionFile{t.TempDir() + "/p/position.json"}
	if _, ok, err := f.load(); ok || err != nil {
		t.Fatalf("no file: ok %v, %v", ok, err)
	}
	if err := f.save(mysqlPos("binlog.000003", 1234)); err != nil {
		t.Fatal(err)
	}
	p, ok, err := f.load()
	if !ok || err != nil || p.Name != "binlog.000003" || p.Pos != 1234 {
		t.Fatalf("loaded %v %v %v", p, ok, err)
	}
}

func mysqlPos(name string, pos uint32) mysql.Position { return mysql.Position{Name: name, Pos: pos} }
