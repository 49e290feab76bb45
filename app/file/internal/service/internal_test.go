package service_test

import (
	"context"
	"io"
	"slices"
	"strconv"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"

	confv1 "clouddrive/api/conf/v1"
	v1 "clouddrive/api/file/v1"
	"clouddrive/app/file/internal/biz"
	"clouddrive/app/file/internal/data"
	"clouddrive/app/file/internal/service"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/testkit"
)

const (
	alice = "101"
	bob   = "202"
)

// newInternal is the file service on a fresh SQLite database: its internal
// API, and the user-facing one for comparison.
func newInternal(t *testing.T) (*service.FileInternalService, *service.FileService) {
	t.Helper()
	logger := log.NewStdLogger(io.Discard)
	d, cleanup, err := data.NewData(&confv1.Data{Database: &confv1.Data_Database{Driver: "sqlite", Source: testkit.SQLite(t)}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	outbox := data.NewOutboxRepo(d)
	policy := &biz.Policy{DefaultQuota: 1 << 30}
	quota := biz.NewQuotaUsecase(data.NewQuotaRepo(d), outbox, policy, biz.NewClock(), logger)
	nodeRepo := data.NewNodeRepo(d)
	nodes := biz.NewNodeUsecase(nodeRepo, quota, outbox, biz.NewFeed(data.NewChangeRepo(d), nodeRepo), data.NewVersionRepo(d),
		data.NewTransaction(d), biz.NewClock(), logger)
	return service.NewFileInternalService(nodes), service.NewFileService(nodes, nil, quota, nil)
}

func as(owner string) context.Context {
	id, _ := strconv.ParseInt(owner, 10, 64)
	return auth.NewContext(context.Background(), auth.Caller{UserID: id})
}

func mkdir(t *testing.T, s *service.FileService, owner, parent, name string) *v1.Node {
	t.Helper()
	n, err := s.Mkdir(as(owner), &v1.MkdirRequest{ParentId: parent, Name: name})
	if err != nil {
		t.Fatalf("Mkdir(%s, %q): %v", owner, name, err)
	}
	return n
}

func names(ns []*v1.Node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.GetName()
	}
	return out
}

func TestListChildrenAndGetPath(t *testing.T) {
	s, files := newInternal(t)
	ctx := context.Background()
	top := mkdir(t, files, alice, "", "shared")
	for _, n := range []string{"d", "B", "a", "c", "E"} {
		mkdir(t, files, alice, top.GetId(), n)
	}
	deep := mkdir(t, files, alice, top.GetId(), "z")
	leaf := mkdir(t, files, alice, deep.GetId(), "leaf")

	// Pages of two, by name, with tokens, as the owner's own List pages.
	var got []string
	req := &v1.ListChildrenRequest{OwnerId: alice, ParentId: top.GetId(), PageSize: 2}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("ListChildren never ends")
		}
		p, err := s.ListChildren(ctx, req)
		if err != nil {
			t.Fatalf("ListChildren: %v", err)
		}
		got = append(got, names(p.GetItems())...)
		if p.GetNextPageToken() == "" {
			break
		}
		req.PageToken = p.GetNextPageToken()
	}
	if want := []string{"a", "B", "c", "d", "E", "z"}; !slices.Equal(got, want) {
		t.Errorf("ListChildren pages = %q, want %q", got, want)
	}
	own, err := files.List(as(alice), &v1.ListRequest{ParentId: top.GetId(), PageSize: 100})
	if err != nil || !slices.Equal(names(own.GetItems()), got) {
		t.Errorf("alice's own List = %q, %v", names(own.GetItems()), err)
	}
	root, err := s.ListChildren(ctx, &v1.ListChildrenRequest{OwnerId: alice})
	if err != nil || !slices.Equal(names(root.GetItems()), []string{"shared"}) {
		t.Errorf("ListChildren(alice's root) = %q, %v", names(root.GetItems()), err)
	}

	sizeToken, err := files.List(as(alice), &v1.ListRequest{ParentId: top.GetId(), PageSize: 1, OrderBy: biz.OrderSize})
	if err != nil || sizeToken.GetNextPageToken() == "" {
		t.Fatalf("List by size = %v, %v", sizeToken, err)
	}
	path, err := s.GetPath(ctx, &v1.GetPathRequest{OwnerId: alice, Id: leaf.GetId()})
	if err != nil || !slices.Equal(names(path.GetItems()), []string{"shared", "z", "leaf"}) {
		t.Errorf("GetPath(leaf) = %q, %v", names(path.GetItems()), err)
	}

	for _, c := range []struct {
		name string
		call func() error
		want func(error) bool
	}{
		{"list under another owner", func() error {
			return errOf(s.ListChildren(ctx, &v1.ListChildrenRequest{OwnerId: bob, ParentId: top.GetId()}))
		}, v1.IsNodeNotFound},
		{"list a missing folder", func() error {
			return errOf(s.ListChildren(ctx, &v1.ListChildrenRequest{OwnerId: alice, ParentId: "987654"}))
		}, v1.IsNodeNotFound},
		{"list not a folder id", func() error {
			return errOf(s.ListChildren(ctx, &v1.ListChildrenRequest{OwnerId: alice, ParentId: "x"}))
		}, v1.IsNodeNotFound},
		{"list with a token of another order", func() error {
			return errOf(s.ListChildren(ctx, &v1.ListChildrenRequest{OwnerId: alice, ParentId: top.GetId(),
				PageToken: sizeToken.GetNextPageToken()}))
		}, v1.IsInvalidPageToken},
		{"list with a bad owner", func() error {
			return errOf(s.ListChildren(ctx, &v1.ListChildrenRequest{OwnerId: "-1"}))
		}, badRequest},
		{"path under another owner", func() error {
			return errOf(s.GetPath(ctx, &v1.GetPathRequest{OwnerId: bob, Id: leaf.GetId()}))
		}, v1.IsNodeNotFound},
		{"path of not an id", func() error { return errOf(s.GetPath(ctx, &v1.GetPathRequest{OwnerId: alice, Id: "0"})) }, v1.IsNodeNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(); !c.want(err) {
				t.Fatalf("%v (reason %q)", err, kerrors.FromError(err).Reason)
			}
		})
	}
}

