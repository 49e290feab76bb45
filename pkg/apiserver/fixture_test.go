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
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

// probeService is a stream service of the tests' own (unannotated, so it
// needs a bearer token like any drive RPC without an annotation).
const probeService = "clouddrive.apiservertest.v1.Probe"

// probe records the handlers that returned, so a test can see a stream's
// server side end.
type probe struct{ exited chan struct{} }

var probeDesc = grpc.ServiceDesc{
	ServiceName: probeService,
	HandlerType: (*any)(nil),
	// kratos's metadata service reads every service's file.
	Metadata: "google/protobuf/wrappers.proto",
	Streams: []grpc.StreamDesc{
		{StreamName: "Panic", ServerStreams: true, Handler: func(_ any, ss grpc.ServerStream) error {
			var in emptypb.Empty
			_ = ss.RecvMsg(&in)
			var w io.Writer
			_, _ = w.Write([]byte("a nil writer, as UploadChunks had")) // panics
			return nil
		}},
		{StreamName: "PanicUpload", ClientStreams: true, Handler: func(_ any, ss grpc.ServerStream) error {
			var in emptypb.Empty
			_ = ss.RecvMsg(&in)
			panic("boom")
		}},
		{StreamName: "Flood", ServerStreams: true, Handler: func(srv any, ss grpc.ServerStream) error {
			p := srv.(*probe)
			defer func() { p.exited <- struct{}{} }()
			var in emptypb.Empty
			if err := ss.RecvMsg(&in); err != nil {
				return err
			}
			msg := wrapperspb.Bytes(make([]byte, 64<<10))
			for {
				if err := ss.SendMsg(msg); err != nil {
					return err
				}
			}
		}},
	},
}

type grpcFixture struct {
	t      *testing.T
	issuer *auth.Issuer
	probe  *probe
	conn   *grpc.ClientConn
	addr   string
}

// newGRPC runs the shared gRPC server on a loopback port with limits l and
// the probe service.
func newGRPC(t *testing.T, l apiserver.Limits) *grpcFixture {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	logger := log.NewStdLogger(io.Discard)
	cfg := apiserver.Config{Logger: logger, Auth: auth.Options{Verifier: auth.NewVerifier(pub), Logger: logger}, Limits: l}
	gs := apiserver.NewGRPCServer("127.0.0.1:0", 0, cfg)
	p := &probe{exited: make(chan struct{}, 4096)}
	gs.RegisterService(&probeDesc, p)
	u, err := gs.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = gs.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		stop, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = gs.Stop(stop)
	})
	f := &grpcFixture{t: t, issuer: auth.NewIssuer(priv, time.Hour), probe: p, addr: u.Host}
	f.conn = f.dial()
	return f
}

var _ = kgrpc.Address // the kratos server type is what NewGRPCServer returns

func (f *grpcFixture) dial() *grpc.ClientConn {
	f.t.Helper()
	conn, err := grpc.NewClient(f.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// as is ctx carrying a token of uid (admin when role says so); uid 0: none.
func (f *grpcFixture) as(ctx context.Context, uid int64, role string) context.Context {
	f.t.Helper()
	if uid == 0 {
		return ctx
	}
	tok, err := f.issuer.Issue(auth.Caller{UserID: uid, Role: role, SessionID: "s"})
	if err != nil {
		f.t.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

// open starts a probe stream and sends its one request.
func (f *grpcFixture) open(ctx context.Context, method string, server bool) (grpc.ClientStream, error) {
	desc := &grpc.StreamDesc{ServerStreams: server, ClientStreams: !server}
	cs, err := f.conn.NewStream(ctx, desc, "/"+probeService+"/"+method)
	if err != nil {
		return nil, err
	}
	if err := cs.SendMsg(&emptypb.Empty{}); err != nil && err != io.EOF {
		return nil, err
	}
	return cs, cs.CloseSend()
}

// wantReason checks that err is the kratos error code/reason.
func wantReason(t *testing.T, what string, err error, code int, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %d %s", what, code, reason)
	}
	se := kerrors.FromError(err)
	if int(se.Code) != code || se.Reason != reason {
		t.Fatalf("%s: got %d %s (%v), want %d %s", what, se.Code, se.Reason, err, code, reason)
	}
}
