package biz

import (
	"context"
	"io"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"go.uber.org/mock/gomock"

	v1 "clouddrive/api/file/v1"
)

// The owners of the tests: src copies from alice, dst copies into bob's.
const (
	alice int64 = 101
	bob   int64 = 202
)

// nodeFixture is a NodeUsecase on mocks; its transaction runs fn in place.
type nodeFixture struct {
	ctx    context.Context
	nodes  *MockNodeRepo
	quotas *MockQuotaRepo
	events *MockOutboxRepo
	uc     *NodeUsecase
	now    time.Time
}

func newNodeFixture(t *testing.T) *nodeFixture {
	ctrl := gomock.NewController(t)
	f := &nodeFixture{ctx: context.Background(), nodes: NewMockNodeRepo(ctrl), quotas: NewMockQuotaRepo(ctrl),
		events: NewMockOutboxRepo(ctrl), now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	tx := NewMockTransaction(ctrl)
	tx.EXPECT().InTx(gomock.Any(), gomock.Any()).DoAndReturn(func(ctx context.Context, fn func(context.Context) error) error {
		return fn(ctx)
	}).AnyTimes()
	clock := func() time.Time { return f.now }
	p := &Policy{DefaultQuota: 1000}
	logger := log.NewStdLogger(io.Discard)
	f.uc = NewNodeUsecase(f.nodes, NewQuotaUsecase(f.quotas, f.events, p, clock, logger), f.events, nil, nil, tx, clock, logger)
	return f
}

// folder expects dst's parent to be locked as a live folder of owner.
func (f *nodeFixture) folder(owner, id int64) {
	f.nodes.EXPECT().GetForUpdate(gomock.Any(), owner, id).Return(&Node{ID: id, OwnerID: owner, Name: "in", Kind: KindFolder}, nil)
}

// creates records every node Create inserts, giving them ids from 1000.
func (f *nodeFixture) creates() *[]*Node {
	var out []*Node
	next := int64(1000)
	f.nodes.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, ns ...*Node) error {
		for _, n := range ns {
			n.ID = next
			next++
			out = append(out, n)
		}
		return nil
	}).AnyTimes()
	return &out
}

func reasonOf(err error) string {
	if err == nil {
		return ""
	}
	return kerrors.FromError(err).Reason
}

// aliceTree is alice's live folder 1 "docs": a.txt (10), sub/ (b.txt 20).
func aliceTree() []*Node {
	return []*Node{
		{ID: 1, OwnerID: alice, Name: "docs", Kind: KindFolder},
		{ID: 2, OwnerID: alice, ParentID: 1, Name: "a.txt", Kind: KindFile, Size: 10, ContentHash: "ha", Mime: "text/plain"},
		{ID: 3, OwnerID: alice, ParentID: 1, Name: "sub", Kind: KindFolder},
		{ID: 4, OwnerID: alice, ParentID: 3, Name: "b.txt", Kind: KindFile, Size: 20, ContentHash: "hb"},
	}
}

