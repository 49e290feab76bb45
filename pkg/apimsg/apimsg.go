// Package apimsg holds what every service layer does the same way when it
// turns API messages into use-case calls and back: the caller (the owner of
// what is asked for), opaque ids, and times.
package apimsg

import (
	"context"
	"strconv"
	"time"

	commonv1 "clouddrive/api/common/v1"
	"clouddrive/pkg/auth"
)

// Caller is the signed-in caller with its role and session, for the calls
// that need more than the owner's id.
func Caller(ctx context.Context) (auth.Caller, error) {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Caller{}, commonv1.ErrorUnauthenticated("a bearer access token is required")
	}
	return c, nil
}

// Owner is the signed-in caller, whose data every call is limited to.
func Owner(ctx context.Context) (int64, error) {
	c, err := Caller(ctx)
	return c.UserID, err
}

// Timestamp is t for clients: RFC 3339 in UTC, "" for the zero time.
func Timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// FormatID renders an id for clients (ids are opaque strings in JSON);
// 0 (none, or the root) is "".
func FormatID(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// ParseID reads an id a client sent; ok is false for anything that cannot
// be one (the caller answers "not found").
func ParseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// FormatIDs is FormatID of each id.
func FormatIDs(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = FormatID(id)
	}
	return out
}

// IDOf reads an id another service sent ("" is 0, none): a client of our
// own services trusts what they answer, so it keeps no error.
func IDOf(s string) int64 {
	id, _ := strconv.ParseInt(s, 10, 64)
	return id
}

// ParseTime reads a Timestamp another service sent; "" is the zero time.
func ParseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
