package apiserver

import (
	"context"
	grpcgo "google.golang.org/grpc"
	"time"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/middleware/recovery"
	"github.com/go-kratos/kratos/v2/transport"

	"clouddrive/pkg/apierror"
	"clouddrive/pkg/auth"
)

// Config is what the middleware chain needs.
type Config struct {
	Logger log.Logger
	Auth   auth.Options
	// Proxies whose X-Forwarded-For is believed (the gateway).
	TrustedProxies []string
	// Limits on bodies, headers, streams and stalls; zero: the defaults.
	Limits Limits
	// Guard runs after client info and before the access log and auth:
	// tracing, metrics and overload protection (pkg/skeleton), so that
	// refused and unauthenticated calls are traced, counted and shed too.
	Guard []middleware.Middleware
	// StreamGuard is for gRPC streams what Guard is for calls, run after
	// recovery and error mapping (the skeleton's stream byte counts).
	StreamGuard []grpcgo.StreamServerInterceptor
}

// Middleware is the chain every server runs, outermost first.
func Middleware(c Config) []middleware.Middleware {
	ms := []middleware.Middleware{
		apierror.Server(c.Logger),
		recovery.Recovery(),
		ClientInfo(ParseProxies(c.TrustedProxies)),
	}
	ms = append(ms, c.Guard...)
	return append(ms,
		AccessLog(c.Logger),
		auth.Server(c.Auth),
		apierror.Validator(),
	)
}

// AccessLog logs one line per call: operation, outcome and latency. It never
// logs the request itself, which may hold passwords, codes or tokens.
func AccessLog(logger log.Logger) middleware.Middleware {
	h := log.NewHelper(log.With(logger, "module", "access"))
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			start := time.Now()
			reply, err := next(ctx, req)
			op, kind := "", ""
			if tr, ok := transport.FromServerContext(ctx); ok {
				op, kind = tr.Operation(), string(tr.Kind())
			}
			kv := []any{"kind", kind, "op", op, "latency_ms", time.Since(start).Milliseconds()}
			if c, ok := auth.FromContext(ctx); ok {
				kv = append(kv, "uid", c.UserID)
			}
			if err != nil {
				se := errors.FromError(err)
				kv = append(kv, "code", se.Code, "reason", se.Reason)
				h.WithContext(ctx).Infow(kv...)
			} else {
				kv = append(kv, "code", 200)
				h.WithContext(ctx).Debugw(kv...)
			}
			return reply, err
		}
	}
}

// callTimeout bounds a unary call (0: no bound). Only calls pass through
// kratos middleware, so transfers on raw routes and streams are not cut.
func callTimeout(d time.Duration) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			if d <= 0 {
				return next(ctx, req)
			}
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			return next(ctx, req)
		}
	}
}
