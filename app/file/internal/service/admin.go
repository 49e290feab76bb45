package service

import (
	"context"

	v1 "clouddrive/api/file/v1"
	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/apierror"
)

// FileAdminService implements FileAdmin; the middleware admits admins only.
type FileAdminService struct {
	v1.UnimplementedFileAdminServer
	quota *biz.QuotaUsecase
}

var _ v1.FileAdminHTTPServer = (*FileAdminService)(nil)

// NewFileAdminService builds the service.
func NewFileAdminService(quota *biz.QuotaUsecase) *FileAdminService {
	return &FileAdminService{quota: quota}
}

func userID(s string) (int64, error) {
	id, ok := biz.ParseID(s)
	if !ok {
		return 0, apierror.Invalid("user_id", "not a user id")
	}
	return id, nil
}

func (s *FileAdminService) SetQuota(ctx context.Context, req *v1.SetQuotaRequest) (*v1.UsageReply, error) {
	uid, err := userID(req.GetUserId())
	if err != nil {
		return nil, err
	}
	q, err := s.quota.SetLimit(ctx, uid, req.GetLimitBytes())
	if err != nil {
		return nil, err
	}
	return &v1.UsageReply{UsedBytes: q.Used, LimitBytes: q.Limit}, nil
}

func (s *FileAdminService) GetQuota(ctx context.Context, req *v1.GetQuotaRequest) (*v1.UsageReply, error) {
	uid, err := userID(req.GetUserId())
	if err != nil {
		return nil, err
	}
	q, err := s.quota.Usage(ctx, uid)
	if err != nil {
		return nil, err
	}
	return &v1.UsageReply{UsedBytes: q.Used, LimitBytes: q.Limit}, nil
}
