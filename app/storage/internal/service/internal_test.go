package service_test

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	filev1 "clouddrive/api/file/v1"
	v1 "clouddrive/api/storage/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/server"
	"clouddrive/app/storage/internal/service"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

const (
	alice int64 = 101
	bob   int64 = 202
)

// fakeFiles is the file service as storage sees it: nodes of owners, some
// trashed, answering as the FileInternal client does (NODE_NOT_FOUND for
// another owner's or a trashed node).
type fakeFiles struct {
	owner   map[int64]int64
	nodes   map[int64]*biz.FileNode
	trashed map[int64]bool
}

var _ biz.FileService = (*fakeFiles)(nil)

func (f *fakeFiles) add(owner int64, n *biz.FileNode) *biz.FileNode {
	f.owner[n.ID], f.nodes[n.ID] = owner, n
	return n
}

func (f *fakeFiles) get(owner, id int64) (*biz.FileNode, error) {
	n, ok := f.nodes[id]
	if !ok || f.owner[id] != owner || f.trashed[id] {
		return nil, filev1.ErrorNodeNotFound("no such file or folder")
	}
	return n, nil
}

func (f *fakeFiles) CheckCreate(context.Context, biz.NewFile) error { return nil }

func (f *fakeFiles) CreateFile(context.Context, biz.NewFile) (*biz.FileNode, error) {
	panic("not used by downloads")
}

func (f *fakeFiles) GetFile(_ context.Context, owner, id int64) (*biz.FileNode, error) {
	return f.get(owner, id)
}

