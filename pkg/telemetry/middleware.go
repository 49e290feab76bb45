package telemetry

import (
	"context"
	"strconv"
	"time"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
)

// Server counts and times every call a server handles, under service.
func Server(service string) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			start := time.Now()
			reply, err := next(ctx, req)
			op, kind := "", ""
			if tr, ok := transport.FromServerContext(ctx); ok {
				op, kind = tr.Operation(), string(tr.Kind())
			}
			code := 200
			if err != nil {
				code = int(errors.FromError(err).Code)
			}
			RPCRequests.WithLabelValues(service, kind, op, strconv.Itoa(code)).Inc()
			RPCSeconds.WithLabelValues(service, kind, op).Observe(time.Since(start).Seconds())
			return reply, err
		}
	}
}
