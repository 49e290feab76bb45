package service

import (
	"context"

	v1 "clouddrive/api/storage/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/pkg/apierror"
)

// StorageInternalService is for other services (ACCESS_INTERNAL, gRPC
// only): the owner is in the request, because the caller acts on a user's
// behalf (a share's downloads). The URLs are those the owner would get.
type StorageInternalService struct {
	v1.UnimplementedStorageInternalServer
	downloads *biz.DownloadUsecase
	thumbs    *biz.ThumbnailUsecase
}

// NewStorageInternalService builds the service.
func NewStorageInternalService(downloads *biz.DownloadUsecase, thumbs *biz.ThumbnailUsecase) *StorageInternalService {
	return &StorageInternalService{downloads: downloads, thumbs: thumbs}
}

func ownerID(s string) (int64, error) {
	id, ok := parseID(s)
	if !ok {
		return 0, apierror.Invalid("owner_id", "not a user id")
	}
	return id, nil
}

func (s *StorageInternalService) SignDownload(ctx context.Context, req *v1.SignDownloadRequest) (*v1.SignedURL, error) {
	uid, err := ownerID(req.GetOwnerId())
	if err != nil {
		return nil, err
	}
	id, ok := parseID(req.GetNodeId())
	if !ok {
		return nil, v1.ErrorFileNotFound("no such file")
	}
	var u *biz.SignedURL
	if share := req.GetShareToken(); share != "" {
		u, err = s.downloads.ShareFileURL(ctx, uid, id, share)
	} else {
		u, err = s.downloads.FileURL(ctx, uid, id, false)
	}
	if err != nil {
		return nil, err
	}
	return toSignedURL(u), nil
}

func (s *StorageInternalService) SignZip(ctx context.Context, req *v1.SignZipRequest) (*v1.SignedURL, error) {
	uid, err := ownerID(req.GetOwnerId())
	if err != nil {
		return nil, err
	}
	ids, err := nodeIDs(req.GetIds())
	if err != nil {
		return nil, err
	}
	var u *biz.SignedURL
	if share := req.GetShareToken(); share != "" {
		u, err = s.downloads.ShareZipURL(ctx, uid, ids, req.GetName(), share)
	} else {
		u, err = s.downloads.ZipURL(ctx, uid, ids, req.GetName())
	}
	if err != nil {
		return nil, err
	}
	return toSignedURL(u), nil
}

func (s *StorageInternalService) SignThumbnails(ctx context.Context, req *v1.SignThumbnailsRequest) (*v1.ThumbnailURLsReply, error) {
	uid, err := ownerID(req.GetOwnerId())
	if err != nil {
		return nil, err
	}
	ids, err := nodeIDs(req.GetIds())
	if err != nil {
		return nil, err
	}
	var links []biz.ThumbLink
	if share := req.GetShareToken(); share != "" {
		links, err = s.thumbs.ShareURLs(ctx, uid, ids, int(req.GetSize()), share)
	} else {
		links, err = s.thumbs.URLs(ctx, uid, ids, int(req.GetSize()))
	}
	if err != nil {
		return nil, err
	}
	return toThumbnailURLs(links), nil
}
