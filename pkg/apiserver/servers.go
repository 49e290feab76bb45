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
	"clouddrive/pkg/auth"
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
	if addr != "" {
		opts = append(opts, http.Address(addr))
	}
	// kratos's timeout would also cut raw byte routes (a long download), and
	// its default is 1 s: calls are bounded by callTimeout instead.
	opts = append(opts, http.Timeout(0))
	return http.NewServer(opts...)
}

// streamWindow is the flow-control window of one gRPC stream.
const streamWindow = 1 << 20

// NewGRPCServer returns a gRPC server with the shared chain.
func NewGRPCServer(addr string, timeout time.Duration, c Config) *grpc.Server {
	opts := []grpc.ServerOption{
		grpc.Middleware(append(Middleware(c), callTimeout(timeout))...),
		// kratos middleware wraps unary calls only: streams are admitted here.
		grpc.StreamInterceptor(auth.StreamInterceptor(c.Auth)),
	}
	if addr != "" {
		opts = append(opts, grpc.Address(addr))
	}
	opts = append(opts, grpc.Timeout(0)) // streams are transfers: unbounded
	// Fixed flow-control windows: grpc-go's dynamic window (BDP) grows to
	// many MiB per stream on a fast link, so a few upload streams held tens
	// of MiB each. These bound what a stream may have in flight.
	opts = append(opts, grpc.Options(
		grpcgo.InitialWindowSize(streamWindow),
		grpcgo.InitialConnWindowSize(4*streamWindow),
	))

	return grpc.NewServer(opts...)
}

// Logger is the structured (key=value) logger every binary uses.
func Logger(w io.Writer, service string) log.Logger {
	return log.With(log.NewStdLogger(w), "ts", log.DefaultTimestamp, "service", service)
}

// decodeJSONBody reads every request body as JSON whatever its Content-Type,
// as APISIX's grpc-transcode does: `curl -d '{...}'` (sent as a form) works
// the same through the gateway and here.
func decodeJSONBody(r *nethttp.Request, v any) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return errors.BadRequest("CODEC", err.Error())
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := encoding.GetCodec(json.Name).Unmarshal(data, v); err != nil {
		return errors.BadRequest("CODEC", "the body is not valid JSON for this request: "+err.Error())
	}
	return nil
}
