package service

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"time"

	"golang.org/x/net/webdav"

	"clouddrive/app/webdav/internal/biz"
)

var errNotWritable = errors.New("webdav: not open for writing")

// node is what every open file shares: its dead properties.
type node struct {
	r   *request
	ctx context.Context
	n   *biz.Node
}

func (f *node) Stat() (fs.FileInfo, error) { return info{f.n}, nil }
func (f *node) Write([]byte) (int, error)  { return 0, errNotWritable }

var (
	quotaUsed      = xml.Name{Space: "DAV:", Local: "quota-used-bytes"}
	quotaAvailable = xml.Name{Space: "DAV:", Local: "quota-available-bytes"}
)

func toProps(ps []biz.Prop) map[xml.Name]webdav.Property {
	m := make(map[xml.Name]webdav.Property, len(ps))
	for _, p := range ps {
		n := xml.Name{Space: p.Space, Local: p.Local}
		m[n] = webdav.Property{XMLName: n, Lang: p.Lang, InnerXML: p.InnerXML}
	}
	return m
}

func (f *node) DeadProps() (map[xml.Name]webdav.Property, error) {
	if f.n.ID == 0 && !f.n.Folder {
		return nil, nil
	}
	ps, err := f.r.view.Props(f.ctx, f.n)
	if err != nil {
		return nil, err
	}
	m := toProps(ps)
	if f.n.Folder {
		// RFC 4331's quota, on every folder (clients ask at the mount point).
		if f.r.usage == nil {
			if f.r.usage, err = f.r.view.Usage(f.ctx); err != nil {
				return nil, err
			}
		}
		u := f.r.usage
		m[quotaUsed] = webdav.Property{XMLName: quotaUsed, InnerXML: []byte(strconv.FormatInt(u.Used, 10))}
		if u.Limit > 0 {
			m[quotaAvailable] = webdav.Property{XMLName: quotaAvailable, InnerXML: []byte(strconv.FormatInt(max(u.Limit-u.Used, 0), 10))}
		}
	}
	return m, nil
}

// patch applies PROPPATCH to the stored properties: all or nothing, and
// the quota properties are the server's (403).
func patch(stored []biz.Prop, patches []webdav.Proppatch) ([]biz.Prop, []webdav.Propstat) {
	var forbidden, ok []webdav.Property
	for _, p := range patches {
		for _, prop := range p.Props {
			if prop.XMLName == quotaUsed || prop.XMLName == quotaAvailable {
				forbidden = append(forbidden, webdav.Property{XMLName: prop.XMLName})
			} else {
				ok = append(ok, webdav.Property{XMLName: prop.XMLName})
			}
		}
	}
	if len(forbidden) > 0 {
		out := []webdav.Propstat{{Status: http.StatusForbidden, Props: forbidden}}
		if len(ok) > 0 {
			out = append(out, webdav.Propstat{Status: webdav.StatusFailedDependency, Props: ok})
		}
		return nil, out
	}
	m := map[xml.Name]biz.Prop{}
	var order []xml.Name
	for _, p := range stored {
		n := xml.Name{Space: p.Space, Local: p.Local}
		m[n] = p
		order = append(order, n)
	}
	for _, p := range patches {
		for _, prop := range p.Props {
			if p.Remove {
				delete(m, prop.XMLName)
				continue
			}
			if _, seen := m[prop.XMLName]; !seen {
				order = append(order, prop.XMLName)
			}
			m[prop.XMLName] = biz.Prop{Space: prop.XMLName.Space, Local: prop.XMLName.Local, Lang: prop.Lang, InnerXML: prop.InnerXML}
		}
	}
	out := make([]biz.Prop, 0, len(m))
	for _, n := range order {
		if p, ok := m[n]; ok {
			out = append(out, p)
			delete(m, n)
		}
	}
	return out, []webdav.Propstat{{Status: http.StatusOK, Props: ok}}
}

func (f *node) Patch(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	stored, err := f.r.view.Props(f.ctx, f.n)
	if err != nil {
		return nil, err
	}
	next, stat := patch(stored, patches)
	if stat[0].Status != http.StatusOK {
		return stat, nil
	}
	return stat, f.r.view.SetProps(f.ctx, f.n, next)
}

// dirFile is an open folder.
type dirFile struct {
	node
	children []*biz.Node
	listed   bool
	pos      int
}

func (d *dirFile) Close() error { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.n.Name, Err: fs.ErrInvalid}
}
func (d *dirFile) Seek(int64, int) (int64, error) { return 0, nil }
func (d *dirFile) Readdir(count int) ([]fs.FileInfo, error) {
	if !d.listed {
		c, err := d.r.view.Children(d.ctx, d.n)
		if err != nil {
			return nil, d.r.osErr("readdir", d.n.Name, err)
		}
		d.children, d.listed = c, true
	}
	rest := d.children[d.pos:]
	if count > 0 {
		if len(rest) == 0 {
			return nil, io.EOF
		}
		rest = rest[:min(count, len(rest))]
	}
	d.pos += len(rest)
	out := make([]fs.FileInfo, len(rest))
	for i, n := range rest {
		out[i] = info{n}
	}
	return out, nil
}

// readFile is an open file: a ReadSeeker over ranged reads of the storage
// service, one stream from the current offset, reopened only on a seek
// elsewhere (http.ServeContent seeks to each range).
type readFile struct {
	node
	pos    int64
	rd     io.ReadCloser
	rdPos  int64
	closed bool
}

func (f *readFile) Readdir(int) ([]fs.FileInfo, error) {
	return nil, &fs.PathError{Op: "readdir", Path: f.n.Name, Err: fs.ErrInvalid}
}

