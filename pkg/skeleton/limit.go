package skeleton

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	aegis "github.com/go-kratos/aegis/ratelimit"
	"github.com/go-kratos/aegis/ratelimit/bbr"
	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/middleware"
	kratelimit "github.com/go-kratos/kratos/v2/middleware/ratelimit"
	"github.com/go-kratos/kratos/v2/transport"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/ratelimit"
	"clouddrive/pkg/telemetry"
)

// Adaptive refuses calls at once (429 RATELIMIT) while the process is
// overloaded (aegis BBR: CPU past its threshold and more calls in flight
// than the measured capacity) instead of queueing them. Its setting
// (overload in the configuration) belongs to the deployment and changes live.
//
// Load is shed at the edge only: a call between services (ACCESS_INTERNAL)
// is part of an operation some service already admitted, such as the
// CreateFile of an upload's complete, and refusing it would fail that
// operation half way instead of refusing it whole.
type Adaptive struct {
	service string
	// bbr is the limiter of the current setting; nil while shedding is off.
	// A new setting starts a new limiter (its capacity measured afresh):
	// BBR takes its options only when made.
	bbr atomic.Pointer[bbr.BBR]
}

// NewAdaptive returns the limiter of service under setting o.
func NewAdaptive(service string, o *confv1.Overload) (*Adaptive, error) {
	a := &Adaptive{service: service}
	return a, a.Set(o)
}

// Set applies a setting; a bad one is refused and the current one stays.
func (a *Adaptive) Set(o *confv1.Overload) error {
	if t := o.GetCpuThreshold(); t > 1000 {
		return fmt.Errorf("overload.cpu_threshold %d: the CPU is counted in per mille, so past 1000 "+
			"(every core busy) nothing would ever be shed; set overload.disabled instead", t)
	}
	if o.GetDisabled() {
		a.bbr.Store(nil)
		return nil
	}
	var opts []bbr.Option
	if t := o.GetCpuThreshold(); t != 0 {
		opts = append(opts, bbr.WithCPUThreshold(t))
	}
	a.bbr.Store(bbr.NewLimiter(opts...))
	return nil
}

// Allow implements aegis's ratelimit.Limiter over the current setting.
func (a *Adaptive) Allow() (aegis.DoneFunc, error) {
	if l := a.bbr.Load(); l != nil {
		return l.Allow()
	}
	return func(aegis.DoneInfo) {}, nil
}

// Middleware sheds the edge calls the limiter refuses.
func (a *Adaptive) Middleware() middleware.Middleware {
	refused := telemetry.Refused.WithLabelValues(a.service, "adaptive")
	limit := kratelimit.Server(kratelimit.WithLimiter(a))
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
