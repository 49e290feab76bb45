package cdc

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// NodeRow is a row of the file service's nodes table in Flink's JSON type
// mapping: BIGINT and TINYINT as numbers, VARCHAR as a string, VARBINARY
// (name_key) as base64, TIMESTAMP(3) as "2006-01-02 15:04:05.999" (the SQL
// standard format), NULL as null. Fields are in the table's column order,
// which is the order Flink writes them in. A test holds these tags, the SQL
// of flink/jobs and the gorm model to one list of columns.
type NodeRow struct {
	ID          int64      `json:"id"`
	OwnerID     int64      `json:"owner_id"`
	ParentID    int64      `json:"parent_id"`
	NameKey     []byte     `json:"name_key"`
	Live        *int8      `json:"live"`
	Kind        int8       `json:"kind"`
	Size        int64      `json:"size"`
	UpdatedAt   Timestamp  `json:"updated_at"`
	Name        string     `json:"name"`
	ContentHash string     `json:"content_hash"`
	Mime        string     `json:"mime"`
	CreatedAt   Timestamp  `json:"created_at"`
	TrashedAt   *Timestamp `json:"trashed_at"`
	TrashRoot   int64      `json:"trash_root"`
	Version     int64      `json:"version"`
}

// QuotaRow is a row of the quotas table, in the same mapping.
type QuotaRow struct {
	OwnerID    int64     `json:"owner_id"`
	UsedBytes  int64     `json:"used_bytes"`
	LimitBytes int64     `json:"limit_bytes"`
	UpdatedAt  Timestamp `json:"updated_at"`
	Version    int64     `json:"version"`
}

// Timestamp is a MySQL DATETIME(3) (UTC, as the services write them) in
// Flink's SQL timestamp format: the fraction has as many digits as it needs,
// none when it is zero (java.time's appendFraction(NANO_OF_SECOND, 0, 9, true)).
type Timestamp struct{ time.Time }

const sqlLayout = "2006-01-02 15:04:05.999999999"

// MarshalJSON implements json.Marshaler.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(sqlLayout))
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseTimestamp(s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// ParseTimestamp reads a DATETIME as MySQL prints it ("2006-01-02
// 15:04:05.000") or as Flink does (trailing zeros cut), or RFC 3339.
func ParseTimestamp(s string) (time.Time, error) {
	if strings.Contains(s, "T") {
		return time.Parse(time.RFC3339Nano, s)
	}
	v, err := time.ParseInLocation(sqlLayout, s, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("cdc: timestamp %q: %w", s, err)
	}
	return v, nil
}
