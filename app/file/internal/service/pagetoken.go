package service

import (
	"encoding/base64"
	"encoding/json"
	"time"

	v1 "clouddrive/api/file/v1"
	"clouddrive/app/file/internal/biz"
)

// A page token is the cursor after the last entry, with the order it was
// made for: a token from another order or another listing is refused
// rather than silently skipping entries.
type pageToken struct {
	Order string `json:"o"`
	Desc  bool   `json:"d,omitempty"`
	Kind  int8   `json:"k,omitempty"`
	Name  string `json:"n,omitempty"`
	Size  int64  `json:"s,omitempty"`
	Time  int64  `json:"t,omitempty"`
	ID    int64  `json:"i"`
}

func encodeToken(order string, desc bool, c *biz.Cursor) string {
	if c == nil {
		return ""
	}
	t := pageToken{Order: order, Desc: desc, Kind: int8(c.Kind), Name: c.Name, Size: c.Size, ID: c.ID}
	if !c.Updated.IsZero() {
		t.Time = c.Updated.UnixNano()
	}
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s, order string, desc bool) (*biz.Cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var t pageToken
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil || t.Order != order || t.Desc != desc || t.ID <= 0 {
		return nil, v1.ErrorInvalidPageToken("the page token is malformed or belongs to another listing").
			WithMetadata(map[string]string{"field": "page_token"})
	}
	c := &biz.Cursor{Kind: biz.Kind(t.Kind), Name: t.Name, Size: t.Size, ID: t.ID}
	if t.Time != 0 {
		c.Updated = time.Unix(0, t.Time).UTC()
	}
	return c, nil
}