func TestCopyFromAnotherOwner(t *testing.T) {
	f := newNodeFixture(t)
	tree := aliceTree()
	f.folder(bob, 50)
	// The source is read as alice's, never as bob's; no cycle check across owners.
	f.nodes.EXPECT().Get(gomock.Any(), alice, int64(1)).Return(tree[0], nil)
	f.nodes.EXPECT().LiveSubtree(gomock.Any(), alice, int64(1)).Return(tree, nil)
	f.nodes.EXPECT().Get(gomock.Any(), alice, int64(4)).Return(tree[3], nil)
	// Bob pays, in one conditional charge per selected tree.
	f.quotas.EXPECT().Charge(gomock.Any(), bob, int64(30), int64(1000)).Return(&Quota{OwnerID: bob, Used: 30, Limit: 1000}, nil)
	f.quotas.EXPECT().Charge(gomock.Any(), bob, int64(20), int64(1000)).Return(&Quota{OwnerID: bob, Used: 50, Limit: 1000}, nil)
	created := f.creates()
	var events []*Event
	f.events.EXPECT().Add(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, e *Event) error {
		events = append(events, e)
		return nil
	}).Times(2)

	out, err := f.uc.CopyFrom(f.ctx, alice, []int64{1, 4, 1}, bob, 50, false)
	if err != nil {
		t.Fatalf("CopyFrom: %v", err)
	}
	if len(out) != 2 || out[0].Name != "docs" || out[1].Name != "b.txt" || out[0].ParentID != 50 || out[1].ParentID != 50 {
		t.Fatalf("CopyFrom = %+v", out)
	}
	if len(*created) != 5 {
		t.Fatalf("created %d nodes, want 5 (4 of docs, b.txt)", len(*created))
	}
	byName := map[string]*Node{}
	for _, n := range *created {
		if n.OwnerID != bob || n.Version != 1 || !n.CreatedAt.Equal(f.now) {
			t.Errorf("created %+v, want bob's new node", n)
		}
		byName[n.Name] = n
	}
	if a := byName["a.txt"]; a.ParentID != out[0].ID || a.ContentHash != "ha" || a.Size != 10 || a.Mime != "text/plain" {
		t.Errorf("copy of a.txt = %+v", a)
	}
	if sub := byName["sub"]; sub.ParentID != out[0].ID || sub.Kind != KindFolder {
		t.Errorf("copy of sub = %+v", sub)
	}
	for _, e := range events {
		if e.Type != EventCopied || e.OwnerID != bob || e.ParentID != 50 {
			t.Errorf("event %+v, want COPIED for bob", e)
		}
	}
	if events[0].Count != 4 || events[0].NodeID != out[0].ID || events[1].Count != 1 {
		t.Errorf("events = %+v, %+v", events[0], events[1])
	}
}

func TestCopyFromRefusals(t *testing.T) {
	tests := []struct {
		name   string
		expect func(f *nodeFixture)
		ids    []int64
		parent int64
		want   string
	}{
		{"a node of someone else", func(f *nodeFixture) {
			f.folder(bob, 50)
			f.nodes.EXPECT().Get(gomock.Any(), alice, int64(9)).Return(nil, ErrNotFound)
		}, []int64{9}, 50, v1.ErrorReason_NODE_NOT_FOUND.String()},
		{"a trashed node", func(f *nodeFixture) {
			f.folder(bob, 50)
			gone := time.Now()
			f.nodes.EXPECT().Get(gomock.Any(), alice, int64(1)).Return(&Node{ID: 1, OwnerID: alice, Name: "x", Kind: KindFile, TrashedAt: &gone}, nil)
		}, []int64{1}, 50, v1.ErrorReason_NODE_NOT_FOUND.String()},
		{"trashed between reads", func(f *nodeFixture) {
			f.nodes.EXPECT().Get(gomock.Any(), alice, int64(1)).Return(aliceTree()[0], nil)
			f.nodes.EXPECT().LiveSubtree(gomock.Any(), alice, int64(1)).Return(nil, nil)
		}, []int64{1}, 0, v1.ErrorReason_NODE_NOT_FOUND.String()},
		{"a good one, then a foreign one", func(f *nodeFixture) {
			f.nodes.EXPECT().Get(gomock.Any(), alice, int64(4)).Return(aliceTree()[3], nil)
			f.quotas.EXPECT().Charge(gomock.Any(), bob, int64(20), gomock.Any()).Return(&Quota{Used: 20, Limit: 1000}, nil)
			f.creates()
			f.events.EXPECT().Add(gomock.Any(), gomock.Any()).Return(nil)
			f.nodes.EXPECT().Get(gomock.Any(), alice, int64(77)).Return(nil, ErrNotFound)
		}, []int64{4, 77}, 0, v1.ErrorReason_NODE_NOT_FOUND.String()},
		{"a parent that is not the destination owner's", func(f *nodeFixture) {
			f.nodes.EXPECT().GetForUpdate(gomock.Any(), bob, int64(3)).Return(nil, ErrNotFound)
		}, []int64{1}, 3, v1.ErrorReason_PARENT_NOT_FOUND.String()},
		{"over the destination's quota", func(f *nodeFixture) {
			tree := aliceTree()
			f.nodes.EXPECT().Get(gomock.Any(), alice, int64(1)).Return(tree[0], nil)
			f.nodes.EXPECT().LiveSubtree(gomock.Any(), alice, int64(1)).Return(tree, nil)
			f.quotas.EXPECT().Charge(gomock.Any(), bob, int64(30), gomock.Any()).Return(&Quota{Used: 990, Limit: 1000}, ErrQuotaExceeded)
		}, []int64{1}, 0, v1.ErrorReason_QUOTA_EXCEEDED.String()},
		{"a name taken in the destination", func(f *nodeFixture) {
			f.nodes.EXPECT().Get(gomock.Any(), alice, int64(4)).Return(aliceTree()[3], nil)
			f.quotas.EXPECT().Charge(gomock.Any(), bob, int64(20), gomock.Any()).Return(&Quota{Used: 20, Limit: 1000}, nil)
			f.nodes.EXPECT().Create(gomock.Any(), gomock.Any()).Return(ErrDuplicate)
		}, []int64{4}, 0, v1.ErrorReason_NAME_CONFLICT.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newNodeFixture(t)
			tt.expect(f)
			_, err := f.uc.CopyFrom(f.ctx, alice, tt.ids, bob, tt.parent, false)
			if reasonOf(err) != tt.want {
				t.Fatalf("CopyFrom: %v; want %s", err, tt.want)
			}
		})
	}
}

