package apiserver

import (
	"context"
	"net"
	"time"

	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
	grpcgo "google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// InProc is a gRPC client connection to services of this very process: a
// unary call runs the registered handler through the server chain of
// NewGRPCServer (errors, client info, guard, access log, auth of the
// internal secret, validation, call timeout) without leaving the process,
// where loopback gRPC would marshal, frame, send and parse it twice. What
// the wire carries and nothing else reaches the callee: the outgoing
// metadata as incoming, the deadline and cancellation, copies of the
// messages, and the error as a gRPC status. Streams and unknown methods go
// to the fallback connection (the process's own port).
type InProc struct {
	client   []middleware.Middleware
	timeout  time.Duration
	server   middleware.Middleware
	fallback grpcgo.ClientConnInterface
	methods  map[string]inprocMethod
}

type inprocMethod struct {
	impl    any
	handler grpcgo.MethodHandler
}

// NewInProc returns a connection whose calls run the chain of
// NewGRPCServer(addr, serverTimeout, c); client is the caller's middleware
// (tracing, breaker) and clientTimeout bounds a call as the dialer's would.
func NewInProc(serverTimeout time.Duration, c Config, client []middleware.Middleware, clientTimeout time.Duration, fallback grpcgo.ClientConnInterface) *InProc {
	return &InProc{
		client:   client,
		timeout:  clientTimeout,
		server:   middleware.Chain(append(Middleware(c), callTimeout(serverTimeout))...),
		fallback: fallback,
		methods:  map[string]inprocMethod{},
	}
}

// RegisterService records desc's unary methods (grpc.ServiceRegistrar):
// register every service on it and on the real server alike (Registrars).
func (p *InProc) RegisterService(desc *grpcgo.ServiceDesc, impl any) {
	for _, m := range desc.Methods {
		p.methods["/"+desc.ServiceName+"/"+m.MethodName] = inprocMethod{impl: impl, handler: m.Handler}
	}
}

// NewStream is the fallback's: streams are transfers, where the framing is
// not the cost.
func (p *InProc) NewStream(ctx context.Context, desc *grpcgo.StreamDesc, method string, opts ...grpcgo.CallOption) (grpcgo.ClientStream, error) {
	return p.fallback.NewStream(ctx, desc, method, opts...)
}

// Invoke runs method in process, or on the fallback when not registered.
func (p *InProc) Invoke(ctx context.Context, method string, args, reply any, opts ...grpcgo.CallOption) error {
	m, ok := p.methods[method]
	if !ok {
		return p.fallback.Invoke(ctx, method, args, reply, opts...)
	}
	// The client side, as kratos's gRPC client runs it.
	ctx = transport.NewClientContext(ctx, &inprocTransport{kind: transport.KindGRPC, op: method, req: inprocHeader{}})
	if p.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.timeout)
		defer cancel()
	}
	h := func(ctx context.Context, req any) (any, error) {
		md, _ := metadata.FromOutgoingContext(ctx)
		md = md.Copy()
		if tr, ok := transport.FromClientContext(ctx); ok {
			for k, vs := range tr.RequestHeader().(inprocHeader) {
				md[k] = append(md[k], vs...)
			}
		}
		return reply, p.serve(ctx, method, m, md, req.(proto.Message), reply.(proto.Message))
	}
	_, err := middleware.Chain(p.client...)(h)(ctx, args)
	return err
}

// serve is the server side: a context with the caller's deadline and
// cancellation but none of its values (not the caller's claims, transport
// or span), the metadata as received, the
// request copied in and the reply copied out, the error as a status.
func (p *InProc) serve(caller context.Context, method string, m inprocMethod, md metadata.MD, args, reply proto.Message) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if dl, ok := caller.Deadline(); ok {
		ctx, cancel = context.WithDeadline(ctx, dl)
		defer cancel()
	}
	defer context.AfterFunc(caller, cancel)()
	ctx = metadata.NewIncomingContext(ctx, md)
	ctx = peer.NewContext(ctx, &peer.Peer{Addr: inprocAddr})
	tr := &inprocTransport{kind: transport.KindGRPC, op: method, req: inprocHeader(md), reply: inprocHeader{}}
	ctx = transport.NewServerContext(ctx, tr)
	dec := func(in any) error {
		proto.Merge(in.(proto.Message), args)
		return nil
	}
	chain := func(ctx context.Context, req any, _ *grpcgo.UnaryServerInfo, handler grpcgo.UnaryHandler) (any, error) {
		return p.server(func(ctx context.Context, req any) (any, error) { return handler(ctx, req) })(ctx, req)
	}
	out, err := m.handler(m.impl, ctx, dec, chain)
	if cerr := caller.Err(); cerr != nil {
		// The caller gave up: over the wire it gets its context's error,
		// whatever the callee answered.
		return status.FromContextError(cerr).Err()
	}
	if dl, ok := caller.Deadline(); ok && !time.Now().Before(dl) {
		// The same, when the callee's copy of the deadline fired first and
		// the caller's own timer has not yet marked its context done.
		return status.FromContextError(context.DeadlineExceeded).Err()
	}
	if err != nil {
		// As grpc-go sends it: a status (kratos errors carry theirs), or
		// Unknown with the text; the caller gets a fresh copy.
		return status.ErrorProto(status.Convert(err).Proto())
	}
	proto.Reset(reply)
	proto.Merge(reply, out.(proto.Message))
	return nil
}

// inprocAddr is the peer a callee sees: this host, as over loopback.
var inprocAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}

type inprocTransport struct {
	kind       transport.Kind
	op         string
	req, reply inprocHeader
}

func (t *inprocTransport) Kind() transport.Kind            { return t.kind }
func (t *inprocTransport) Endpoint() string                { return "inproc" }
func (t *inprocTransport) Operation() string               { return t.op }
func (t *inprocTransport) RequestHeader() transport.Header { return t.req }
func (t *inprocTransport) ReplyHeader() transport.Header   { return t.reply }

// inprocHeader is gRPC metadata as a kratos header (keys lower case).
type inprocHeader metadata.MD

func (h inprocHeader) Get(k string) string {
	if v := metadata.MD(h).Get(k); len(v) > 0 {
		return v[0]
	}
	return ""
}
func (h inprocHeader) Set(k, v string)          { metadata.MD(h).Set(k, v) }
func (h inprocHeader) Add(k, v string)          { metadata.MD(h).Append(k, v) }
func (h inprocHeader) Values(k string) []string { return metadata.MD(h).Get(k) }
func (h inprocHeader) Keys() []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	return keys
}

// Registrars registers each service on every one of rs (the real server
// and an InProc).
func Registrars(rs ...grpcgo.ServiceRegistrar) grpcgo.ServiceRegistrar { return registrars(rs) }

type registrars []grpcgo.ServiceRegistrar

func (rs registrars) RegisterService(desc *grpcgo.ServiceDesc, impl any) {
	for _, r := range rs {
		r.RegisterService(desc, impl)
	}
}
