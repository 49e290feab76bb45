package data

import (
	"context"
	"strconv"
	"time"

	filev1 "clouddrive/api/file/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/apimsg"
	"clouddrive/pkg/auth"
)

// FileClient reaches the file service through its internal gRPC API (or,
// in the standalone binary, the same API in process).
type FileClient struct {
	c filev1.FileInternalClient
	auth.InternalClient
}

var _ biz.FileService = (*FileClient)(nil)

// NewFileClient wraps a FileInternal client; secret is the internal secret.
func NewFileClient(c filev1.FileInternalClient, secret string) *FileClient {
	return &FileClient{c: c, InternalClient: auth.InternalClient{Secret: secret}}
}

// ctx signs a call to the file service's internal API.
func (f *FileClient) ctx(ctx context.Context) context.Context { return f.Sign(ctx) }

// errOf keeps the file service's reason (quota, names, not found) for the
// client: a gRPC status becomes the kratos error it was.
func errOf(err error) error {
	if err == nil {
		return nil
	}
	return apierror.FromRemote(err)
}

// conflictMode is the file service's on_conflict for a new file.
func conflictMode(n biz.NewFile) string {
	switch {
	case n.Rename:
		return "rename"
	case n.Version:
		return "version"
	}
	return "fail"
}

// ToFileNode converts the file service's node.
func ToFileNode(n *filev1.Node) *biz.FileNode {
	out := &biz.FileNode{Name: n.GetName(), Folder: n.GetKind() == "folder", Size: n.GetSize(),
		ContentHash: n.GetContentHash(), Mime: n.GetMime(), Version: n.GetVersion()}
	out.ID, _ = strconv.ParseInt(n.GetId(), 10, 64)
	out.ParentID, _ = strconv.ParseInt(n.GetParentId(), 10, 64)
	out.CreatedAt, _ = time.Parse(time.RFC3339Nano, n.GetCreatedAt())
	out.UpdatedAt, _ = time.Parse(time.RFC3339Nano, n.GetUpdatedAt())
	return out
}

// CheckCreate implements biz.FileService.
func (f *FileClient) CheckCreate(ctx context.Context, n biz.NewFile) error {
	_, err := f.c.CheckCreate(f.ctx(ctx), &filev1.CheckCreateRequest{OwnerId: apimsg.FormatID(n.Owner), ParentId: apimsg.FormatID(n.Parent),
		Name: n.Name, Size: n.Size, OnConflict: conflictMode(n)})
	return errOf(err)
}

// CreateFile implements biz.FileService.
func (f *FileClient) CreateFile(ctx context.Context, n biz.NewFile) (*biz.FileNode, error) {
	out, err := f.c.CreateFile(f.ctx(ctx), &filev1.CreateFileRequest{OwnerId: apimsg.FormatID(n.Owner), ParentId: apimsg.FormatID(n.Parent),
		Name: n.Name, ContentHash: n.ContentHash, Size: n.Size, Mime: n.Mime, OnConflict: conflictMode(n)})
	if err != nil {
		return nil, errOf(err)
	}
	return ToFileNode(out), nil
}

// GetFile implements biz.FileService: trashed nodes are not found.
func (f *FileClient) GetFile(ctx context.Context, owner, nodeID int64) (*biz.FileNode, error) {
	out, err := f.c.GetNode(f.ctx(ctx), &filev1.GetNodeRequest{OwnerId: apimsg.FormatID(owner), Id: apimsg.FormatID(nodeID)})
	if err != nil {
		return nil, errOf(err)
	}
	if out.GetTrashedAt() != "" {
		return nil, filev1.ErrorNodeNotFound("no such file or folder")
	}
	return ToFileNode(out), nil
}

// Walk implements biz.FileService.
func (f *FileClient) Walk(ctx context.Context, owner int64, ids []int64, limit int) ([]biz.WalkEntry, bool, error) {
	s := make([]string, len(ids))
	for i, n := range ids {
		s[i] = apimsg.FormatID(n)
	}
	out, err := f.c.Walk(f.ctx(ctx), &filev1.WalkRequest{OwnerId: apimsg.FormatID(owner), Ids: s, Limit: int32(limit)})
	if err != nil {
		return nil, false, errOf(err)
	}
	es := make([]biz.WalkEntry, len(out.GetEntries()))
	for i, e := range out.GetEntries() {
		es[i] = biz.WalkEntry{Path: e.GetPath(), Node: ToFileNode(e.GetNode())}
	}
	return es, out.GetTruncated(), nil
}

// ReferencedHashes implements biz.FileService.
func (f *FileClient) ReferencedHashes(ctx context.Context, hashes []string) ([]string, error) {
	out, err := f.c.ReferencedHashes(f.ctx(ctx), &filev1.ReferencedHashesRequest{ContentHashes: hashes})
	if err != nil {
		return nil, errOf(err)
	}
	return out.GetReferenced(), nil
}