// Walk selects the nodes and their direct children (enough for the tests).
func (f *fakeFiles) Walk(_ context.Context, owner int64, ids []int64, limit int) ([]biz.WalkEntry, bool, error) {
	var out []biz.WalkEntry
	for _, id := range ids {
		n, err := f.get(owner, id)
		if err != nil {
			return nil, false, err
		}
		out = append(out, biz.WalkEntry{Path: n.Name, Node: n})
		for cid, c := range f.nodes {
			if c.ParentID == id && f.owner[cid] == owner && !f.trashed[cid] {
				out = append(out, biz.WalkEntry{Path: n.Name + "/" + c.Name, Node: c})
			}
		}
	}
	if limit > 0 && len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

func (f *fakeFiles) ReferencedHashes(context.Context, []string) ([]string, error) { return nil, nil }

type internalFixture struct {
	files    *fakeFiles
	signer   *auth.URLSigner
	policy   *biz.Policy
	internal *service.StorageInternalService
	public   *service.StorageService
	// alice's: a file, a folder holding a file, a trashed file; bob's file.
	doc, dir, inDir, binned, bobs *biz.FileNode
}

func newInternalFixture(t *testing.T) *internalFixture {
	t.Helper()
	f := &internalFixture{
		files:  &fakeFiles{owner: map[int64]int64{}, nodes: map[int64]*biz.FileNode{}, trashed: map[int64]bool{}},
		signer: auth.NewURLSigner([]byte("0123456789abcdef0123456789abcdef")),
		policy: &biz.Policy{URLTTL: 5 * time.Minute, ZipMaxEntries: 3, ZipMaxBytes: 1000},
	}
	f.doc = f.files.add(alice, &biz.FileNode{ID: 1, Name: "doc.pdf", Size: 100, ContentHash: "h1"})
	f.dir = f.files.add(alice, &biz.FileNode{ID: 2, Name: "photos", Folder: true})
	f.inDir = f.files.add(alice, &biz.FileNode{ID: 3, ParentID: 2, Name: "a.jpg", Size: 200, ContentHash: "h3"})
	f.binned = f.files.add(alice, &biz.FileNode{ID: 4, Name: "old.txt", Size: 1, ContentHash: "h4"})
	f.files.trashed[4] = true
	f.bobs = f.files.add(bob, &biz.FileNode{ID: 5, Name: "bob.txt", Size: 5000, ContentHash: "h5"})
	downloads := biz.NewDownloadUsecase(f.files, nil, nil, f.signer, f.policy, time.Now, log.NewStdLogger(io.Discard))
	thumbs := biz.NewThumbnailUsecase(f.files, nil, nil, picturesOnly{}, nil, f.signer, f.policy, time.Now, log.NewStdLogger(io.Discard))
	f.internal = service.NewStorageInternalService(downloads, thumbs)
	f.public = service.NewStorageService(nil, downloads)
	return f
}

// signedFor checks that u is a signed URL of path for owner and returns its query.
func (f *internalFixture) signedFor(t *testing.T, u *v1.SignedURL, path string, owner int64) url.Values {
	t.Helper()
	p, err := url.Parse(u.GetUrl())
	if err != nil || p.Path != path {
		t.Fatalf("URL %q, want a signed %s", u.GetUrl(), path)
	}
	signed, err := f.signer.Verify(path, p.Query())
	if err != nil || signed.UserID != owner {
		t.Fatalf("URL %q verifies as user %d, %v; want %d", u.GetUrl(), signed.UserID, err, owner)
	}
	exp, err := time.Parse(time.RFC3339Nano, u.GetExpiresAt())
	if err != nil || time.Until(exp) <= 0 || time.Until(exp) > f.policy.URLTTL {
		t.Errorf("expires_at %q, want within %v", u.GetExpiresAt(), f.policy.URLTTL)
	}
	return p.Query()
}

// picturesOnly can make thumbnails of .jpg files (signing never renders).
type picturesOnly struct{}

func (picturesOnly) Can(_, name string) bool { return strings.HasSuffix(name, ".jpg") }
func (picturesOnly) Render(context.Context, string, string, io.ReadSeeker, int64, int) ([]byte, error) {
	return nil, errors.New("not in this test")
}

func TestStorageInternalSignThumbnails(t *testing.T) {
	f := newInternalFixture(t)
	ctx := context.Background()
	// The picture in alice's folder gets one; her PDF (no renderer here),
	// her folder and bob's file, asked under alice, are left out.
	r, err := f.internal.SignThumbnails(ctx, &v1.SignThumbnailsRequest{OwnerId: "101", Ids: []string{"1", "2", "3", "5"},
		Size: 256, ShareToken: "tok"})
	if err != nil {
		t.Fatalf("SignThumbnails: %v", err)
	}
	if len(r.GetThumbnails()) != 1 || r.GetThumbnails()[0].GetId() != "3" || r.GetThumbnails()[0].GetContentHash() != "h3" {
		t.Fatalf("thumbnails %v, want only node 3's", r.GetThumbnails())
	}
	th := r.GetThumbnails()[0]
	q := f.signedFor(t, &v1.SignedURL{Url: th.GetUrl(), ExpiresAt: th.GetExpiresAt()}, biz.ThumbnailPath, alice)
	if q.Get("id") != "3" || q.Get("s") != "256" || q.Get("share") != "tok" {
		t.Errorf("query %v, want id=3, s=256 and the share signed in", q)
	}
	// Without a share token: the owner's own URL, no share in it.
	r, err = f.internal.SignThumbnails(ctx, &v1.SignThumbnailsRequest{OwnerId: "101", Ids: []string{"3"}})
	if err != nil || len(r.GetThumbnails()) != 1 {
		t.Fatalf("SignThumbnails without a share: %v, %v", r, err)
	}
	if q := f.signedFor(t, &v1.SignedURL{Url: r.GetThumbnails()[0].GetUrl(), ExpiresAt: r.GetThumbnails()[0].GetExpiresAt()},
		biz.ThumbnailPath, alice); q.Has("share") {
		t.Errorf("query %v has a share", q)
	}
}

func reasonOf(err error) string {
	if err == nil {
		return ""
	}
	return kerrors.FromError(err).Reason
}

func TestStorageInternalSignDownload(t *testing.T) {
	f := newInternalFixture(t)
	ctx := context.Background()
	u, err := f.internal.SignDownload(ctx, &v1.SignDownloadRequest{OwnerId: "101", NodeId: "1"})
	if err != nil {
		t.Fatalf("SignDownload(alice's file): %v", err)
	}
	q := f.signedFor(t, u, biz.FilePath, alice)
	if q.Get("id") != "1" || q.Has("inline") {
		t.Errorf("query %v, want id=1 and no inline", q)
	}
	// The very URL the owner gets from DownloadURL (but for its expiry).
	own, err := f.public.DownloadURL(auth.NewContext(ctx, auth.Caller{UserID: alice}), &v1.DownloadURLRequest{Id: "1"})
	if err != nil {
		t.Fatalf("alice's DownloadURL: %v", err)
	}
	oq := f.signedFor(t, own, biz.FilePath, alice)
	for _, k := range []string{"id", "uid", "inline"} {
		if oq.Get(k) != q.Get(k) {
			t.Errorf("%s: internal %q, owner's own %q", k, q.Get(k), oq.Get(k))
		}
	}

	for _, c := range []struct {
		name        string
		owner, node string
		want        func(error) bool
	}{
		{"another owner's file", "101", "5", filev1.IsNodeNotFound},
		{"a file under the wrong owner", "202", "1", filev1.IsNodeNotFound},
		{"a trashed file", "101", "4", filev1.IsNodeNotFound},
		{"a missing file", "101", "999", filev1.IsNodeNotFound},
		{"a folder", "101", "2", v1.IsFileNotFound},
		{"not a node id", "101", "x", v1.IsFileNotFound},
		{"not a user id", "alice", "1", badRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := f.internal.SignDownload(ctx, &v1.SignDownloadRequest{OwnerId: c.owner, NodeId: c.node})
			if u != nil || !c.want(err) {
				t.Fatalf("SignDownload = %v, %v (reason %q)", u, err, reasonOf(err))
			}
		})
	}
}

