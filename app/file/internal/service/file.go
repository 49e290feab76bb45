package service

import (
	"context"

	v1 "clouddrive/api/file/v1"
	"clouddrive/app/file/internal/biz"
)

// FileService implements the File API.
type FileService struct {
	v1.UnimplementedFileServer
	nodes   *biz.NodeUsecase
	trash   *biz.TrashUsecase
	quota   *biz.QuotaUsecase
	changes *biz.ChangeUsecase
}

var _ v1.FileHTTPServer = (*FileService)(nil)

// NewFileService builds the service.
func NewFileService(nodes *biz.NodeUsecase, trash *biz.TrashUsecase, quota *biz.QuotaUsecase, changes *biz.ChangeUsecase) *FileService {
	return &FileService{nodes: nodes, trash: trash, quota: quota, changes: changes}
}

func (s *FileService) List(ctx context.Context, req *v1.ListRequest) (*v1.ListReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	parent, ok := biz.ParseParentID(req.GetParentId())
	if !ok {
		return nil, v1.ErrorNodeNotFound("no such folder")
	}
	order := req.GetOrderBy()
	if order == "" {
		order = biz.OrderName
	}
	after, err := decodeToken(req.GetPageToken(), order, req.GetDesc())
	if err != nil {
		return nil, err
	}
	p, err := s.nodes.List(ctx, biz.ListQuery{Owner: uid, Parent: parent, OrderBy: order, Desc: req.GetDesc(),
		After: after, Limit: int(req.GetPageSize())})
	if err != nil {
		return nil, err
	}
	return &v1.ListReply{Items: toNodes(p.Items), NextPageToken: encodeToken(order, req.GetDesc(), p.Next)}, nil
}

func (s *FileService) Stat(ctx context.Context, req *v1.StatRequest) (*v1.Node, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	id, err := nodeID(req.GetId())
	if err != nil {
		return nil, err
	}
	n, err := s.nodes.Stat(ctx, uid, id)
	if err != nil {
		return nil, err
	}
	return toNode(n), nil
}

func (s *FileService) Path(ctx context.Context, req *v1.PathRequest) (*v1.PathReply, error) {
	uid, err := owner(ctx)
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

func (s *FileService) Mkdir(ctx context.Context, req *v1.MkdirRequest) (*v1.Node, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	parent, err := parentID(req.GetParentId())
	if err != nil {
		return nil, err
	}
	n, err := s.nodes.Mkdir(ctx, uid, parent, req.GetName(), renameOnConflict(req.GetOnConflict()))
	if err != nil {
		return nil, err
	}
	return toNode(n), nil
}

func (s *FileService) Rename(ctx context.Context, req *v1.RenameRequest) (*v1.Node, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	id, err := nodeID(req.GetId())
	if err != nil {
		return nil, err
	}
	n, err := s.nodes.Rename(ctx, uid, id, req.GetName(), renameOnConflict(req.GetOnConflict()))
	if err != nil {
		return nil, err
	}
	return toNode(n), nil
}

func (s *FileService) Move(ctx context.Context, req *v1.MoveRequest) (*v1.NodesReply, error) {
	return s.moveOrCopy(ctx, req.GetIds(), req.GetParentId(), req.GetOnConflict(), s.nodes.Move)
}

func (s *FileService) Copy(ctx context.Context, req *v1.CopyRequest) (*v1.NodesReply, error) {
	return s.moveOrCopy(ctx, req.GetIds(), req.GetParentId(), req.GetOnConflict(), s.nodes.Copy)
}

func (s *FileService) moveOrCopy(ctx context.Context, sids []string, sparent, onConflict string,
	f func(context.Context, int64, []int64, int64, bool) ([]*biz.Node, error)) (*v1.NodesReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := nodeIDs(sids)
	if err != nil {
		return nil, err
	}
	parent, err := parentID(sparent)
	if err != nil {
		return nil, err
	}
	ns, err := f(ctx, uid, ids, parent, renameOnConflict(onConflict))
	if err != nil {
		return nil, err
	}
	return &v1.NodesReply{Items: toNodes(ns)}, nil
}

func (s *FileService) Delete(ctx context.Context, req *v1.DeleteRequest) (*v1.DeleteReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := nodeIDs(req.GetIds())
	if err != nil {
		return nil, err
	}
	n, err := s.trash.Delete(ctx, uid, ids)
	if err != nil {
		return nil, err
	}
	return &v1.DeleteReply{Trashed: n}, nil
}

const trashOrder = "trash"

func (s *FileService) Trash(ctx context.Context, req *v1.TrashRequest) (*v1.ListReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(req.GetPageToken(), trashOrder, false)
	if err != nil {
		return nil, err
	}
	p, err := s.trash.List(ctx, uid, after, int(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &v1.ListReply{Items: toNodes(p.Items), NextPageToken: encodeToken(trashOrder, false, p.Next)}, nil
}

func (s *FileService) Restore(ctx context.Context, req *v1.RestoreRequest) (*v1.NodesReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := nodeIDs(req.GetIds())
	if err != nil {
		return nil, err
	}
	ns, err := s.trash.Restore(ctx, uid, ids)
	if err != nil {
		return nil, err
	}
	return &v1.NodesReply{Items: toNodes(ns)}, nil
}

func (s *FileService) Purge(ctx context.Context, req *v1.PurgeRequest) (*v1.PurgeReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := nodeIDs(req.GetIds())
	if err != nil {
		return nil, err
	}
	p, err := s.trash.Purge(ctx, uid, ids)
	if err != nil {
		return nil, err
	}
	return &v1.PurgeReply{Purged: p.Nodes, FreedBytes: p.Bytes}, nil
}

func (s *FileService) EmptyTrash(ctx context.Context, _ *v1.EmptyTrashRequest) (*v1.PurgeReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.trash.Empty(ctx, uid)
	if err != nil {
		return nil, err
	}
	return &v1.PurgeReply{Purged: p.Nodes, FreedBytes: p.Bytes}, nil
}

const searchOrder = "search"

func (s *FileService) Search(ctx context.Context, req *v1.SearchRequest) (*v1.ListReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(req.GetPageToken(), searchOrder, false)
	if err != nil {
		return nil, err
	}
	p, err := s.nodes.Search(ctx, uid, req.GetQ(), after, int(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return &v1.ListReply{Items: toNodes(p.Items), NextPageToken: encodeToken(searchOrder, false, p.Next)}, nil
}

func (s *FileService) Usage(ctx context.Context, _ *v1.UsageRequest) (*v1.UsageReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	q, err := s.quota.Usage(ctx, uid)
	if err != nil {
		return nil, err
	}
	vb, err := s.nodes.VersionBytes(ctx, uid)
	if err != nil {
		return nil, err
	}
	return &v1.UsageReply{UsedBytes: q.Used, LimitBytes: q.Limit, VersionBytes: vb}, nil
}
