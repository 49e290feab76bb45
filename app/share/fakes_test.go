package share

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	commonv1 "clouddrive/api/common/v1"
	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/pkg/auth"
)

// The fakes stand in for the file, storage and user services' internal
// gRPC clients. Like the real services they refuse a call without the
// internal secret, and they answer with the same reasons.

const internalSecret = "internal-secret-of-the-test"

func admitted(ctx context.Context) error {
	md, _ := metadata.FromOutgoingContext(ctx)
	if got := md.Get(auth.InternalHeader); len(got) != 1 || got[0] != internalSecret {
		return commonv1.ErrorForbidden("internal operation")
	}
	return nil
}

func pid(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

type fakeNode struct {
	id, owner, parent int64
	name              string
	folder            bool
	size              int64
	trashed           bool
}

// fileInternalFake is every user's tree in memory.
type fileInternalFake struct {
	filev1.FileInternalClient // the methods a share never calls panic

	mu        sync.Mutex
	nodes     map[int64]*fakeNode
	next      int64
	quotaFull map[int64]bool
	// owners are the owner ids each call named, to prove a share only ever
	// reads its owner's tree.
	owners []int64
}

func newFileInternalFake() *fileInternalFake {
	return &fileInternalFake{nodes: map[int64]*fakeNode{}, next: 1000, quotaFull: map[int64]bool{}}
}

func (f *fileInternalFake) add(owner, parent int64, name string, folder bool, size int64) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.nodes[f.next] = &fakeNode{id: f.next, owner: owner, parent: parent, name: name, folder: folder, size: size}
	return f.next
}

// trash marks a node and everything under it trashed, as Delete does.
func (f *fileInternalFake) trash(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.nodes {
		for a := n; a != nil; a = f.nodes[a.parent] {
			if a.id == id {
				n.trashed = true
				break
			}
		}
	}
}

func (f *fileInternalFake) fillQuota(owner int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.quotaFull[owner] = true
}

func (f *fileInternalFake) ownersAsked() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.owners...)
}

func (f *fileInternalFake) purge(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.nodes, id)
}

func (f *fileInternalFake) pb(n *fakeNode) *filev1.Node {
	out := &filev1.Node{Id: pid(n.id), ParentId: pid(n.parent), Name: n.name, Kind: "file", Size: n.size,
		CreatedAt: "2030-01-01T00:00:00Z", UpdatedAt: "2030-01-01T00:00:00Z", Version: 1}
	if n.folder {
		out.Kind = "folder"
	}
	if n.trashed {
		out.TrashedAt = "2030-01-02T00:00:00Z"
	}
	return out
}

func (f *fileInternalFake) get(owner, id int64) (*fakeNode, error) {
	f.owners = append(f.owners, owner)
	n := f.nodes[id]
	if n == nil || n.owner != owner {
		return nil, filev1.ErrorNodeNotFound("no such file or folder")
	}
	return n, nil
}

