package cdc

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Topics of the change stream, one per table, as flink/jobs/*.sql name them.
const (
	TopicNodes  = "cdc.file.nodes"
	TopicQuotas = "cdc.file.quotas"
)

// Operations of Flink's debezium-json serializer: it writes INSERT and
// UPDATE_AFTER as "c" (after set) and DELETE and UPDATE_BEFORE as "d" (before
// set), so an update is two messages, "d" with the old row then "c" with the
// new one. It never writes "u" or "r".
const (
	OpCreate = "c"
	OpDelete = "d"
)

// Envelope is one debezium-json message: {"before":…,"after":…,"op":…}, in
// that field order, the row that is absent being null.
type Envelope struct {
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
	Op     string          `json:"op"`
}

// Row is the row the message carries: after for "c", before for "d".
func (e *Envelope) Row() json.RawMessage {
	if e.Op == OpDelete {
		return e.Before
	}
	return e.After
}

// Parse reads a message value; it refuses an op Flink does not write and a
// message without the row its op needs.
func Parse(value []byte) (*Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(value, &e); err != nil {
		return nil, fmt.Errorf("cdc: not debezium-json: %w", err)
	}
	switch {
	case e.Op == OpCreate && isNull(e.After), e.Op == OpDelete && isNull(e.Before):
		return nil, fmt.Errorf("cdc: op %q without its row", e.Op)
	case e.Op != OpCreate && e.Op != OpDelete:
		return nil, fmt.Errorf("cdc: op %q is not one Flink's debezium-json writes", e.Op)
	}
	return &e, nil
}

func isNull(m json.RawMessage) bool { return len(m) == 0 || string(m) == "null" }

// Marshal writes e with null for an absent row (never an empty value).
func (e *Envelope) Marshal() ([]byte, error) {
	out := *e
	if len(out.Before) == 0 {
		out.Before = json.RawMessage("null")
	}
	if len(out.After) == 0 {
		out.After = json.RawMessage("null")
	}
	return json.Marshal(out)
}

// NodeKey is the Kafka key of a nodes row: the Flink sink's 'key.format' =
// 'json' over 'key.fields' = 'id'.
func NodeKey(id int64) []byte { return []byte(`{"id":` + strconv.FormatInt(id, 10) + `}`) }

// QuotaKey is the Kafka key of a quotas row ('key.fields' = 'owner_id').
func QuotaKey(owner int64) []byte {
	return []byte(`{"owner_id":` + strconv.FormatInt(owner, 10) + `}`)
}
