package apiserver_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	commonv1 "clouddrive/api/common/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/discovery"
)

const inprocSecret = "the-internal-secret"

// internalUsers answers GetUser by the requested id, to show each way a
// call can end; it reports what the handler saw.
type internalUsers struct {
	userv1.UnimplementedUserInternalServer
	saw chan string
}

func (u *internalUsers) GetUser(ctx context.Context, in *userv1.GetUserRequest) (*userv1.UserInfo, error) {
	if _, ok := auth.FromContext(ctx); ok {
		u.saw <- "the caller's claims"
	}
	if tr, ok := transport.FromServerContext(ctx); !ok || tr.Kind() != transport.KindGRPC || tr.Operation() != "/clouddrive.user.v1.UserInternal/GetUser" {
		u.saw <- "no gRPC server transport"
	}
	id := in.UserId
	in.UserId = "changed by the callee"
	switch id {
	case "missing":
		return nil, commonv1.ErrorNotFound("no user %s", id)
	case "plain":
		return nil, io.ErrUnexpectedEOF
	case "panic":
		panic("boom")
	case "slow":
		if _, ok := ctx.Deadline(); !ok {
			u.saw <- "no deadline"
		}
		<-ctx.Done()
		u.saw <- "slow: " + ctx.Err().Error()
		return nil, ctx.Err()
	}
	return &userv1.UserInfo{Id: id, Username: "name of " + id}, nil
}

// TestInProcAnswersAsTheWire calls the same service over loopback gRPC and
// in process, and expects the same replies and errors: the internal
// secret's check, validation, a biz error's code and reason, a plain
// error, a panic, the caller's deadline and cancellation; and the callee
// sees none of the caller's context values, nor the caller its changes.
func TestInProcAnswersAsTheWire(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	logger := log.NewStdLogger(io.Discard)
	cfg := apiserver.Config{Logger: logger, Auth: auth.Options{Verifier: auth.NewVerifier(pub), InternalSecret: inprocSecret, Logger: logger}}
	gs := apiserver.NewGRPCServer("127.0.0.1:0", time.Minute, cfg)
	impl := &internalUsers{saw: make(chan string, 16)}
	ep, err := gs.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	wire, err := discovery.Dial(context.Background(), discovery.DialConfig{Target: ep.Host}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer wire.Close()
	inproc := apiserver.NewInProc(time.Minute, cfg, discovery.ClientMiddleware(), discovery.DefaultTimeout, wire)
	userv1.RegisterUserInternalServer(apiserver.Registrars(gs, inproc), impl)
	serveGRPC(t, gs)

	conns := map[string]grpc.ClientConnInterface{"wire": wire, "inproc": inproc}
	type outcome struct {
		reply      *userv1.UserInfo
		code       string
		httpCode   int32
		reason     string
		message    string
		argsLeftAs string
	}
	call := func(conn grpc.ClientConnInterface, ctx context.Context, id string) outcome {
		req := &userv1.GetUserRequest{UserId: id}
		reply, err := userv1.NewUserInternalClient(conn).GetUser(ctx, req)
		o := outcome{reply: reply, argsLeftAs: req.UserId}
		if err != nil {
			se := kerrors.FromError(err)
			o.code, o.httpCode, o.reason, o.message = status.Code(err).String(), se.Code, se.Reason, se.Message
		}
		return o
	}
	signed := auth.InternalClient{Secret: inprocSecret}.Sign
	// The caller is a user's call: its claims must not reach the callee.
	asUser := auth.NewContext(context.Background(), auth.Caller{UserID: 1})
	cases := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		id   string
		code string
	}{
		{"answer", func() (context.Context, context.CancelFunc) { return signed(asUser), func() {} }, "u42", "OK"},
		{"no secret", func() (context.Context, context.CancelFunc) { return asUser, func() {} }, "u42", "PermissionDenied"},
		{"wrong secret", func() (context.Context, context.CancelFunc) {
			return auth.InternalClient{Secret: "guess"}.Sign(asUser), func() {}
		}, "u42", "PermissionDenied"},
		{"invalid request", func() (context.Context, context.CancelFunc) { return signed(asUser), func() {} }, "", "InvalidArgument"},
		{"biz error", func() (context.Context, context.CancelFunc) { return signed(asUser), func() {} }, "missing", "NotFound"},
		{"plain error", func() (context.Context, context.CancelFunc) { return signed(asUser), func() {} }, "plain", ""},
		{"panic", func() (context.Context, context.CancelFunc) { return signed(asUser), func() {} }, "panic", ""},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(signed(asUser), 100*time.Millisecond)
		}, "slow", "DeadlineExceeded"},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(signed(asUser))
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, "slow", "Canceled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := map[string]outcome{}
			for name, conn := range conns {
				ctx, cancel := c.ctx()
				got[name] = call(conn, ctx, c.id)
				cancel()
				if c.id == "slow" {
					select {
					case s := <-impl.saw:
						if s != "slow: context deadline exceeded" && s != "slow: context canceled" {
							t.Errorf("%s: the handler saw %s", name, s)
						}
					case <-time.After(5 * time.Second):
						t.Errorf("%s: the handler never saw its context end", name)
					}
				}
			}
			w, p := got["wire"], got["inproc"]
			if c.code != "" && c.code != "OK" && w.code != c.code {
				t.Errorf("over the wire: %s, want %s", w.code, c.code)
			}
			if c.code == "OK" && (w.code != "" || !proto.Equal(w.reply, &userv1.UserInfo{Id: c.id, Username: "name of " + c.id})) {
				t.Errorf("over the wire: %+v", w)
			}
			// A deadline or a cancel: grpc-go's own message varies over the
			// wire (the context's error, or "stream terminated by
			// RST_STREAM" when the server's reset wins); the code does not.
			sameMessage := w.message == p.message || c.id == "slow"
			if w.code != p.code || w.httpCode != p.httpCode || w.reason != p.reason || !sameMessage || !proto.Equal(w.reply, p.reply) {
				t.Errorf("in process %+v, over the wire %+v", p, w)
			}
			if p.argsLeftAs != c.id {
				t.Errorf("the callee's change reached the caller's request: %q", p.argsLeftAs)
			}
		})
	}
	select {
	case s := <-impl.saw:
		t.Errorf("the handler saw %s", s)
	default:
	}
}

// serveGRPC starts gs (its services registered) until the test ends.
func serveGRPC(t *testing.T, gs *kgrpc.Server) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = gs.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		stop, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = gs.Stop(stop)
	})
}
