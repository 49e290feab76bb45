package apierror

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
)

// A dependency out of reach (database restarting, Redis or MinIO stopped,
// disk full) reaches the client as a reason it can act on, never as a bare
// internal error; a bug still is one.
func TestPublicNamesOutages(t *testing.T) {
	h := log.NewHelper(log.DefaultLogger)
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	cases := []struct {
		name   string
		err    error
		code   int
		reason string
	}{
		{"dial refused (Redis, MinIO stopped)", fmt.Errorf("s3 store: chunk 1: %w", refused), 503, "UNAVAILABLE"},
		{"bad connection (database/sql)", fmt.Errorf("query: %w", driver.ErrBadConn), 503, "UNAVAILABLE"},
		{"MySQL driver's invalid connection", errors.New("[mysql] invalid connection"), 503, "UNAVAILABLE"},
		{"MariaDB shutting down", errors.New("Error 1053 (08S01): Server shutdown in progress"), 503, "UNAVAILABLE"},
		{"deadline", fmt.Errorf("files: %w", context.DeadlineExceeded), 503, "UNAVAILABLE"},
		{"disk full", fmt.Errorf("write chunk: %w", syscall.ENOSPC), 507, "INSUFFICIENT_STORAGE"},
		{"another service's instance died under the call", kerrors.New(499, "", "context canceled"), 503, "UNAVAILABLE"},
		{"no instance of another service reachable", fmt.Errorf("files: %w", kerrors.New(503, "", "connection error")), 503, "UNAVAILABLE"},
		{"a bug", errors.New("nil map"), 500, "INTERNAL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			se := Public(context.Background(), h, c.err)
			if int(se.Code) != c.code || se.Reason != c.reason {
				t.Errorf("Public(%v) = %d %s, want %d %s", c.err, se.Code, se.Reason, c.code, c.reason)
			}
			if c.reason != "INTERNAL" && !HasChinese(c.reason) {
				t.Errorf("%s has no Chinese message", c.reason)
			}
		})
	}
}
