package cdcrelay

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/schema"

	"clouddrive/pkg/cdc"
)

// table is one relayed table: its topic, how a binlog row becomes the row
// Flink would write, and the Kafka key.
type table struct {
	topic string
	row   func(cols map[string]any) (any, []byte, error)
}

var tables = map[string]table{
	"nodes":  {topic: cdc.TopicNodes, row: nodeRow},
	"quotas": {topic: cdc.TopicQuotas, row: quotaRow},
}

// columns maps a binlog row's values to its column names.
func columns(t *schema.Table, values []any) (map[string]any, error) {
	if len(values) != len(t.Columns) {
		return nil, fmt.Errorf("cdcrelay: %s.%s: %d values for %d columns", t.Schema, t.Name, len(values), len(t.Columns))
	}
	m := make(map[string]any, len(values))
	for i, c := range t.Columns {
		m[strings.ToLower(c.Name)] = values[i]
	}
	return m, nil
}

// reader converts binlog values to the Go types of the rows, remembering the
// first error.
type reader struct {
	cols map[string]any
	err  error
}

func (r *reader) fail(col string, v any) {
	if r.err == nil {
		r.err = fmt.Errorf("cdcrelay: column %s: unexpected value %T(%v)", col, v, v)
	}
}

func (r *reader) int64(col string) int64 {
	switch v := r.cols[col].(type) {
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case int64:
		return v
	case int:
		return int64(v)
	case uint8:
		return int64(v)
	case uint16:
		return int64(v)
	case uint32:
		return int64(v)
	case uint64:
		return int64(v)
	default:
		r.fail(col, v)
		return 0
	}
}

func (r *reader) nullInt8(col string) *int8 {
	if r.cols[col] == nil {
		return nil
	}
	v := int8(r.int64(col))
	return &v
}

func (r *reader) string(col string) string {
	switch v := r.cols[col].(type) {
	case string:
		return v
	case []byte:
		return string(v)
	default:
		r.fail(col, v)
		return ""
	}
}

func (r *reader) bytes(col string) []byte {
	b := []byte(r.string(col))
	if b == nil {
		return []byte{}
	}
	return b
}

func (r *reader) nullTime(col string) *cdc.Timestamp {
	if r.cols[col] == nil {
		return nil
	}
	s := r.string(col)
	t, err := cdc.ParseTimestamp(s)
	if err != nil && r.err == nil {
		r.err = err
	}
	return &cdc.Timestamp{Time: t}
}

func (r *reader) time(col string) cdc.Timestamp {
	if t := r.nullTime(col); t != nil {
		return *t
	}
	r.fail(col, nil)
	return cdc.Timestamp{}
}

func nodeRow(cols map[string]any) (any, []byte, error) {
	r := &reader{cols: cols}
	n := cdc.NodeRow{ID: r.int64("id"), OwnerID: r.int64("owner_id"), ParentID: r.int64("parent_id"),
		NameKey: r.bytes("name_key"), Live: r.nullInt8("live"), Kind: int8(r.int64("kind")), Size: r.int64("size"),
		UpdatedAt: r.time("updated_at"), Name: r.string("name"), ContentHash: r.string("content_hash"),
		Mime: r.string("mime"), CreatedAt: r.time("created_at"), TrashedAt: r.nullTime("trashed_at"),
		TrashRoot: r.int64("trash_root"), Version: r.int64("version")}
	return n, cdc.NodeKey(n.ID), r.err
}

func quotaRow(cols map[string]any) (any, []byte, error) {
	r := &reader{cols: cols}
	q := cdc.QuotaRow{OwnerID: r.int64("owner_id"), UsedBytes: r.int64("used_bytes"),
		LimitBytes: r.int64("limit_bytes"), UpdatedAt: r.time("updated_at"), Version: r.int64("version")}
	return q, cdc.QuotaKey(q.OwnerID), r.err
}

// message is one debezium-json value and its key.
type message struct {
	topic string
	key   []byte
	value []byte
	op    string
}

// encode turns one binlog rows event into the messages Flink writes for
// it: an insert is "c" with after, a delete "d" with before, and an update
// (before and after image, in pairs) "d" with the old row then "c" with the
// new one, as Flink's debezium-json serializer writes UPDATE_BEFORE and
// UPDATE_AFTER.
func encode(t table, tab *schema.Table, action string, rows [][]any) ([]message, error) {
	one := func(op string, values []any) (message, error) {
		cols, err := columns(tab, values)
		if err != nil {
			return message{}, err
		}
		row, key, err := t.row(cols)
		if err != nil {
			return message{}, err
		}
		b, err := json.Marshal(row)
		if err != nil {
			return message{}, err
		}
		e := cdc.Envelope{Op: op}
		if op == cdc.OpDelete {
			e.Before = b
		} else {
			e.After = b
		}
		v, err := e.Marshal()
		return message{topic: t.topic, key: key, value: v, op: op}, err
	}
	var out []message
	add := func(op string, values []any) error {
		m, err := one(op, values)
		out = append(out, m)
		return err
	}
	switch action {
	case "insert":
		for _, r := range rows {
			if err := add(cdc.OpCreate, r); err != nil {
				return nil, err
			}
		}
	case "delete":
		for _, r := range rows {
			if err := add(cdc.OpDelete, r); err != nil {
				return nil, err
			}
		}
	case "update":
		if len(rows)%2 != 0 {
			return nil, fmt.Errorf("cdcrelay: update of %s with %d row images", tab.Name, len(rows))
		}
		for i := 0; i < len(rows); i += 2 {
			if err := add(cdc.OpDelete, rows[i]); err != nil {
				return nil, err
			}
			if err := add(cdc.OpCreate, rows[i+1]); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("cdcrelay: unknown row action %q", action)
	}
	return out, nil
}
