package data

import (
	"context"

	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/app/share/internal/biz"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/apimsg"
	"clouddrive/pkg/auth"
)

// errOf keeps another service's reason (quota, names, not found) for the
// client: a gRPC status becomes the kratos error it was.
func errOf(err error) error {
	if err == nil {
		return nil
	}
	return apierror.FromRemote(err)
}

// FileClient reaches the file service's internal API.
type FileClient struct {
	c filev1.FileInternalClient
	auth.InternalClient
}

var _ biz.FileService = (*FileClient)(nil)

// NewFileClient wraps a FileInternal client; secret is the internal secret.
func NewFileClient(c filev1.FileInternalClient, secret string) *FileClient {
	return &FileClient{c: c, InternalClient: auth.InternalClient{Secret: secret}}
}

// ToNode converts the file service's node.
func ToNode(n *filev1.Node) *biz.Node {
	return &biz.Node{ID: apimsg.IDOf(n.GetId()), ParentID: apimsg.IDOf(n.GetParentId()), Name: n.GetName(),
		Folder: n.GetKind() == "folder", Size: n.GetSize(), ContentHash: n.GetContentHash(), Mime: n.GetMime(),
		CreatedAt: apimsg.ParseTime(n.GetCreatedAt()), UpdatedAt: apimsg.ParseTime(n.GetUpdatedAt()),
		Trashed: n.GetTrashedAt() != "", Version: n.GetVersion()}
}

func toNodes(ns []*filev1.Node) []*biz.Node {
	out := make([]*biz.Node, len(ns))
	for i, n := range ns {
		out[i] = ToNode(n)
	}
	return out
}

// GetNode implements biz.FileService.
func (f *FileClient) GetNode(ctx context.Context, owner, nodeID int64) (*biz.Node, error) {
	out, err := f.c.GetNode(f.Sign(ctx), &filev1.GetNodeRequest{OwnerId: apimsg.FormatID(owner), Id: apimsg.FormatID(nodeID)})
	if err != nil {
		return nil, errOf(err)
	}
	return ToNode(out), nil
}

// ListChildren implements biz.FileService.
func (f *FileClient) ListChildren(ctx context.Context, owner, parent int64, pageSize int, pageToken string) (*biz.NodePage, error) {
	out, err := f.c.ListChildren(f.Sign(ctx), &filev1.ListChildrenRequest{OwnerId: apimsg.FormatID(owner), ParentId: apimsg.FormatID(parent),
		PageSize: int32(pageSize), PageToken: pageToken})
	if err != nil {
		return nil, errOf(err)
	}
	return &biz.NodePage{Items: toNodes(out.GetItems()), Next: out.GetNextPageToken()}, nil
}

// GetPath implements biz.FileService.
func (f *FileClient) GetPath(ctx context.Context, owner, nodeID int64) ([]*biz.Node, error) {
	out, err := f.c.GetPath(f.Sign(ctx), &filev1.GetPathRequest{OwnerId: apimsg.FormatID(owner), Id: apimsg.FormatID(nodeID)})
	if err != nil {
		return nil, errOf(err)
	}
	return toNodes(out.GetItems()), nil
}

// CopyFrom implements biz.FileService; names that are taken get " (1)".
func (f *FileClient) CopyFrom(ctx context.Context, src int64, nodeIDs []int64, dst, parent int64) ([]*biz.Node, error) {
	out, err := f.c.CopyFrom(f.Sign(ctx), &filev1.CopyFromRequest{SrcOwnerId: apimsg.FormatID(src), Ids: apimsg.FormatIDs(nodeIDs),
		DstOwnerId: apimsg.FormatID(dst), ParentId: apimsg.FormatID(parent), OnConflict: "rename"})
	if err != nil {
		return nil, errOf(err)
	}
	return toNodes(out.GetItems()), nil
}

// StorageClient reaches the storage service's internal API.
type StorageClient struct {
	c storagev1.StorageInternalClient
	auth.InternalClient
}

