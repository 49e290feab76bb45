package service

import (
	"encoding/base64"
	"testing"

	v1 "clouddrive/api/file/v1"
)

func TestChangeCursorIsBoundToItsUser(t *testing.T) {
	c := encodeCursor(101, 42)
	if seq, err := decodeCursor(c, 101); err != nil || seq != 42 {
		t.Fatalf("own cursor: %d, %v", seq, err)
	}
	if seq, err := decodeCursor("", 101); err != nil || seq != 0 {
		t.Fatalf("empty cursor: %d, %v", seq, err)
	}
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for name, bad := range map[string]string{
		"another user's": c,
		"not base64":     "%%%",
		"not a cursor":   b64("hello"),
		"trailing bytes": b64("c1:202:42x"),
		"negative":       b64("c1:202:-1"),
		"other version":  b64("c2:202:42"),
	} {
		if _, err := decodeCursor(bad, 202); !v1.IsInvalidCursor(err) {
			t.Errorf("%s: %v, want INVALID_CURSOR", name, err)
		}
	}
}