// Renaming on a conflict settles the name among the destination owner's
// names, not the source's.
func TestCopyFromRenamesInDestination(t *testing.T) {
	f := newNodeFixture(t)
	f.nodes.EXPECT().Get(gomock.Any(), alice, int64(2)).Return(aliceTree()[1], nil)
	f.quotas.EXPECT().Charge(gomock.Any(), bob, int64(10), gomock.Any()).Return(&Quota{Used: 10, Limit: 1000}, nil)
	gomock.InOrder(
		f.nodes.EXPECT().Create(gomock.Any(), gomock.Any()).Return(ErrDuplicate),
		f.nodes.EXPECT().TakenNames(gomock.Any(), bob, int64(0), "a").Return(map[string]bool{"a.txt": true}, nil),
		f.nodes.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, ns ...*Node) error {
			ns[0].ID = 1000
			return nil
		}),
	)
	f.events.EXPECT().Add(gomock.Any(), gomock.Any()).Return(nil)
	out, err := f.uc.CopyFrom(f.ctx, alice, []int64{2}, bob, 0, true)
	if err != nil || len(out) != 1 || out[0].Name != "a (1).txt" || out[0].OwnerID != bob {
		t.Fatalf("CopyFrom with rename = %+v, %v", out, err)
	}
}

// Within one owner CopyFrom is Copy: a folder cannot go into its own subtree.
func TestCopyFromSameOwnerRefusesCycles(t *testing.T) {
	for _, copyFn := range []struct {
		name string
		call func(uc *NodeUsecase) ([]*Node, error)
	}{
		{"Copy", func(uc *NodeUsecase) ([]*Node, error) {
			return uc.Copy(context.Background(), alice, []int64{1}, 3, false)
		}},
		{"CopyFrom", func(uc *NodeUsecase) ([]*Node, error) {
			return uc.CopyFrom(context.Background(), alice, []int64{1}, alice, 3, false)
		}},
	} {
		t.Run(copyFn.name, func(t *testing.T) {
			f := newNodeFixture(t)
			f.folder(alice, 3)
			f.nodes.EXPECT().Ancestors(gomock.Any(), alice, int64(3)).Return([]*Node{aliceTree()[0]}, nil)
			_, err := copyFn.call(f.uc)
			if !v1.IsMoveIntoSelf(err) {
				t.Fatalf("%s into its own subtree: %v, want MOVE_INTO_SELF", copyFn.name, err)
			}
		})
	}
}
