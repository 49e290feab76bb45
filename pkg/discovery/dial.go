package discovery

import (
	"context"
	"fmt"
	"strings"
	"time"

	aegiscb "github.com/go-kratos/aegis/circuitbreaker"
	"github.com/go-kratos/aegis/circuitbreaker/sre"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/middleware/circuitbreaker"
	"github.com/go-kratos/kratos/v2/middleware/tracing"
	"github.com/go-kratos/kratos/v2/registry"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DialConfig says how to reach one service.
type DialConfig struct {
	// Target is "discovery:///<service>" (through the registry) or a fixed
	// "host:port".
	Target string
	// Timeout bounds one unary call, retries included (default 10 s).
	Timeout time.Duration
	// Retries of an idempotent call that found no instance or lost it
	// (default 2); other calls are never retried.
	Retries int
	// Middleware runs on each unary call after tracing and the breaker.
	Middleware []middleware.Middleware
}

// Dial connects to a service. A discovery target needs disc (the registry);
// a fixed one ignores it.
func Dial(ctx context.Context, c DialConfig, disc registry.Discovery) (*grpc.ClientConn, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	retries := c.Retries
	if retries == 0 {
		retries = 2
	}
	ms := append(ClientMiddleware(), c.Middleware...)
	opts := []kgrpc.ClientOption{
		kgrpc.WithEndpoint(c.Target),
		kgrpc.WithTimeout(timeout),
		kgrpc.WithMiddleware(ms...),
		kgrpc.WithUnaryInterceptor(retryIdempotent(retries)),
		kgrpc.WithPrintDiscoveryDebugLog(false),
		kgrpc.WithOptions(
			// A call waits (within its timeout) for a connection being made
			// rather than failing at once: an instance starting, or one
			// reconnecting after a restart. Nothing is sent twice by this.
			grpc.WithDefaultCallOptions(grpc.WaitForReady(true)),
			// Reconnect within seconds, not gRPC's default of up to 2 min.
			grpc.WithConnectParams(grpc.ConnectParams{MinConnectTimeout: 5 * time.Second,
				Backoff: backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second}}),
		),
	}
	if strings.HasPrefix(c.Target, "discovery:") {
		if disc == nil {
			return nil, fmt.Errorf("discovery: %s needs a registry (registry.endpoints)", c.Target)
		}
		opts = append(opts, kgrpc.WithDiscovery(disc))
	} else {
		// A fixed address has no registered health: do not ask for it.
		opts = append(opts, kgrpc.WithHealthCheck(false))
	}
	return kgrpc.DialInsecure(ctx, opts...)
}

// ClientMiddleware is what every client runs on a unary call before its
// own middleware: tracing, and one breaker per operation (a failing RPC
// does not stop the others).
func ClientMiddleware() []middleware.Middleware {
	return []middleware.Middleware{
		tracing.Client(),
		circuitbreaker.Client(circuitbreaker.WithCircuitBreaker(func() aegiscb.CircuitBreaker { return sre.NewBreaker() })),
	}
}

// DefaultTimeout bounds a unary call when DialConfig.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// idempotentVerbs start the names of RPCs that change nothing, so a retry
// on another instance cannot apply a change twice.
var idempotentVerbs = []string{"Get", "List", "Stat", "Path", "Search", "Usage", "Check", "Walk",
	"Lookup", "Unread", "Referenced", "Received", "Browse", "Me", "Sign", "UploadStatus"}

// Idempotent reports whether the gRPC method (/pkg.Service/Method) may be
// retried.
func Idempotent(fullMethod string) bool {
	name := fullMethod[strings.LastIndex(fullMethod, "/")+1:]
	for _, v := range idempotentVerbs {
		if strings.HasPrefix(name, v) {
			return true
		}
	}
	return false
}

// retryIdempotent retries an idempotent call that failed as Unavailable
// (the instance went away, or none was ready): the balancer then picks
// another. A change is never retried: it may have been applied.
func retryIdempotent(retries int) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if !Idempotent(method) {
			return err
		}
		for i := 0; i < retries && status.Code(err) == codes.Unavailable && ctx.Err() == nil; i++ {
			err = invoker(ctx, method, req, reply, cc, opts...)
		}
		return err
	}
}
