package standalone

import (
	"context"

	"google.golang.org/grpc"

	filev1 "clouddrive/api/file/v1"
	"clouddrive/pkg/apierror"
)

// inProcessFiles is the file service's internal API called in process: the
// storage service uses it through the very client interface it uses over
// gRPC in production. Requests are validated as the gRPC middleware would.
type inProcessFiles struct{ s filev1.FileInternalServer }

var _ filev1.FileInternalClient = inProcessFiles{}

func call[Req interface{ Validate() error }, Rep any](ctx context.Context, in Req, f func(context.Context, Req) (Rep, error)) (Rep, error) {
	if err := in.Validate(); err != nil {
		var zero Rep
		return zero, apierror.ValidationError(err)
	}
	return f(ctx, in)
}

func (f inProcessFiles) CreateFile(ctx context.Context, in *filev1.CreateFileRequest, _ ...grpc.CallOption) (*filev1.Node, error) {
	return call(ctx, in, f.s.CreateFile)
}

func (f inProcessFiles) ReferencedHashes(ctx context.Context, in *filev1.ReferencedHashesRequest, _ ...grpc.CallOption) (*filev1.ReferencedHashesReply, error) {
	return call(ctx, in, f.s.ReferencedHashes)
}

func (f inProcessFiles) GetNode(ctx context.Context, in *filev1.GetNodeRequest, _ ...grpc.CallOption) (*filev1.Node, error) {
	return call(ctx, in, f.s.GetNode)
}

func (f inProcessFiles) CheckCreate(ctx context.Context, in *filev1.CheckCreateRequest, _ ...grpc.CallOption) (*filev1.CheckCreateReply, error) {
	return call(ctx, in, f.s.CheckCreate)
}

func (f inProcessFiles) Walk(ctx context.Context, in *filev1.WalkRequest, _ ...grpc.CallOption) (*filev1.WalkReply, error) {
	return call(ctx, in, f.s.Walk)
}