func (f *fileInternalFake) GetNode(ctx context.Context, in *filev1.GetNodeRequest, _ ...grpc.CallOption) (*filev1.Node, error) {
	if err := admitted(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.get(atoi(in.GetOwnerId()), atoi(in.GetId()))
	if err != nil {
		return nil, err
	}
	return f.pb(n), nil
}

func (f *fileInternalFake) ListChildren(ctx context.Context, in *filev1.ListChildrenRequest, _ ...grpc.CallOption) (*filev1.ListReply, error) {
	if err := admitted(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	owner, parent := atoi(in.GetOwnerId()), atoi(in.GetParentId())
	if parent != 0 {
		p, err := f.get(owner, parent)
		if err != nil {
			return nil, err
		}
		if !p.folder {
			return nil, filev1.ErrorNotAFolder("not a folder")
		}
	}
	out := &filev1.ListReply{}
	var ids []int64
	for id, n := range f.nodes {
		if n.owner == owner && n.parent == parent && !n.trashed {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		out.Items = append(out.Items, f.pb(f.nodes[id]))
	}
	return out, nil
}

func (f *fileInternalFake) GetPath(ctx context.Context, in *filev1.GetPathRequest, _ ...grpc.CallOption) (*filev1.PathReply, error) {
	if err := admitted(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.get(atoi(in.GetOwnerId()), atoi(in.GetId()))
	if err != nil {
		return nil, err
	}
	var path []*filev1.Node
	for ; n != nil; n = f.nodes[n.parent] {
		path = append([]*filev1.Node{f.pb(n)}, path...)
	}
	return &filev1.PathReply{Items: path}, nil
}

func (f *fileInternalFake) CopyFrom(ctx context.Context, in *filev1.CopyFromRequest, _ ...grpc.CallOption) (*filev1.NodesReply, error) {
	if err := admitted(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	src, dst, parent := atoi(in.GetSrcOwnerId()), atoi(in.GetDstOwnerId()), atoi(in.GetParentId())
	if f.quotaFull[dst] {
		return nil, filev1.ErrorQuotaExceeded("not enough space")
	}
	if parent != 0 {
		if p, err := f.get(dst, parent); err != nil || !p.folder || p.trashed {
			return nil, filev1.ErrorParentNotFound("the destination folder does not exist")
		}
	}
	out := &filev1.NodesReply{}
	for _, s := range in.GetIds() {
		n, err := f.get(src, atoi(s))
		if err != nil || n.trashed {
			return nil, filev1.ErrorNodeNotFound("no such file or folder")
		}
		f.next++
		c := &fakeNode{id: f.next, owner: dst, parent: parent, name: n.name, folder: n.folder, size: n.size}
		f.nodes[c.id] = c
		out.Items = append(out.Items, f.pb(c))
	}
	return out, nil
}

// storageInternalFake signs URLs that name what they were asked for.
type storageInternalFake struct {
	storagev1.StorageInternalClient

	mu    sync.Mutex
	signs []string
}

func (s *storageInternalFake) signed(what string) *storagev1.SignedURL {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signs = append(s.signs, what)
	return &storagev1.SignedURL{Url: "/v1/storage/" + what + "&sig=fake", ExpiresAt: "2030-01-01T00:05:00Z"}
}

// signedSoFar is what was signed so far.
func (s *storageInternalFake) signedSoFar() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.signs...)
}

func (s *storageInternalFake) SignDownload(ctx context.Context, in *storagev1.SignDownloadRequest, _ ...grpc.CallOption) (*storagev1.SignedURL, error) {
	if err := admitted(ctx); err != nil {
		return nil, err
	}
	return s.signed(fmt.Sprintf("file?owner=%s&node=%s&share=%s", in.GetOwnerId(), in.GetNodeId(), in.GetShareToken())), nil
}

func (s *storageInternalFake) SignZip(ctx context.Context, in *storagev1.SignZipRequest, _ ...grpc.CallOption) (*storagev1.SignedURL, error) {
	if err := admitted(ctx); err != nil {
		return nil, err
	}
	return s.signed(fmt.Sprintf("zip?owner=%s&ids=%s&name=%s&share=%s", in.GetOwnerId(), strings.Join(in.GetIds(), ","), in.GetName(), in.GetShareToken())), nil
}

// SignThumbnails signs one per id whose name ends in .jpg (a picture), as
// storage leaves out what cannot have one.
func (s *storageInternalFake) SignThumbnails(ctx context.Context, in *storagev1.SignThumbnailsRequest, _ ...grpc.CallOption) (*storagev1.ThumbnailURLsReply, error) {
	if err := admitted(ctx); err != nil {
		return nil, err
	}
	out := &storagev1.ThumbnailURLsReply{}
	for _, id := range in.GetIds() {
		u := s.signed(fmt.Sprintf("thumbnail?owner=%s&node=%s&s=%d&share=%s", in.GetOwnerId(), id, in.GetSize(), in.GetShareToken()))
		out.Thumbnails = append(out.Thumbnails, &storagev1.ThumbnailURL{Id: id, Url: u.GetUrl(), ExpiresAt: u.GetExpiresAt()})
	}
	return out, nil
}

// userInternalFake is the accounts.
type userInternalFake struct {
	userv1.UserInternalClient

	mu    sync.Mutex
	users map[int64]*userv1.UserInfo
}

func newUserInternalFake() *userInternalFake {
	return &userInternalFake{users: map[int64]*userv1.UserInfo{}}
}

func (u *userInternalFake) add(id int64, username, nickname string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.users[id] = &userv1.UserInfo{Id: pid(id), Username: username, Nickname: nickname, Role: "user",
		CreatedAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)}
}

func (u *userInternalFake) disable(id int64, disabled bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.users[id].Disabled = disabled
}

func (u *userInternalFake) GetUser(ctx context.Context, in *userv1.GetUserRequest, _ ...grpc.CallOption) (*userv1.UserInfo, error) {
	if err := admitted(ctx); err != nil {
		return nil, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if x, ok := u.users[atoi(in.GetUserId())]; ok {
		return x, nil
	}
	return nil, userv1.ErrorUserNotFound("user not found")
}

func (u *userInternalFake) LookupUser(ctx context.Context, in *userv1.LookupUserRequest, _ ...grpc.CallOption) (*userv1.UserInfo, error) {
	if err := admitted(ctx); err != nil {
		return nil, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, x := range u.users {
		if strings.EqualFold(x.GetUsername(), in.GetUsername()) {
			return x, nil
		}
	}
	return nil, userv1.ErrorUserNotFound("user not found")
}
