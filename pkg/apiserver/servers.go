package apiserver

import (
	"bytes"
	"io"
	nethttp "net/http"
	"time"

	"github.com/go-kratos/kratos/v2/encoding"
	"github.com/go-kratos/kratos/v2/encoding/json"
	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	grpcgo "google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"

	commonv1 "clouddrive/api/common/v1"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/rpccodec"
)

func init() {
	// JSON uses the proto field names (access_token, parent_id), as APISIX's
	// grpc-transcode does, so a client sees one API in both deployments.
	json.MarshalOptions = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}
	json.UnmarshalOptions = protojson.UnmarshalOptions{DiscardUnknown: true}
}

// NewHTTPServer returns an HTTP server with the shared chain and encoders.
// timeout bounds each transcoded call (0: none); raw byte routes are not bound.
func NewHTTPServer(addr string, timeout time.Duration, c Config) *http.Server {
	opts := []http.ServerOption{
		http.Middleware(append(Middleware(c), callTimeout(timeout))...),
		http.ErrorEncoder(apierror.HTTPErrorEncoder(c.Logger)),
		http.RequestDecoder(decodeJSONBody),
		http.NotFoundHandler(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
			apierror.WriteHTTP(w, apierror.Localize(commonv1.ErrorNotFound("no route for %s %s", r.Method, r.URL.Path), r.Header.Get("Accept-Language")))
		})),
		http.MethodNotAllowedHandler(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
			apierror.WriteHTTP(w, errors.New(nethttp.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "method "+r.Method+" is not allowed here"))
		})),
	}
	l := c.Limits.withDefaults()
	opts = append(opts, http.Filter(admitFirst(c, l)))
	if addr != "" {
		opts = append(opts, http.Address(addr))
	}
	// kratos's timeout would also cut raw byte routes (a long download), and
	// its default is 1 s: calls are bounded by callTimeout instead.
	opts = append(opts, http.Timeout(0))
	hs := http.NewServer(opts...)
	// A connection that never finishes its headers, or idles, is closed. No
	// WriteTimeout: it would cut long downloads; admitFirst's stall deadline
	// cuts only a client that stops reading.
	hs.ReadHeaderTimeout = l.ReadHeaderTimeout
	hs.IdleTimeout = l.IdleTimeout
	hs.MaxHeaderBytes = int(l.HeaderBytes)
	return hs
}

// streamWindow is the flow-control window of one gRPC stream: what a
// client may send ahead of the handler, held in frames by the server. 512
// KiB keeps four 1 GiB upload streams at +10 to 12 MiB of peak RSS (1 MiB:
// +12 to 16, issue 10's bound is 16) and still fills 10 MB/s per stream
// at 50 ms of round trip; a message larger than it is still let in whole.
const streamWindow = 512 << 10

// NewGRPCServer returns a gRPC server with the shared chain.
func NewGRPCServer(addr string, timeout time.Duration, c Config) *grpc.Server {
	l := c.Limits.withDefaults()
	opts := []grpc.ServerOption{
		grpc.Middleware(append(Middleware(c), callTimeout(timeout))...),
		// kratos middleware wraps unary calls only: streams get recovery,
		// errors, admission and their caps here.
		grpc.StreamInterceptor(streamInterceptors(c, l)...),
	}
	if addr != "" {
		opts = append(opts, grpc.Address(addr))
	}
	opts = append(opts, grpc.Timeout(0)) // streams are transfers: unbounded
	// Fixed flow-control windows: grpc-go's dynamic window (BDP) grows to
	// many MiB per stream on a fast link, so a few upload streams held tens
	// of MiB each. These bound what a stream may have in flight.
	// kratos keeps the last grpc.Options only: every option is here.
	opts = append(opts, grpc.Options(
		grpcgo.InitialWindowSize(streamWindow),
		grpcgo.InitialConnWindowSize(4*streamWindow),
		grpcgo.MaxConcurrentStreams(l.StreamsPerConn),
		// grpc-go's default takes 16 MiB of metadata per call, before
		// any authentication.
		grpcgo.MaxHeaderListSize(l.HeaderBytes),
		// Protobuf, with upload payloads decoded into reused buffers
		// (pkg/rpccodec says why).
		grpcgo.ForceServerCodecV2(rpccodec.New()),
	))

	return grpc.NewServer(opts...)
}

// Logger is the structured (key=value) logger every binary uses.
func Logger(w io.Writer, service string) log.Logger {
	return log.With(log.NewStdLogger(w), "ts", log.DefaultTimestamp, "service", service)
}

// unmarshalJSON decodes a body already read (empty: the zero request).
func unmarshalJSON(r *nethttp.Request, data []byte, v any) error {
	r.Body = io.NopCloser(bytes.NewReader(data))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := encoding.GetCodec(json.Name).Unmarshal(data, v); err != nil {
		return errors.BadRequest("CODEC", "the body is not valid JSON for this request: "+err.Error())
	}
	return nil
}
