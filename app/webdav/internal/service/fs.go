package service

import (
	"context"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"time"

	"golang.org/x/net/webdav"

	"clouddrive/app/webdav/internal/biz"
)

// request is one WebDAV request's state: the user's view of the tree, and
// the status an error should turn into where x/net/webdav would say 405.
type request struct {
	view    *biz.View
	tempDir string
	usage   *biz.Usage
	status  int
	// renew signs the client in again (cached while fresh): a PUT's body
	// may take longer to arrive than the access token lives.
	renew func(ctx context.Context) (*biz.User, error)
	// get is the path of a GET or HEAD and header its response's: the
	// file's type goes there, so http.ServeContent need not sniff it
	// (a read of the first bytes, then a second stream from the start).
	get    string
	header http.Header
}

// fileSystem is x/net/webdav's FileSystem over the user's tree.
type fileSystem struct{ r *request }

var _ webdav.FileSystem = (*fileSystem)(nil)

// osErr turns biz's errors into the os errors x/net/webdav maps to
// statuses, and notes what it cannot map (quota: 507, names: 400).
func (r *request) osErr(op, name string, err error) error {
	var bad *biz.BadName
	switch {
	case err == nil:
		return nil
	case errors.Is(err, biz.ErrNotFound), errors.Is(err, biz.ErrNotFolder):
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	case errors.Is(err, biz.ErrExists):
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrExist}
	case errors.Is(err, biz.ErrRoot), errors.Is(err, biz.ErrIsFolder):
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrPermission}
	case errors.Is(err, biz.ErrBadCredentials):
		r.status = http.StatusUnauthorized
	case errors.Is(err, biz.ErrBusy):
		r.status = http.StatusServiceUnavailable
	case errors.Is(err, biz.ErrTooLarge):
		r.status = webdav.StatusInsufficientStorage
	case errors.As(err, &bad):
		r.status = http.StatusBadRequest
	}
	return err
}

func (f *fileSystem) Mkdir(ctx context.Context, name string, _ os.FileMode) error {
	_, err := f.r.view.Mkdir(ctx, name)
	return f.r.osErr("mkdir", name, err)
}

func (f *fileSystem) RemoveAll(ctx context.Context, name string) error {
	return f.r.osErr("remove", name, f.r.view.Trash(ctx, name))
}

func (f *fileSystem) Rename(ctx context.Context, oldName, newName string) error {
	return f.r.osErr("rename", newName, f.r.view.Move(ctx, oldName, newName))
}

func (f *fileSystem) Stat(ctx context.Context, name string) (os.FileInfo, error) {
	n, err := f.r.view.Resolve(ctx, name)
	if err != nil {
		return nil, f.r.osErr("stat", name, err)
	}
	return info{n}, nil
}

func (f *fileSystem) OpenFile(ctx context.Context, name string, flag int, _ os.FileMode) (webdav.File, error) {
	if flag&(os.O_CREATE|os.O_TRUNC) != 0 {
		n, err := f.r.view.Resolve(ctx, name)
		switch {
		case err == nil && n.Folder:
			return nil, f.r.osErr("open", name, biz.ErrIsFolder)
		case err != nil && !errors.Is(err, biz.ErrNotFound):
			return nil, f.r.osErr("open", name, err)
		}
		if _, err := f.r.view.Resolve(ctx, path.Dir(path.Clean("/"+name))); err != nil {
			return nil, f.r.osErr("open", name, biz.ErrNotFound)
		}
		return &writeFile{r: f.r, ctx: ctx, name: name}, nil
	}
	n, err := f.r.view.Resolve(ctx, name)
	if err != nil {
		return nil, f.r.osErr("open", name, err)
	}
	if n.Folder {
		return &dirFile{node: node{r: f.r, ctx: ctx, n: n}}, nil
	}
	if f.r.header != nil && path.Clean("/"+name) == path.Clean("/"+f.r.get) {
		if t, err := (info{n}).ContentType(ctx); err == nil {
			f.r.header.Set("Content-Type", t)
		}
	}
	return &readFile{node: node{r: f.r, ctx: ctx, n: n}}, nil
}

// info is a node as x/net/webdav sees it, with its ETag (the content hash)
// and type (the file service's), so a PROPFIND never reads a file's bytes.
type info struct{ n *biz.Node }

var (
	_ webdav.ETager       = info{}
	_ webdav.ContentTyper = info{}
)

func (i info) Name() string {
	if i.n.ID == 0 {
		return "/"
	}
	return i.n.Name
}
func (i info) Size() int64 { return i.n.Size }
func (i info) Mode() fs.FileMode {
	if i.n.Folder {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i info) ModTime() time.Time {
	if i.n.ID == 0 && i.n.UpdatedAt.IsZero() {
		return started // the root has no node, and no time of its own
	}
	return i.n.UpdatedAt
}

var started = time.Now().UTC().Truncate(time.Second)

func (i info) IsDir() bool { return i.n.Folder }
func (i info) Sys() any    { return nil }

func (i info) ETag(context.Context) (string, error) {
	if i.n.Folder || i.n.ContentHash == "" {
		// Folders: what x/net/webdav would make of them (time and size).
		return "", webdav.ErrNotImplemented
	}
	return `"` + i.n.ContentHash + `"`, nil
}

func (i info) ContentType(context.Context) (string, error) {
	if i.n.Folder {
		return "", webdav.ErrNotImplemented
	}
	if i.n.Mime != "" {
		return i.n.Mime, nil
	}
	if t := mime.TypeByExtension(path.Ext(i.n.Name)); t != "" {
		return t, nil
	}
	return "application/octet-stream", nil
}
