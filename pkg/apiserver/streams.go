package apiserver

import (
	"context"
	stderrors "errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	grpcgo "google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	commonv1 "clouddrive/api/common/v1"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/auth"
)

// streamInterceptors is what kratos middleware (unary only) does for
// streams, outermost first: recovery, public errors, admission, a cap per
// caller (after the skeleton's StreamGuard), validation of every message received, and the cut of a stalled
// send.
func streamInterceptors(c Config, l Limits) []grpcgo.StreamServerInterceptor {
	h := log.NewHelper(log.With(c.Logger, "module", "stream"))
	is := append([]grpcgo.StreamServerInterceptor{recoverStreams(h), streamErrors(c.Logger)}, c.StreamGuard...)
	return append(is,
		auth.StreamInterceptor(c.Auth),
		newStreamCounter(l.StreamsPerUser).interceptor(),
		validateStreams,
		stallGuard(l.Stall, h),
	)
}

// recoverStreams turns a panic of a stream's admission into INTERNAL; the
// handler itself runs under stallGuard, which recovers it the same way.
func recoverStreams(h *log.Helper) grpcgo.StreamServerInterceptor {
	return func(srv any, ss grpcgo.ServerStream, info *grpcgo.StreamServerInfo, handler grpcgo.StreamHandler) error {
		return recovered(ss.Context(), h, info.FullMethod, func() error { return handler(srv, ss) })
	}
}

// recovered runs f; a panic is logged with its stack and becomes INTERNAL,
// so one bad request never ends the process.
func recovered(ctx context.Context, h *log.Helper, op string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			h.WithContext(ctx).Errorw("msg", "panic in a stream", "op", op, "panic", fmt.Sprint(r), "stack", string(buf))
			err = commonv1.ErrorInternal("internal error")
		}
	}()
	return f()
}

// streamErrors gives a stream's error the shape a unary call's has (the
// same apierror middleware): a reason error stays, anything else is logged
// and becomes INTERNAL. A gRPC status from the transport (the client
// canceled, a message too large) is already what the client should see.
func streamErrors(logger log.Logger) grpcgo.StreamServerInterceptor {
	public := apierror.Server(logger)
	return func(srv any, ss grpcgo.ServerStream, _ *grpcgo.StreamServerInfo, handler grpcgo.StreamHandler) error {
		err := handler(srv, ss)
		if err == nil {
			return nil
		}
		var se *errors.Error
		if !stderrors.As(err, &se) {
			if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
				return err
			}
		}
		_, err = public(func(context.Context, any) (any, error) { return nil, err })(ss.Context(), nil)
		return err
	}
}

// validateStreams checks each message a stream receives as the Validator
// middleware checks a unary request, so a handler sees only valid messages.
func validateStreams(srv any, ss grpcgo.ServerStream, _ *grpcgo.StreamServerInfo, handler grpcgo.StreamHandler) error {
	return handler(srv, validatingStream{ss})
}

type validatingStream struct{ grpcgo.ServerStream }

func (v validatingStream) RecvMsg(m any) error {
	if err := v.ServerStream.RecvMsg(m); err != nil {
		// grpc-go calls a message it cannot decode INTERNAL: it is the
		// client's, and unary calls cannot be helped, but streams can.
		if st, ok := status.FromError(err); ok && st.Code() == codes.Internal && strings.Contains(st.Message(), "unmarshal") {
			return commonv1.ErrorMalformedRequest("a message of this stream could not be decoded")
		}
		return err
	}
	if m, ok := m.(interface{ Validate() error }); ok {
		if err := m.Validate(); err != nil {
			return apierror.ValidationError(err)
		}
	}
	return nil
}

// streamCounter caps the concurrent streams of each caller: an unread
// download costs the server its flow-control window, so one account must
// not hold thousands.
type streamCounter struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

func newStreamCounter(max int) *streamCounter {
	return &streamCounter{max: max, n: map[string]int{}}
}

func (c *streamCounter) acquire(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[key] >= c.max {
		return false
	}
	c.n[key]++
	return true
}

func (c *streamCounter) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[key]--; c.n[key] <= 0 {
		delete(c.n, key)
	}
}

// interceptor runs after admission: the caller is in the context. Service
// calls (internal secret) are not capped; anonymous ones (public streams)
// count per client address.
func (c *streamCounter) interceptor() grpcgo.StreamServerInterceptor {
	return func(srv any, ss grpcgo.ServerStream, info *grpcgo.StreamServerInfo, handler grpcgo.StreamHandler) error {
		if auth.AccessOf(info.FullMethod) == auth.Internal {
			return handler(srv, ss)
		}
		key := streamKey(ss.Context())
		if !c.acquire(key) {
			return commonv1.ErrorRateLimited("too many streams open at once (at most %d per account); finish some first", c.max).
				WithMetadata(map[string]string{"limit": fmt.Sprint(c.max)})
		}
		defer c.release(key)
		return handler(srv, ss)
	}
}

func streamKey(ctx context.Context) string {
	if caller, ok := auth.FromContext(ctx); ok {
		return fmt.Sprintf("user:%d", caller.UserID)
	}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		host, _, err := net.SplitHostPort(p.Addr.String())
		if err != nil {
			host = p.Addr.String()
		}
		return "addr:" + host
	}
	return "anonymous"
}

// stallGuard ends a server stream whose send has not progressed for limit:
// the client stopped reading. The handler runs on its own goroutine; when
// this interceptor returns, grpc-go ends the stream, which unblocks the
// handler's pending send with an error, so the handler returns and frees
// what it holds (an open blob, a database connection).
func stallGuard(limit time.Duration, h *log.Helper) grpcgo.StreamServerInterceptor {
	return func(srv any, ss grpcgo.ServerStream, info *grpcgo.StreamServerInfo, handler grpcgo.StreamHandler) error {
		if !info.IsServerStream {
			// A client stream sends one reply; it only receives.
			return recovered(ss.Context(), h, info.FullMethod, func() error { return handler(srv, ss) })
		}
		ws := &watchedStream{ServerStream: ss, limit: limit, stalled: make(chan struct{})}
		done := make(chan error, 1)
		go func() {
			done <- recovered(ss.Context(), h, info.FullMethod, func() error { return handler(srv, ws) })
		}()
		select {
		case err := <-done:
			return err
		case <-ws.stalled:
			h.WithContext(ss.Context()).Infow("msg", "stream cut: the client stopped reading", "op", info.FullMethod, "stall", limit.String())
			return errors.New(504, "STREAM_STALLED", fmt.Sprintf("the client read nothing for %s; the stream was ended", limit))
		}
	}
}

// watchedStream signals stalled when one SendMsg blocks for longer than limit.
type watchedStream struct {
	grpcgo.ServerStream
	limit   time.Duration
	once    sync.Once
	stalled chan struct{}
}

func (w *watchedStream) SendMsg(m any) error {
	t := time.AfterFunc(w.limit, func() { w.once.Do(func() { close(w.stalled) }) })
	defer t.Stop()
	return w.ServerStream.SendMsg(m)
}
