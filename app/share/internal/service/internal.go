package service

import (
	"context"

	v1 "clouddrive/api/share/v1"
	"clouddrive/app/share/internal/biz"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/apimsg"
)

// ShareInternalService is for other services (ACCESS_INTERNAL, gRPC only):
// storage asks it at every request for a share's bytes.
type ShareInternalService struct {
	v1.UnimplementedShareInternalServer
	access *biz.AccessUsecase
}

// NewShareInternalService builds the service.
func NewShareInternalService(access *biz.AccessUsecase) *ShareInternalService {
	return &ShareInternalService{access: access}
}

func (s *ShareInternalService) CheckDownload(ctx context.Context, req *v1.CheckDownloadRequest) (*v1.CheckDownloadReply, error) {
	owner, ok := apimsg.ParseID(req.GetOwnerId())
	if !ok {
		return nil, apierror.Invalid("owner_id", "not a user id")
	}
	ids := make([]int64, len(req.GetNodeIds()))
	for i, raw := range req.GetNodeIds() {
		id, ok := apimsg.ParseID(raw)
		if !ok {
			return nil, apierror.Invalid("node_ids", "not a node id")
		}
		ids[i] = id
	}
	if err := s.access.CheckDownload(ctx, req.GetToken(), owner, ids, req.GetCount()); err != nil {
		return nil, err
	}
	return &v1.CheckDownloadReply{}, nil
}
