package drivefs

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"

	filev1 "clouddrive/api/file/v1"
)

func TestPaths(t *testing.T) {
	tests := []struct {
		in, clean, dir, name string
		segs                 []string
	}{
		{"", "/", "/", "", nil},
		{"/", "/", "/", "", nil},
		{"a", "/a", "/", "a", []string{"a"}},
		{"/a/b/", "/a/b", "/a", "b", []string{"a", "b"}},
		{"a//b/../c", "/a/c", "/a", "c", []string{"a", "c"}},
		{"/../x", "/x", "/", "x", []string{"x"}},
	}
	for _, tc := range tests {
		if got := Clean(tc.in); got != tc.clean {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.clean)
		}
		if d, n := Split(tc.in); d != tc.dir || n != tc.name {
			t.Errorf("Split(%q) = %q, %q", tc.in, d, n)
		}
		if got := Segments(tc.in); strings.Join(got, "|") != strings.Join(tc.segs, "|") {
			t.Errorf("Segments(%q) = %q", tc.in, got)
		}
	}
}

// fakeFiles is an in-memory file service: List (paged by 2) and Mkdir.
type fakeFiles struct {
	filev1.FileClient
	mu     sync.Mutex
	nodes  []*filev1.Node
	lists  int
	nextID int
}

func (f *fakeFiles) add(parent, name, kind string) *filev1.Node {
	f.nextID++
	n := &filev1.Node{Id: strconv.Itoa(f.nextID), ParentId: parent, Name: name, Kind: kind}
	f.nodes = append(f.nodes, n)
	return n
}

func (f *fakeFiles) List(_ context.Context, in *filev1.ListRequest, _ ...grpc.CallOption) (*filev1.ListReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	var kids []*filev1.Node
	for _, n := range f.nodes {
		if n.ParentId == in.ParentId {
			kids = append(kids, n)
		}
	}
	start, _ := strconv.Atoi(in.PageToken)
	end := min(start+2, len(kids))
	r := &filev1.ListReply{Items: kids[start:end]}
	if end < len(kids) {
		r.NextPageToken = strconv.Itoa(end)
	}
	return r, nil
}

func (f *fakeFiles) Mkdir(_ context.Context, in *filev1.MkdirRequest, _ ...grpc.CallOption) (*filev1.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.nodes {
		if n.ParentId == in.ParentId && strings.EqualFold(n.Name, in.Name) {
			return nil, filev1.ErrorNameConflict("taken")
		}
	}
	return f.add(in.ParentId, in.Name, Folder), nil
}

func TestResolve(t *testing.T) {
	ff := &fakeFiles{}
	photos := ff.add("", "Photos", Folder)
	ff.add("", "a.txt", File)
	ff.add("", "b.txt", File)
	y := ff.add(photos.Id, "2024", Folder)
	img := ff.add(y.Id, "img.jpg", File)
	fs := New(ff)
	ctx := context.Background()

	if n, err := fs.Resolve(ctx, "/"); err != nil || n.Id != "" || n.Kind != Folder {
		t.Fatalf("root: %v %v", n, err)
	}
	n, err := fs.Resolve(ctx, "/photos/2024/IMG.JPG")
	if err != nil || n.Id != img.Id {
		t.Fatalf("case-insensitive resolve: %v %v", n, err)
	}
	// Paging: a.txt and b.txt are on the second page of the root.
	if n, err := fs.Resolve(ctx, "b.txt"); err != nil || n.Name != "b.txt" {
		t.Fatalf("second page: %v %v", n, err)
	}
	for _, p := range []string{"/nope", "/photos/nope", "/a.txt/x"} {
		if _, err := fs.Resolve(ctx, p); !IsNotFound(err) {
			t.Errorf("Resolve(%q) = %v, want not found", p, err)
		} else if !strings.Contains(err.Error(), "no such file or folder") {
			t.Errorf("message: %v", err)
		}
	}
	// Folders are remembered: resolving below them lists only the rest.
	before := ff.lists
	if _, err := fs.Resolve(ctx, "/Photos/2024/img.jpg"); err != nil {
		t.Fatal(err)
	}
	if ff.lists-before != 1 {
		t.Errorf("%d lists for a path under remembered folders, want 1", ff.lists-before)
	}
	fs.Forget("/photos")
	before = ff.lists
	if _, err := fs.Resolve(ctx, "/photos/2024"); err != nil || ff.lists-before != 3 { // the root's two pages, then photos
		t.Errorf("after Forget: %v, %d lists", err, ff.lists-before)
	}
	// An exact name wins over a case-insensitive match.
	ff.add("", "photos", File)
	if n, _ := fs.Lookup(ctx, "", "photos"); n.Kind != File {
		t.Errorf("exact match not preferred: %v", n)
	}
}

func TestMkdir(t *testing.T) {
	ff := &fakeFiles{}
	ff.add("", "file", File)
	fs := New(ff)
	ctx := context.Background()
	n, err := fs.MkdirAll(ctx, "/a/b/c")
	if err != nil || n.Name != "c" {
		t.Fatalf("MkdirAll: %v %v", n, err)
	}
	again, err := fs.MkdirAll(ctx, "/A/B/C")
	if err != nil || again.Id != n.Id {
		t.Fatalf("MkdirAll of an existing path: %v %v", again, err)
	}
	if len(ff.nodes) != 4 {
		t.Errorf("%d nodes, want 4", len(ff.nodes))
	}
	if _, err := fs.MkdirAll(ctx, "/file/x"); err == nil || !strings.Contains(err.Error(), "a file is in the way") {
		t.Errorf("MkdirAll through a file: %v", err)
	}
	if _, err := fs.Mkdir(ctx, "/a/b/c"); !filev1.IsNameConflict(err) {
		t.Errorf("Mkdir of an existing folder: %v", err)
	}
	if _, err := fs.Mkdir(ctx, "/x/y"); !IsNotFound(err) {
		t.Errorf("Mkdir under a missing folder: %v", err)
	}
	if _, err := fs.Mkdir(ctx, "/file/y"); err == nil {
		t.Error("Mkdir under a file")
	}
	if _, err := fs.Mkdir(ctx, "/"); err == nil {
		t.Error("Mkdir of the root")
	}
	if n, err := fs.Mkdir(ctx, "/a/new"); err != nil || n.Name != "new" {
		t.Errorf("Mkdir: %v %v", n, err)
	}
	// Made meanwhile by someone else: MkdirAll finds it.
	fs2 := New(&racyFiles{fakeFiles: ff})
	if n, err := fs2.MkdirAll(ctx, "/race"); err != nil || n.Name != "race" {
		t.Errorf("MkdirAll racing another: %v %v", n, err)
	}
}

// racyFiles makes the folder just before the caller's Mkdir lands.
type racyFiles struct{ *fakeFiles }

func (r *racyFiles) Mkdir(ctx context.Context, in *filev1.MkdirRequest, opts ...grpc.CallOption) (*filev1.Node, error) {
	_, _ = r.fakeFiles.Mkdir(ctx, in, opts...)
	return r.fakeFiles.Mkdir(ctx, in, opts...)
}
