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
		ContentHash: req.GetContentHash(), Size: req.GetSize(), Mime: req.GetMime(), Rename: renameOnConflict(req.GetOnConflict()),
		Version: versionOnConflict(req.GetOnConflict())})
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

func (s *FileInternalService) CheckCreate(ctx context.Context, req *v1.CheckCreateRequest) (*v1.CheckCreateReply, error) {
	uid, err := userID(req.GetOwnerId())
	if err != nil {
		return nil, err
	}
	parent, err := parentID(req.GetParentId())
	if err != nil {
		return nil, err
	}
	err = s.nodes.CheckCreate(ctx, biz.NewFile{Owner: uid, Parent: parent, Name: req.GetName(), Size: req.GetSize(),
		Rename: renameOnConflict(req.GetOnConflict()), Version: versionOnConflict(req.GetOnConflict())})
	if err != nil {
		return nil, err
	}
	return &v1.CheckCreateReply{}, nil
}

func (s *FileInternalService) Walk(ctx context.Context, req *v1.WalkRequest) (*v1.WalkReply, error) {
	uid, err := userID(req.GetOwnerId())
	if err != nil {
		return nil, err
	}
	ids, err := nodeIDs(req.GetIds())
	if err != nil {
		return nil, err
	}
	es, truncated, err := s.nodes.Walk(ctx, uid, ids, int(req.GetLimit()))
	if err != nil {
		return nil, err
	}
	out := &v1.WalkReply{Entries: make([]*v1.WalkEntry, len(es)), Truncated: truncated}
	for i, e := range es {
		out.Entries[i] = &v1.WalkEntry{Path: e.Path, Node: toNode(e.Node)}
	}
	return out, nil
}

func (s *FileInternalService) ListChildren(ctx context.Context, req *v1.ListChildrenRequest) (*v1.ListReply, error) {
	uid, err := userID(req.GetOwnerId())
	if err != nil {
		return nil, err
	}
	parent, ok := biz.ParseParentID(req.GetParentId())
	if !ok {
		return nil, v1.ErrorNodeNotFound("no such folder")
	}
	after, err := decodeToken(req.GetPageToken(), biz.OrderName, false)
	if err != nil {
		return nil, err
	}
	p, err := s.nodes.List(ctx, biz.ListQuery{Owner: uid, Parent: parent, OrderBy: biz.OrderName, After: after,
		Limit: int(req.GetPageSize())})
	if err != nil {
		return nil, err
	}
	return &v1.ListReply{Items: toNodes(p.Items), NextPageToken: encodeToken(biz.OrderName, false, p.Next)}, nil
}

func (s *FileInternalService) GetPath(ctx context.Context, req *v1.GetPathRequest) (*v1.PathReply, error) {
	uid, err := userID(req.GetOwnerId())
	if err != nil {
		return nil, err
	}
	id, err := nodeID(req.GetId())
	if err != nil {
		return nil, err
	}
	ns, err := s.nodes.Path(ctx, uid, id)
	if err != nil {
		return nil, err
	}
	return &v1.PathReply{Items: toNodes(ns)}, nil
}

func (s *FileInternalService) CopyFrom(ctx context.Context, req *v1.CopyFromRequest) (*v1.NodesReply, error) {
	from, err := userID(req.GetSrcOwnerId())
	if err != nil {
		return nil, err
	}
	to, err := userID(req.GetDstOwnerId())
	if err != nil {
		return nil, err
	}
	ids, err := nodeIDs(req.GetIds())
	if err != nil {
		return nil, err
	}
	parent, err := parentID(req.GetParentId())
	if err != nil {
		return nil, err
	}
	ns, err := s.nodes.CopyFrom(ctx, from, ids, to, parent, renameOnConflict(req.GetOnConflict()))
	if err != nil {
		return nil, err
	}
	return &v1.NodesReply{Items: toNodes(ns)}, nil
}
