package service

import (
	"context"

	v1 "clouddrive/api/file/v1"
	"clouddrive/app/file/internal/biz"
)

// FileInternalService is for other services (ACCESS_INTERNAL): the owner is
// in the request, because the caller acts on a user's behalf.
type FileInternalService struct {
	v1.UnimplementedFileInternalServer
	nodes *biz.NodeUsecase
}

// NewFileInternalService builds the service.
func NewFileInternalService(nodes *biz.NodeUsecase) *FileInternalService {
	return &FileInternalService{nodes: nodes}
}

func (s *FileInternalService) CreateFile(ctx context.Context, req *v1.CreateFileRequest) (*v1.Node, error) {
	uid, err := userID(req.GetOwnerId())
	if err != nil {
		return nil, err
	}
	parent, err := parentID(req.GetParentId())
	if err != nil {
		return nil, err
	}
	n, err := s.nodes.CreateFile(ctx, biz.NewFile{Owner: uid, Parent: parent, Name: req.GetName(),
		ContentHash: req.GetContentHash(), Size: req.GetSize(), Mime: req.GetMime(), Rename: renameOnConflict(req.GetOnConflict())})
	if err != nil {
		return nil, err
	}
	return toNode(n), nil
}

func (s *FileInternalService) ReferencedHashes(ctx context.Context, req *v1.ReferencedHashesRequest) (*v1.ReferencedHashesReply, error) {
	hs, err := s.nodes.ReferencedHashes(ctx, req.GetContentHashes())
	if err != nil {
		return nil, err
	}
	return &v1.ReferencedHashesReply{Referenced: hs}, nil
}

func (s *FileInternalService) GetNode(ctx context.Context, req *v1.GetNodeRequest) (*v1.Node, error) {
	uid, err := userID(req.GetOwnerId())
	if err != nil {
		return nil, err
	}
	id, err := nodeID(req.GetId())
	if err != nil {
		return nil, err
	}
	n, err := s.nodes.GetNode(ctx, uid, id)
	if err != nil {
		return nil, err
	}
	return toNode(n), nil
}
