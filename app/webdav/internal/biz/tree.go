package biz

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"
)

// TreeUsecase resolves WebDAV paths in a user's tree and changes it.
type TreeUsecase struct {
	files Files
	blobs Blobs
	props PropRepo
}

// NewTreeUsecase builds the use case.
func NewTreeUsecase(files Files, blobs Blobs, props PropRepo) *TreeUsecase {
	return &TreeUsecase{files: files, blobs: blobs, props: props}
}

// View is one request's look at a user's tree: folder listings are kept
// for the request (a PROPFIND of a folder resolves each child through its
// parent's listing) and dropped on every change.
type View struct {
	uc       *TreeUsecase
	u        *User
	listings map[int64][]*Node
	props    map[int64][]Prop
}

// View starts a request's view of u's tree.
func (uc *TreeUsecase) View(u *User) *View {
	return &View{uc: uc, u: u, listings: map[int64][]*Node{}, props: map[int64][]Prop{}}
}

// User is the view's user.
func (v *View) User() *User { return v.u }

// Renew swaps in a fresh sign-in of the same user (a new access token) for
// what follows a long wait, such as a large body arriving.
func (v *View) Renew(u *User) {
	if u != nil && u.ID == v.u.ID {
		v.u = u
	}
}

// Root is the user's root folder.
func Root() *Node { return &Node{Folder: true} }

func (v *View) children(ctx context.Context, parent int64) ([]*Node, error) {
	if l, ok := v.listings[parent]; ok {
		return l, nil
	}
	var all []*Node
	token := ""
	for {
		items, next, err := v.uc.files.List(ctx, v.u, parent, token)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			break
		}
		token = next
	}
	v.listings[parent] = all
	return all, nil
}

func (v *View) changed() { clear(v.listings) }

// Children lists a folder.
func (v *View) Children(ctx context.Context, dir *Node) ([]*Node, error) {
	if !dir.Folder {
		return nil, ErrNotFolder
	}
	return v.children(ctx, dir.ID)
}

func (v *View) child(ctx context.Context, parent int64, name string) (*Node, error) {
	items, err := v.children(ctx, parent)
	if err != nil {
		return nil, err
	}
	var folded *Node
	for _, n := range items {
		if n.Name == name {
			return n, nil
		}
		if folded == nil && sameName(n.Name, name) {
			folded = n
		}
	}
	if folded != nil {
		return folded, nil
	}
	return nil, ErrNotFound
}

