package skeleton

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-kratos/aegis/ratelimit/bbr"
	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/middleware"
	kratelimit "github.com/go-kratos/kratos/v2/middleware/ratelimit"
	"github.com/go-kratos/kratos/v2/transport"

	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/ratelimit"
	"clouddrive/pkg/telemetry"
)

// Adaptive refuses calls at once (429 RATELIMIT) while the process is
// overloaded (aegis BBR: CPU past its threshold and more calls in flight
// than the measured capacity) instead of queueing them.
//
// Load is shed at the edge only: a call between services (ACCESS_INTERNAL)
// is part of an operation some service already admitted, such as the
// CreateFile of an upload's complete, and refusing it would fail that
// operation half way instead of refusing it whole.
func Adaptive(service string, opts ...bbr.Option) middleware.Middleware {
	refused := telemetry.Refused.WithLabelValues(service, "adaptive")
	limit := kratelimit.Server(kratelimit.WithLimiter(bbr.NewLimiter(opts...)))
	return func(next middleware.Handler) middleware.Handler {
		h := limit(next)
		return func(ctx context.Context, req any) (any, error) {
			if tr, ok := transport.FromServerContext(ctx); ok && auth.AccessOf(tr.Operation()) == auth.Internal {
				return next(ctx, req)
			}
			reply, err := h(ctx, req)
			if errors.Is(err, kratelimit.ErrLimitExceed) {
				refused.Inc()
			}
			return reply, err
		}
	}
}

// ClientRate caps each client IP to a number of calls per window; the rule
// changes live (rate_limit in the configuration, watched).
type ClientRate struct {
	service string
	rule    atomic.Pointer[ratelimit.Rule]
	counts  ratelimit.Limiter
}

// NewClientRate counts in counts (Redis to share the cap among instances,
// memory for one).
func NewClientRate(service string, counts ratelimit.Limiter) *ClientRate {
	c := &ClientRate{service: service, counts: counts}
	c.Set(0, 0)
	return c
}

// Set changes the rule; perClient 0 removes the cap.
func (c *ClientRate) Set(perClient int64, window time.Duration) {
	if window <= 0 {
		window = time.Second
	}
	c.rule.Store(&ratelimit.Rule{Limit: int(perClient), Window: window})
}

// ErrTooMany is a client over its rate.
var ErrTooMany = errors.New(429, "RATELIMIT", "too many requests from this client; retry later")

// Middleware enforces the rule, after ClientInfo found the client's IP.
func (c *ClientRate) Middleware() middleware.Middleware {
	refused := telemetry.Refused.WithLabelValues(c.service, "client_rate")
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			r := c.rule.Load()
			ip := apiserver.ClientFrom(ctx).IP
			if r.Limit <= 0 || ip == "" {
				return next(ctx, req)
			}
			d, err := c.counts.Allow(ctx, "rate:"+c.service+":"+ip, *r)
			if err == nil && !d.Allowed {
				refused.Inc()
				return nil, ErrTooMany.WithMetadata(map[string]string{"retry_after_ms": strconv.FormatInt(d.RetryAfter.Milliseconds(), 10)})
			}
			// A failing counter (Redis down) lets calls through: the cap
			// protects, it must not take the service down with it.
			return next(ctx, req)
		}
	}
}