func (f *readFile) Read(p []byte) (int, error) {
	if f.pos >= f.n.Size {
		return 0, io.EOF
	}
	if f.rd != nil && f.rdPos != f.pos {
		_ = f.rd.Close()
		f.rd = nil
	}
	if f.rd == nil {
		rd, err := f.r.view.Open(f.ctx, f.n, f.pos)
		if err != nil {
			return 0, f.r.osErr("read", f.n.Name, err)
		}
		f.rd, f.rdPos = rd, f.pos
	}
	n, err := f.rd.Read(p)
	f.pos += int64(n)
	f.rdPos += int64(n)
	return n, err
}

func (f *readFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.pos
	case io.SeekEnd:
		offset += f.n.Size
	default:
		return 0, fs.ErrInvalid
	}
	if offset < 0 {
		return 0, fs.ErrInvalid
	}
	f.pos = offset
	return offset, nil
}

func (f *readFile) Close() error {
	if f.rd != nil {
		_ = f.rd.Close()
		f.rd = nil
	}
	return nil
}

// writeFile is a file being written (PUT, a LOCK on a new path, or the
// destination of a COPY). Its bytes go to a spool; Close uploads them. A
// COPY of a file reads from a readFile: that becomes a copy of the node,
// never of the bytes.
type writeFile struct {
	r     *request
	ctx   context.Context
	name  string
	sp    *spool
	src   *biz.Node
	props []webdav.Proppatch
	done  *biz.Node
	// failed: the body did not arrive whole (the client went away). x/net
	// /webdav closes the file all the same; nothing may be stored then.
	failed error
}

func (w *writeFile) spool() (*spool, error) {
	if w.sp == nil {
		sp, err := newSpool(w.r.tempDir)
		if err != nil {
			return nil, err
		}
		w.sp = sp
	}
	return w.sp, nil
}

func (w *writeFile) Write(p []byte) (int, error) {
	w.src = nil
	sp, err := w.spool()
	if err != nil {
		w.failed = err
		return 0, err
	}
	n, err := sp.Write(p)
	if err != nil {
		w.failed = err
	}
	return n, err
}

// ReadFrom takes a PUT's body through a fixed buffer, or notes the source
// of a COPY.
func (w *writeFile) ReadFrom(r io.Reader) (int64, error) {
	if src, ok := r.(*readFile); ok && (w.sp == nil || w.sp.size == 0) && src.pos == 0 {
		w.src = src.n
		return src.n.Size, nil
	}
	sp, err := w.spool()
	if err != nil {
		w.failed = err
		return 0, err
	}
	n, err := sp.ReadFrom(r)
	if err != nil {
		w.failed = err
	}
	return n, err
}

func (w *writeFile) Read([]byte) (int, error)       { return 0, fs.ErrInvalid }
func (w *writeFile) Seek(int64, int) (int64, error) { return 0, nil }
func (w *writeFile) Readdir(int) ([]fs.FileInfo, error) {
	return nil, &fs.PathError{Op: "readdir", Path: w.name, Err: fs.ErrInvalid}
}

// Stat is asked before Close (x/net/webdav's PUT): the ETag it offers is
// read once the file is stored.
func (w *writeFile) Stat() (fs.FileInfo, error) { return writeInfo{w}, nil }

func (w *writeFile) DeadProps() (map[xml.Name]webdav.Property, error) { return nil, nil }

// Patch keeps the properties (a COPY's) for the file Close makes.
func (w *writeFile) Patch(p []webdav.Proppatch) ([]webdav.Propstat, error) {
	w.props = append(w.props, p...)
	var props []webdav.Property
	for _, pp := range p {
		for _, prop := range pp.Props {
			props = append(props, webdav.Property{XMLName: prop.XMLName})
		}
	}
	return []webdav.Propstat{{Status: http.StatusOK, Props: props}}, nil
}

func (w *writeFile) Close() error {
	if w.done != nil {
		return nil
	}
	if w.failed != nil {
		if w.sp != nil {
			_ = w.sp.Close()
		}
		return w.failed
	}
	if w.r.renew != nil {
		u, err := w.r.renew(w.ctx)
		if err != nil {
			return err
		}
		w.r.view.Renew(u)
	}
	var n *biz.Node
	var err error
	if w.src != nil {
		n, err = w.r.view.CopyFile(w.ctx, w.name, w.src)
	} else {
		sp, serr := w.spool()
		if serr != nil {
			return serr
		}
		defer sp.Close()
		sp.seal()
		n, err = w.r.view.Put(w.ctx, w.name, mime.TypeByExtension(path.Ext(w.name)), sp)
	}
	if err != nil {
		return w.r.osErr("close", w.name, err)
	}
	w.done = n
	if len(w.props) > 0 {
		stored, err := w.r.view.Props(w.ctx, n)
		if err != nil {
			return err
		}
		next, stat := patch(stored, w.props)
		if stat[0].Status == http.StatusOK {
			return w.r.view.SetProps(w.ctx, n, next)
		}
	}
	return nil
}

// writeInfo is a file being written: its size so far, its ETag once stored.
type writeInfo struct{ w *writeFile }

func (i writeInfo) Name() string { return path.Base(i.w.name) }
func (i writeInfo) Size() int64 {
	if i.w.done != nil {
		return i.w.done.Size
	}
	if i.w.sp != nil {
		return i.w.sp.size
	}
	return 0
}
func (i writeInfo) Mode() fs.FileMode  { return 0o644 }
func (i writeInfo) ModTime() time.Time { return time.Now() }
func (i writeInfo) IsDir() bool        { return false }
func (i writeInfo) Sys() any           { return nil }

func (i writeInfo) ETag(ctx context.Context) (string, error) {
	if i.w.done == nil {
		return "", webdav.ErrNotImplemented
	}
	return info{i.w.done}.ETag(ctx)
}