func badRequest(err error) bool { return err != nil && kerrors.FromError(err).Code == 400 }

func TestStorageInternalSignZip(t *testing.T) {
	f := newInternalFixture(t)
	ctx := context.Background()
	u, err := f.internal.SignZip(ctx, &v1.SignZipRequest{OwnerId: "101", Ids: []string{"2", "1"}, Name: "holiday"})
	if err != nil {
		t.Fatalf("SignZip(alice's selection): %v", err)
	}
	q := f.signedFor(t, u, biz.ZipPath, alice)
	if q.Get("ids") != "2,1" || q.Get("name") != "holiday" {
		t.Errorf("query %v, want ids=2,1 name=holiday", q)
	}
	// The signed zip opens as alice's selection.
	z, err := biz.NewDownloadUsecase(f.files, nil, nil, f.signer, f.policy, time.Now, log.NewStdLogger(io.Discard)).OpenZip(ctx, q)
	if err != nil || z.Name != "holiday.zip" || len(z.Entries) != 3 {
		t.Fatalf("OpenZip = %+v, %v", z, err)
	}

	for _, c := range []struct {
		name  string
		owner string
		ids   []string
		want  func(error) bool
	}{
		{"another owner's node", "101", []string{"1", "5"}, filev1.IsNodeNotFound},
		{"under the wrong owner", "202", []string{"1"}, filev1.IsNodeNotFound},
		{"a trashed node", "101", []string{"4"}, filev1.IsNodeNotFound},
		{"not a node id", "101", []string{"1", "-3"}, v1.IsFileNotFound},
		{"too many entries", "101", []string{"2", "1", "2"}, v1.IsZipTooLarge},
		{"too many bytes", "202", []string{"5"}, v1.IsZipTooLarge},
		{"not a user id", "0", []string{"1"}, badRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := f.internal.SignZip(ctx, &v1.SignZipRequest{OwnerId: c.owner, Ids: c.ids})
			if u != nil || !c.want(err) {
				t.Fatalf("SignZip = %v, %v (reason %q)", u, err, reasonOf(err))
			}
		})
	}
}

// StorageInternal is served on gRPC, through the same middleware as every
// RPC: with the internal secret only, and with the request validated.
func TestStorageInternalOverGRPC(t *testing.T) {
	f := newInternalFixture(t)
	const secret = "internal-secret"
	gs := apiserver.NewGRPCServer("127.0.0.1:0", 0, apiserver.Config{Logger: log.NewStdLogger(io.Discard),
		Auth: auth.Options{InternalSecret: secret, Logger: log.NewStdLogger(io.Discard)}})
	server.RegisterGRPC(gs, f.public, service.NewStorageAdminService(nil), f.internal)
	endpoint := start(t, gs)
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := v1.NewStorageInternalClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	withSecret := func(s string) context.Context { return metadata.AppendToOutgoingContext(ctx, auth.InternalHeader, s) }

	u, err := c.SignDownload(withSecret(secret), &v1.SignDownloadRequest{OwnerId: "101", NodeId: "1"})
	if err != nil {
		t.Fatalf("SignDownload with the secret: %v", err)
	}
	f.signedFor(t, u, biz.FilePath, alice)
	u, err = c.SignZip(withSecret(secret), &v1.SignZipRequest{OwnerId: "101", Ids: []string{"1"}})
	if err != nil {
		t.Fatalf("SignZip with the secret: %v", err)
	}
	f.signedFor(t, u, biz.ZipPath, alice)

	for _, tc := range []struct {
		name string
		ctx  context.Context
		req  *v1.SignDownloadRequest
		code int32
	}{
		{"no secret", ctx, &v1.SignDownloadRequest{OwnerId: "101", NodeId: "1"}, 403},
		{"a wrong secret", withSecret("guess"), &v1.SignDownloadRequest{OwnerId: "101", NodeId: "1"}, 403},
		{"no owner", withSecret(secret), &v1.SignDownloadRequest{NodeId: "1"}, 400},
		{"another owner's file", withSecret(secret), &v1.SignDownloadRequest{OwnerId: "101", NodeId: "5"}, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.SignDownload(tc.ctx, tc.req)
			if got := kerrors.FromError(err).Code; got != tc.code {
				t.Fatalf("SignDownload: %v (code %d), want %d", err, got, tc.code)
			}
		})
	}
}

// start serves gs until the test ends and returns its host:port.
func start(t *testing.T, gs *kgrpc.Server) string {
	t.Helper()
	ep, err := gs.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Start(context.Background()) }()
	t.Cleanup(func() { _ = gs.Stop(context.Background()) })
	return strings.TrimPrefix(ep.Host, "grpc://")
}
