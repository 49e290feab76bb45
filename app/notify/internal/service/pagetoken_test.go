package service

import (
	"testing"

	commonv1 "clouddrive/api/common/v1"
)

func TestPageToken(t *testing.T) {
	for _, id := range []int64{1, 42, 1 << 62} {
		got, err := decodeToken(encodeToken(id))
		if err != nil || got != id {
			t.Errorf("round trip of %d: %d, %v", id, got, err)
		}
	}
	if encodeToken(0) != "" {
		t.Error("no next page must give no token")
	}
	if id, err := decodeToken(""); err != nil || id != 0 {
		t.Errorf("empty token: %d, %v", id, err)
	}
	for _, bad := range []string{"x", "!!", "MTIz" /* "123" */, "bjEuMA" /* n1.0 */, "bjEuYWJj" /* n1.abc */} {
		if _, err := decodeToken(bad); !commonv1.IsValidationFailed(err) {
			t.Errorf("decodeToken(%q) = %v, want VALIDATION_FAILED", bad, err)
		}
	}
}
