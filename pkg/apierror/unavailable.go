package apierror

import (
	"context"
	"database/sql/driver"
	stderrors "errors"
	"net"
	"strings"
	"syscall"

	"github.com/go-kratos/kratos/v2/errors"

	commonv1 "clouddrive/api/common/v1"
)

// outage names the failures that are not the request's nor a bug but a
// dependency out of reach (the database restarting, Redis or the blob store
// stopped, another service gone, a disk full), so that the client gets a
// reason it can act on — retry shortly, or once space is freed — rather than
// a bare internal error. nil when err is none of them.
func outage(err error) *errors.Error {
	// Another service's gRPC status without a reason: its instance died
	// under the call (the stream reset: Canceled), or none could be reached
	// (Unavailable), or it did not answer in time (DeadlineExceeded).
	var se *errors.Error
	if stderrors.As(err, &se) && se.Reason == "" {
		switch se.Code {
		case 499, 502, 503, 504:
			return commonv1.ErrorUnavailable("a service this call needs is unavailable at the moment; retry shortly")
		}
	}
	var ne net.Error
	switch {
	case stderrors.Is(err, syscall.ENOSPC):
		return commonv1.ErrorInsufficientStorage("no space is left to store this; retry once space is freed")
	case stderrors.Is(err, context.DeadlineExceeded),
		stderrors.Is(err, syscall.ECONNREFUSED), stderrors.Is(err, syscall.ECONNRESET),
		stderrors.Is(err, syscall.EPIPE), stderrors.Is(err, driver.ErrBadConn),
		stderrors.As(err, &ne):
		return commonv1.ErrorUnavailable("a service this call needs is unavailable at the moment; retry shortly")
	}
	// Drivers that do not wrap the network error they met: MySQL's "invalid
	// connection" and "server shutdown", Redis's pool when its server is
	// gone, a closed pool.
	msg := err.Error()
	for _, s := range []string{"invalid connection", "Server shutdown in progress", "connection pool timeout",
		"Lost connection to", "server has gone away", "use of closed network connection", "connection refused"} {
		if strings.Contains(msg, s) {
			return commonv1.ErrorUnavailable("a service this call needs is unavailable at the moment; retry shortly")
		}
	}
	return nil
}
