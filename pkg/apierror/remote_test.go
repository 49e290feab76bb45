package apierror

import (
	"context"
	"testing"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/transport"
	"google.golang.org/grpc/status"
)

type grpcTransport struct{ transport.Transporter }

func (grpcTransport) Kind() transport.Kind { return transport.KindGRPC }

// 410, 413 and 422 have no gRPC code: without the carried status they
// would come back as 500 on the calling side.
func TestFromRemoteKeepsTheHTTPStatus(t *testing.T) {
	ctx := transport.NewServerContext(context.Background(), grpcTransport{})
	for _, code := range []int{404, 409, 410, 413, 422, 429, 503} {
		sent := withHTTPCode(ctx, errors.New(code, "SOME_REASON", "msg").WithMetadata(map[string]string{"field": "x"}))
		onTheWire := status.Convert(sent).Err() // what a gRPC client receives
		got := errors.FromError(FromRemote(onTheWire))
		if int(got.Code) != code || got.Reason != "SOME_REASON" || got.Metadata["field"] != "x" {
			t.Errorf("%d came back as %d %s %v", code, got.Code, got.Reason, got.Metadata)
		}
		if _, leaked := got.Metadata[httpCodeKey]; leaked {
			t.Errorf("%d: the carrier key reached the caller", code)
		}
	}
}
