package biz

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/mock/gomock"
)

type bytesContent struct{ b []byte }

func (c bytesContent) ReadAt(p []byte, off int64) (int, error) { return copy(p, c.b[off:]), nil }
func (c bytesContent) Size() int64                             { return int64(len(c.b)) }
func (c bytesContent) Hash() string                            { return "h" }

type treeFixture struct {
	files *MockFiles
	blobs *MockBlobs
	props *MockPropRepo
	view  *View
	u     *User
}

func newTree(t *testing.T) *treeFixture {
	ctrl := gomock.NewController(t)
	f := &treeFixture{files: NewMockFiles(ctrl), blobs: NewMockBlobs(ctrl), props: NewMockPropRepo(ctrl), u: &User{ID: 7, Token: "t"}}
	f.view = NewTreeUsecase(f.files, f.blobs, f.props).View(f.u)
	return f
}

// Put over an existing file uploads the new one first (under a free name),
// then trashes the old one and takes its name: a failed upload loses
// nothing, and the old file is never purged.
func TestPutReplacesOnlyAfterTheUpload(t *testing.T) {
	ctx := context.Background()
	old := &Node{ID: 5, Name: "a.txt", Size: 3}
	t.Run("upload fails", func(t *testing.T) {
		f := newTree(t)
		f.files.EXPECT().List(gomock.Any(), f.u, int64(0), "").Return([]*Node{old}, "", nil)
		f.blobs.EXPECT().Upload(gomock.Any(), f.u, gomock.Any()).Return(nil, ErrTooLarge)
		// No Trash, no Rename: gomock fails the test on any other call.
		if _, err := f.view.Put(ctx, "/a.txt", "text/plain", bytesContent{[]byte("new")}); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want the upload's error", err)
		}
	})
	t.Run("upload succeeds", func(t *testing.T) {
		f := newTree(t)
		f.files.EXPECT().List(gomock.Any(), f.u, int64(0), "").Return([]*Node{old}, "", nil)
		up := f.blobs.EXPECT().Upload(gomock.Any(), f.u, gomock.Any()).DoAndReturn(func(_ context.Context, _ *User, nf *NewFile) (*Node, error) {
			if nf.Name != "a.txt" || !nf.RenameOnConflict || nf.Parent != 0 {
				t.Errorf("upload of %+v: want a.txt in the root, renamed on conflict", nf)
			}
			return &Node{ID: 6, Name: "a (1).txt"}, nil
		})
		trash := f.files.EXPECT().Trash(gomock.Any(), f.u, int64(5)).Return(nil).After(up)
		rename := f.files.EXPECT().Rename(gomock.Any(), f.u, int64(6), "a.txt", false).Return(&Node{ID: 6, Name: "a.txt"}, nil).After(trash)
		f.props.EXPECT().Get(gomock.Any(), int64(7), int64(5)).Return([]Prop{{Space: "urn:x", Local: "p"}}, nil).After(rename)
		f.props.EXPECT().Set(gomock.Any(), int64(7), int64(6), []Prop{{Space: "urn:x", Local: "p"}}).Return(nil)
		n, err := f.view.Put(ctx, "/a.txt", "text/plain", bytesContent{[]byte("new")})
		if err != nil || n.ID != 6 || n.Name != "a.txt" {
			t.Fatalf("Put = %+v, %v", n, err)
		}
	})
	t.Run("a folder is not replaced", func(t *testing.T) {
		f := newTree(t)
		f.files.EXPECT().List(gomock.Any(), f.u, int64(0), "").Return([]*Node{{ID: 9, Name: "A.TXT", Folder: true}}, "", nil)
		if _, err := f.view.Put(ctx, "/a.txt", "", bytesContent{nil}); !errors.Is(err, ErrIsFolder) {
			t.Fatalf("err = %v, want ErrIsFolder (names compare without case)", err)
		}
	})
	t.Run("missing parent", func(t *testing.T) {
		f := newTree(t)
		f.files.EXPECT().List(gomock.Any(), f.u, int64(0), "").Return(nil, "", nil)
		if _, err := f.view.Put(ctx, "/no/a.txt", "", bytesContent{nil}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

// Resolve walks every page of a folder, and through a file is not found.
func TestResolvePagesAndFiles(t *testing.T) {
	ctx := context.Background()
	f := newTree(t)
	f.files.EXPECT().List(gomock.Any(), f.u, int64(0), "").Return([]*Node{{ID: 1, Name: "x"}}, "p2", nil)
	f.files.EXPECT().List(gomock.Any(), f.u, int64(0), "p2").Return([]*Node{{ID: 2, Name: "docs", Folder: true}, {ID: 3, Name: "f.txt"}}, "", nil)
	f.files.EXPECT().List(gomock.Any(), f.u, int64(2), "").Return([]*Node{{ID: 4, Name: "deep.txt", ParentID: 2}}, "", nil)
	if n, err := f.view.Resolve(ctx, "/docs/deep.txt"); err != nil || n.ID != 4 {
		t.Fatalf("Resolve = %+v, %v", n, err)
	}
	// The listing is kept for the request: no second List of the root.
	if _, err := f.view.Resolve(ctx, "/f.txt/inside"); !errors.Is(err, ErrNotFolder) {
		t.Fatalf("through a file: %v, want ErrNotFolder", err)
	}
	if _, err := f.view.Resolve(ctx, "/docs/../f.txt"); err == nil {
		t.Fatal("a path with .. resolved")
	}
}

// Move to another folder under another name: into the folder first, then
// the name; the root and a taken name are refused before any call.
func TestMove(t *testing.T) {
	ctx := context.Background()
	f := newTree(t)
	f.files.EXPECT().List(gomock.Any(), f.u, int64(0), "").Return([]*Node{{ID: 1, Name: "a.txt"}, {ID: 2, Name: "dir", Folder: true}, {ID: 3, Name: "b.txt"}}, "", nil).AnyTimes()
	f.files.EXPECT().List(gomock.Any(), f.u, int64(2), "").Return(nil, "", nil).AnyTimes()
	mv := f.files.EXPECT().Move(gomock.Any(), f.u, int64(1), int64(2), true).Return(&Node{ID: 1, Name: "a.txt", ParentID: 2}, nil)
	f.files.EXPECT().Rename(gomock.Any(), f.u, int64(1), "c.txt", false).Return(&Node{ID: 1, Name: "c.txt"}, nil).After(mv)
	if err := f.view.Move(ctx, "/a.txt", "/dir/c.txt"); err != nil {
		t.Fatal(err)
	}
	if err := f.view.Move(ctx, "/", "/dir/root"); !errors.Is(err, ErrRoot) {
		t.Fatalf("moving the root: %v", err)
	}
	if err := f.view.Move(ctx, "/dir", "/b.txt"); !errors.Is(err, ErrExists) {
		t.Fatalf("onto a taken name: %v", err)
	}
}
