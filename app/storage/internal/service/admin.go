package service

import (
	"context"

	v1 "clouddrive/api/storage/v1"
	"clouddrive/app/storage/internal/biz"
)

// StorageAdminService is integrity for administrators (ACCESS_ADMIN).
type StorageAdminService struct {
	v1.UnimplementedStorageAdminServer
	scrub *biz.ScrubUsecase
}

var _ v1.StorageAdminHTTPServer = (*StorageAdminService)(nil)

// NewStorageAdminService builds the service.
func NewStorageAdminService(scrub *biz.ScrubUsecase) *StorageAdminService {
	return &StorageAdminService{scrub: scrub}
}

func (s *StorageAdminService) Scrub(ctx context.Context, req *v1.ScrubRequest) (*v1.ScrubReply, error) {
	rep, err := s.scrub.Run(ctx, req.GetAfterHash(), int(req.GetLimit()))
	if err != nil {
		return nil, err
	}
	return &v1.ScrubReply{Checked: int32(rep.Checked), Quarantined: append([]string{}, rep.Quarantined...),
		NextAfterHash: rep.Next}, nil
}