// Resolve finds the node at p ("/a/b"); ErrNotFound when absent,
// ErrNotFolder when the path goes through a file.
func (v *View) Resolve(ctx context.Context, p string) (*Node, error) {
	names, err := SplitPath(p)
	if err != nil {
		return nil, err
	}
	n := Root()
	for _, name := range names {
		if !n.Folder {
			return nil, ErrNotFolder
		}
		if n, err = v.child(ctx, n.ID, name); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// parentOf resolves the folder that holds p, and p's last name.
func (v *View) parentOf(ctx context.Context, p string) (*Node, string, error) {
	names, err := SplitPath(p)
	if err != nil {
		return nil, "", err
	}
	if len(names) == 0 {
		return nil, "", ErrRoot
	}
	dir, err := v.Resolve(ctx, "/"+strings.Join(names[:len(names)-1], "/"))
	if errors.Is(err, ErrNotFolder) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", err
	}
	if !dir.Folder {
		return nil, "", ErrNotFound
	}
	return dir, names[len(names)-1], nil
}

// Mkdir makes the folder p; ErrNotFound when its parent is missing,
// ErrExists when the name is taken.
func (v *View) Mkdir(ctx context.Context, p string) (*Node, error) {
	dir, name, err := v.parentOf(ctx, p)
	if err != nil {
		return nil, err
	}
	if _, err := v.child(ctx, dir.ID, name); err == nil {
		return nil, ErrExists
	}
	defer v.changed()
	return v.uc.files.Mkdir(ctx, v.u, dir.ID, name)
}

// Trash moves the node at p and everything under it to the trash.
func (v *View) Trash(ctx context.Context, p string) error {
	n, err := v.Resolve(ctx, p)
	if err != nil {
		return err
	}
	if n.ID == 0 {
		return ErrRoot
	}
	defer v.changed()
	return v.uc.files.Trash(ctx, v.u, n.ID)
}

// Move moves (and renames) the node at from to the free path to; the
// caller has removed what was there.
func (v *View) Move(ctx context.Context, from, to string) error {
	n, err := v.Resolve(ctx, from)
	if err != nil {
		return err
	}
	if n.ID == 0 {
		return ErrRoot
	}
	dir, name, err := v.parentOf(ctx, to)
	if err != nil {
		return err
	}
	if c, err := v.child(ctx, dir.ID, name); err == nil && c.ID != n.ID {
		return ErrExists
	}
	defer v.changed()
	if dir.ID == n.ParentID {
		if n.Name == name {
			return nil
		}
		_, err = v.uc.files.Rename(ctx, v.u, n.ID, name, false)
		return err
	}
	// Into the new folder first (under a free name if its own is taken
	// there), then the name asked for: the name is free, checked above.
	moved, err := v.uc.files.Move(ctx, v.u, n.ID, dir.ID, true)
	if err != nil {
		return err
	}
	if moved.Name != name {
		_, err = v.uc.files.Rename(ctx, v.u, n.ID, name, false)
	}
	return err
}

// Copy copies the node at from (a subtree for a folder: nodes, never
// bytes) to the free path to, with its dead properties.
func (v *View) Copy(ctx context.Context, from, to string) (*Node, error) {
	n, err := v.Resolve(ctx, from)
	if err != nil {
		return nil, err
	}
	if n.ID == 0 {
		return nil, ErrRoot
	}
	dir, name, err := v.parentOf(ctx, to)
	if err != nil {
		return nil, err
	}
	if _, err := v.child(ctx, dir.ID, name); err == nil {
		return nil, ErrExists
	}
	defer v.changed()
	c, err := v.uc.files.Copy(ctx, v.u, n.ID, dir.ID, true)
	if err != nil {
		return nil, err
	}
	if c.Name != name {
		if c, err = v.uc.files.Rename(ctx, v.u, c.ID, name, false); err != nil {
			return nil, err
		}
	}
	props, err := v.uc.props.Get(ctx, v.u.ID, n.ID)
	if err == nil && len(props) > 0 {
		err = v.uc.props.Set(ctx, v.u.ID, c.ID, props)
	}
	return c, err
}

// Put stores body as the file at p, replacing a file there: the new file is
// made first (under a free name), then the old one goes to the trash and
// the new one takes its name, so a failed upload loses nothing.
func (v *View) Put(ctx context.Context, p, mime string, body Content) (*Node, error) {
	dir, name, err := v.parentOf(ctx, p)
	if err != nil {
		return nil, err
	}
	old, err := v.child(ctx, dir.ID, name)
	switch {
	case errors.Is(err, ErrNotFound):
		old = nil
	case err != nil:
		return nil, err
	case old.Folder:
		return nil, ErrIsFolder
	}
	defer v.changed()
	n, err := v.upload(ctx, &NewFile{Parent: dir.ID, Name: name, Mime: mime, RenameOnConflict: old != nil, Body: body})
	if err != nil || old == nil {
		return n, err
	}
	if err := v.uc.files.Trash(ctx, v.u, old.ID); err != nil {
		return nil, err
	}
	if n.Name != old.Name {
		if n, err = v.uc.files.Rename(ctx, v.u, n.ID, old.Name, false); err != nil {
			return nil, err
		}
	}
	// The dead properties stay with the path, as the client sees it.
	if props, err := v.uc.props.Get(ctx, v.u.ID, old.ID); err == nil && len(props) > 0 {
		_ = v.uc.props.Set(ctx, v.u.ID, n.ID, props)
	}
	return n, nil
}

// CopyFile replaces the file at p with a copy of src (nodes, never bytes),
// as Put does.
func (v *View) CopyFile(ctx context.Context, p string, src *Node) (*Node, error) {
	dir, name, err := v.parentOf(ctx, p)
	if err != nil {
		return nil, err
	}
	old, err := v.child(ctx, dir.ID, name)
	switch {
	case errors.Is(err, ErrNotFound):
		old = nil
	case err != nil:
		return nil, err
	case old.Folder:
		return nil, ErrIsFolder
	case old.ID == src.ID:
		return old, nil
	}
	defer v.changed()
	n, err := v.uc.files.Copy(ctx, v.u, src.ID, dir.ID, true)
	if err != nil {
		return nil, err
	}
	if old != nil {
		if err := v.uc.files.Trash(ctx, v.u, old.ID); err != nil {
			return nil, err
		}
	}
	if n.Name != name {
		return v.uc.files.Rename(ctx, v.u, n.ID, name, false)
	}
	return n, nil
}

// Open streams a file's bytes from offset.
func (v *View) Open(ctx context.Context, n *Node, offset int64) (io.ReadCloser, error) {
	if n.Folder {
		return nil, ErrIsFolder
	}
	return v.uc.blobs.Open(ctx, v.u, n, offset)
}

// Usage is the user's quota.
func (v *View) Usage(ctx context.Context) (*Usage, error) { return v.uc.files.Usage(ctx, v.u) }

// Props returns a node's dead properties (kept for the request).
func (v *View) Props(ctx context.Context, n *Node) ([]Prop, error) {
	if p, ok := v.props[n.ID]; ok {
		return p, nil
	}
	p, err := v.uc.props.Get(ctx, v.u.ID, n.ID)
	if err == nil {
		v.props[n.ID] = p
	}
	return p, err
}

// SetProps replaces a node's dead properties.
func (v *View) SetProps(ctx context.Context, n *Node, props []Prop) error {
	delete(v.props, n.ID)
	return v.uc.props.Set(ctx, v.u.ID, n.ID, props)
}

// upload stores a file, trying again a few times when the storage service
// sheds the call: the bytes are at hand, and a client would send them all
// again.
func (v *View) upload(ctx context.Context, f *NewFile) (*Node, error) {
	for attempt := 1; ; attempt++ {
		n, err := v.uc.blobs.Upload(ctx, v.u, f)
		if !errors.Is(err, ErrBusy) || attempt == 4 {
			return n, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt) * 250 * time.Millisecond):
		}
	}
}