var _ biz.StorageService = (*StorageClient)(nil)

// NewStorageClient wraps a StorageInternal client; secret is the internal secret.
func NewStorageClient(c storagev1.StorageInternalClient, secret string) *StorageClient {
	return &StorageClient{c: c, InternalClient: auth.InternalClient{Secret: secret}}
}

func toSigned(u *storagev1.SignedURL) *biz.SignedURL {
	return &biz.SignedURL{URL: u.GetUrl(), ExpiresAt: apimsg.ParseTime(u.GetExpiresAt())}
}

// SignDownload implements biz.StorageService.
func (s *StorageClient) SignDownload(ctx context.Context, owner, node int64, share string) (*biz.SignedURL, error) {
	out, err := s.c.SignDownload(s.Sign(ctx), &storagev1.SignDownloadRequest{OwnerId: apimsg.FormatID(owner), NodeId: apimsg.FormatID(node), ShareToken: share})
	if err != nil {
		return nil, errOf(err)
	}
	return toSigned(out), nil
}

// SignThumbnails implements biz.StorageService.
func (s *StorageClient) SignThumbnails(ctx context.Context, owner int64, nodeIDs []int64, size int, share string) ([]biz.Thumbnail, error) {
	out, err := s.c.SignThumbnails(s.Sign(ctx), &storagev1.SignThumbnailsRequest{OwnerId: apimsg.FormatID(owner),
		Ids: apimsg.FormatIDs(nodeIDs), Size: int32(size), ShareToken: share})
	if err != nil {
		return nil, errOf(err)
	}
	ts := make([]biz.Thumbnail, 0, len(out.GetThumbnails()))
	for _, t := range out.GetThumbnails() {
		id, ok := apimsg.ParseID(t.GetId())
		if !ok {
			continue
		}
		ts = append(ts, biz.Thumbnail{ID: id, ContentHash: t.GetContentHash(),
			SignedURL: biz.SignedURL{URL: t.GetUrl(), ExpiresAt: apimsg.ParseTime(t.GetExpiresAt())}})
	}
	return ts, nil
}

// SignZip implements biz.StorageService.
func (s *StorageClient) SignZip(ctx context.Context, owner int64, nodeIDs []int64, name, share string) (*biz.SignedURL, error) {
	out, err := s.c.SignZip(s.Sign(ctx), &storagev1.SignZipRequest{OwnerId: apimsg.FormatID(owner), Ids: apimsg.FormatIDs(nodeIDs), Name: name, ShareToken: share})
	if err != nil {
		return nil, errOf(err)
	}
	return toSigned(out), nil
}

// UserClient reaches the user service's internal API.
type UserClient struct {
	c userv1.UserInternalClient
	auth.InternalClient
}

var _ biz.UserService = (*UserClient)(nil)

// NewUserClient wraps a UserInternal client; secret is the internal secret.
func NewUserClient(c userv1.UserInternalClient, secret string) *UserClient {
	return &UserClient{c: c, InternalClient: auth.InternalClient{Secret: secret}}
}

func toUser(u *userv1.UserInfo) *biz.User {
	return &biz.User{ID: apimsg.IDOf(u.GetId()), Username: u.GetUsername(), Nickname: u.GetNickname(), Disabled: u.GetDisabled()}
}

// GetUser implements biz.UserService.
func (u *UserClient) GetUser(ctx context.Context, uid int64) (*biz.User, error) {
	out, err := u.c.GetUser(u.Sign(ctx), &userv1.GetUserRequest{UserId: apimsg.FormatID(uid)})
	if err != nil {
		return nil, errOf(err)
	}
	return toUser(out), nil
}

// LookupUser implements biz.UserService.
func (u *UserClient) LookupUser(ctx context.Context, username string) (*biz.User, error) {
	out, err := u.c.LookupUser(u.Sign(ctx), &userv1.LookupUserRequest{Username: username})
	if err != nil {
		return nil, errOf(err)
	}
	return toUser(out), nil
}