func TestCopyFromService(t *testing.T) {
	s, files := newInternal(t)
	ctx := context.Background()
	shared := mkdir(t, files, alice, "", "shared")
	mkdir(t, files, alice, shared.GetId(), "inside")
	inbox := mkdir(t, files, bob, "", "inbox")

	out, err := s.CopyFrom(ctx, &v1.CopyFromRequest{SrcOwnerId: alice, Ids: []string{shared.GetId()}, DstOwnerId: bob,
		ParentId: inbox.GetId()})
	if err != nil || len(out.GetItems()) != 1 || out.GetItems()[0].GetParentId() != inbox.GetId() || out.GetItems()[0].GetId() == shared.GetId() {
		t.Fatalf("CopyFrom = %v, %v", out, err)
	}
	// Bob owns the copy: he can list it, alice cannot.
	p, err := files.List(as(bob), &v1.ListRequest{ParentId: out.GetItems()[0].GetId()})
	if err != nil || !slices.Equal(names(p.GetItems()), []string{"inside"}) {
		t.Errorf("bob lists his copy = %v, %v", p, err)
	}
	if _, err := files.List(as(alice), &v1.ListRequest{ParentId: out.GetItems()[0].GetId()}); !v1.IsNodeNotFound(err) {
		t.Errorf("alice lists bob's copy: %v", err)
	}
	// "" is "fail"; "rename" settles the name; the root is "".
	_, err = s.CopyFrom(ctx, &v1.CopyFromRequest{SrcOwnerId: alice, Ids: []string{shared.GetId()}, DstOwnerId: bob, ParentId: inbox.GetId()})
	if !v1.IsNameConflict(err) {
		t.Errorf("CopyFrom onto the copy: %v, want NAME_CONFLICT", err)
	}
	out, err = s.CopyFrom(ctx, &v1.CopyFromRequest{SrcOwnerId: alice, Ids: []string{shared.GetId()}, DstOwnerId: bob,
		ParentId: inbox.GetId(), OnConflict: "rename"})
	if err != nil || out.GetItems()[0].GetName() != "shared (1)" {
		t.Errorf("CopyFrom with rename = %v, %v", out, err)
	}
	out, err = s.CopyFrom(ctx, &v1.CopyFromRequest{SrcOwnerId: alice, Ids: []string{shared.GetId()}, DstOwnerId: bob})
	if err != nil || out.GetItems()[0].GetParentId() != "" {
		t.Errorf("CopyFrom to bob's root = %v, %v", out, err)
	}

	for _, c := range []struct {
		name string
		req  *v1.CopyFromRequest
		want func(error) bool
	}{
		{"a node of the destination owner", &v1.CopyFromRequest{SrcOwnerId: alice, Ids: []string{inbox.GetId()}, DstOwnerId: bob}, v1.IsNodeNotFound},
		{"not a node id", &v1.CopyFromRequest{SrcOwnerId: alice, Ids: []string{shared.GetId(), "x"}, DstOwnerId: bob}, v1.IsNodeNotFound},
		{"into the source owner's folder", &v1.CopyFromRequest{SrcOwnerId: alice, Ids: []string{shared.GetId()}, DstOwnerId: bob,
			ParentId: shared.GetId()}, v1.IsParentNotFound},
		{"into not a folder id", &v1.CopyFromRequest{SrcOwnerId: alice, Ids: []string{shared.GetId()}, DstOwnerId: bob, ParentId: "x"},
			v1.IsParentNotFound},
		{"a bad source owner", &v1.CopyFromRequest{SrcOwnerId: "x", Ids: []string{shared.GetId()}, DstOwnerId: bob}, badRequest},
		{"a bad destination owner", &v1.CopyFromRequest{SrcOwnerId: alice, Ids: []string{shared.GetId()}, DstOwnerId: "0"}, badRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.CopyFrom(ctx, c.req); !c.want(err) {
				t.Fatalf("%v (reason %q)", err, kerrors.FromError(err).Reason)
			}
		})
	}
}

func errOf[T any](_ T, err error) error { return err }

func badRequest(err error) bool { return err != nil && kerrors.FromError(err).Code == 400 }
