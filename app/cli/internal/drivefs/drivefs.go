// Package drivefs resolves drive paths ("/photos/2024") to nodes by walking
// List from the root, and makes folders along a path. Names are unique among
// the live children of a folder, compared case-insensitively.
package drivefs

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"

	filev1 "clouddrive/api/file/v1"
)

// Folder and File are the node kinds.
const (
	Folder = "folder"
	File   = "file"
)

// pageSize is the largest page List serves.
const pageSize = 1000

// Root is the pseudo-node of the root folder (its id is empty).
func Root() *filev1.Node { return &filev1.Node{Kind: Folder, Name: "/"} }

// NotFoundError says which path does not exist.
type NotFoundError struct{ Path string }

func (e *NotFoundError) Error() string { return e.Path + ": no such file or folder" }

// IsNotFound reports whether err is a NotFoundError.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

// Clean makes p absolute and clean: "a/b/" → "/a/b", "" → "/".
func Clean(p string) string {
	return path.Clean("/" + p)
}

// Split returns the parent path and the last name of a clean path.
func Split(p string) (dir, name string) {
	p = Clean(p)
	dir, name = path.Split(p)
	return Clean(dir), name
}

// Segments are the names along a clean path ("/" has none).
func Segments(p string) []string {
	p = strings.Trim(Clean(p), "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// FS resolves paths over the file service. Folders it finds or makes are
// remembered for the life of the FS (one command).
type FS struct {
	files filev1.FileClient

	mu      sync.Mutex
	folders map[string]*filev1.Node // lower-cased clean path → folder
}

// New returns an FS over the file service client.
func New(files filev1.FileClient) *FS {
	return &FS{files: files, folders: map[string]*filev1.Node{"/": Root()}}
}

func key(p string) string { return strings.ToLower(Clean(p)) }

func (f *FS) cached(p string) *filev1.Node {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.folders[key(p)]
}

func (f *FS) remember(p string, n *filev1.Node) {
	if n.GetKind() != Folder {
		return
	}
	f.mu.Lock()
	f.folders[key(p)] = n
	f.mu.Unlock()
}

// Forget drops what is remembered under p (after a move or delete).
func (f *FS) Forget(p string) {
	k := key(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.folders {
		if c == k || strings.HasPrefix(c, strings.TrimSuffix(k, "/")+"/") {
			delete(f.folders, c)
		}
	}
	f.folders["/"] = Root()
}

// List returns every live child of a folder (all pages).
func (f *FS) List(ctx context.Context, parentID string) ([]*filev1.Node, error) {
	var out []*filev1.Node
	token := ""
	for {
		r, err := f.files.List(ctx, &filev1.ListRequest{ParentId: parentID, PageSize: pageSize, PageToken: token})
		if err != nil {
			return nil, err
		}
		out = append(out, r.GetItems()...)
		if token = r.GetNextPageToken(); token == "" || len(r.GetItems()) == 0 {
			return out, nil
		}
	}
}

// Lookup finds the child of a folder by name, case-insensitively; nil when
// there is none.
func (f *FS) Lookup(ctx context.Context, parentID, name string) (*filev1.Node, error) {
	items, err := f.List(ctx, parentID)
	if err != nil {
		return nil, err
	}
	var fold *filev1.Node
	for _, n := range items {
		if n.GetName() == name {
			return n, nil
		}
		if fold == nil && strings.EqualFold(n.GetName(), name) {
			fold = n
		}
	}
	return fold, nil
}

// Resolve finds the node at p; a *NotFoundError when some segment is missing
// or a file stands where a folder is needed.
func (f *FS) Resolve(ctx context.Context, p string) (*filev1.Node, error) {
	p = Clean(p)
	if n := f.cached(p); n != nil {
		return n, nil
	}
	cur, at := Root(), "/"
	segs := Segments(p)
	// Start from the deepest remembered folder.
	for i := len(segs) - 1; i > 0; i-- {
		q := "/" + strings.Join(segs[:i], "/")
		if n := f.cached(q); n != nil {
			cur, at, segs = n, q, segs[i:]
			break
		}
	}
	for _, name := range segs {
		if cur.GetKind() != Folder {
			return nil, &NotFoundError{Path: p}
		}
		n, err := f.Lookup(ctx, cur.GetId(), name)
		if err != nil {
			return nil, err
		}
		if n == nil {
			return nil, &NotFoundError{Path: p}
		}
		at = path.Join(at, n.GetName())
		f.remember(at, n)
		cur = n
	}
	return cur, nil
}

// Mkdir makes one folder; its parent must exist.
func (f *FS) Mkdir(ctx context.Context, p string) (*filev1.Node, error) {
	dir, name := Split(p)
	if name == "" {
		return nil, fmt.Errorf("/: the root exists already")
	}
	parent, err := f.Resolve(ctx, dir)
	if err != nil {
		return nil, err
	}
	if parent.GetKind() != Folder {
		return nil, fmt.Errorf("%s: not a folder", dir)
	}
	n, err := f.files.Mkdir(ctx, &filev1.MkdirRequest{ParentId: parent.GetId(), Name: name})
	if err != nil {
		return nil, err
	}
	f.remember(p, n)
	return n, nil
}

// MkdirAll makes the folder at p and any missing parents, and returns it;
// an existing folder is fine, a file in the way is not.
func (f *FS) MkdirAll(ctx context.Context, p string) (*filev1.Node, error) {
	p = Clean(p)
	if n := f.cached(p); n != nil {
		return n, nil
	}
	cur, at := Root(), "/"
	for _, name := range Segments(p) {
		next := path.Join(at, name)
		if n := f.cached(next); n != nil {
			cur, at = n, next
			continue
		}
		n, err := f.Lookup(ctx, cur.GetId(), name)
		if err != nil {
			return nil, err
		}
		if n == nil {
			n, err = f.files.Mkdir(ctx, &filev1.MkdirRequest{ParentId: cur.GetId(), Name: name})
			if filev1.IsNameConflict(err) { // made meanwhile by someone else
				n, err = f.Lookup(ctx, cur.GetId(), name)
				if err == nil && n == nil {
					err = fmt.Errorf("%s: the name is taken but cannot be found", next)
				}
			}
			if err != nil {
				return nil, err
			}
		}
		if n.GetKind() != Folder {
			return nil, fmt.Errorf("%s: a file is in the way", next)
		}
		f.remember(next, n)
		cur, at = n, next
	}
	return cur, nil
}
