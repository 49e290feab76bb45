package apimsg

import (
	"context"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/errors"

	"clouddrive/pkg/auth"
)

func TestOwnerNeedsACaller(t *testing.T) {
	if _, err := Owner(context.Background()); errors.FromError(err).Code != 401 {
		t.Fatalf("no caller: %v", err)
	}
	ctx := auth.NewContext(context.Background(), auth.Caller{UserID: 7})
	if id, err := Owner(ctx); err != nil || id != 7 {
		t.Fatalf("Owner = %d, %v", id, err)
	}
}

func TestIDsAndTimes(t *testing.T) {
	if FormatID(0) != "" || FormatID(42) != "42" {
		t.Fatal("FormatID")
	}
	for s, ok := range map[string]bool{"42": true, "0": false, "-1": false, "x": false, "": false} {
		if _, got := ParseID(s); got != ok {
			t.Errorf("ParseID(%q) ok = %v", s, got)
		}
	}
	if Timestamp(time.Time{}) != "" || Timestamp(time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))) != "2026-01-02T02:04:05Z" {
		t.Fatal("Timestamp")
	}
}

func TestCallerAndWhatOtherServicesSend(t *testing.T) {
	if _, err := Caller(context.Background()); errors.FromError(err).Code != 401 {
		t.Fatalf("no caller: %v", err)
	}
	ctx := auth.NewContext(context.Background(), auth.Caller{UserID: 7, Role: "admin"})
	if c, err := Caller(ctx); err != nil || c.UserID != 7 || c.Role != "admin" {
		t.Fatalf("Caller = %+v, %v", c, err)
	}
	if got := FormatIDs([]int64{0, 5}); len(got) != 2 || got[0] != "" || got[1] != "5" {
		t.Fatalf("FormatIDs = %q", got)
	}
	if IDOf("") != 0 || IDOf("12") != 12 {
		t.Fatal("IDOf")
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	if !ParseTime(Timestamp(at)).Equal(at) || !ParseTime("").IsZero() {
		t.Fatal("ParseTime does not read Timestamp back")
	}
}
