package crashfs

import (
	"maps"
	"sort"
	"sync"
	"syscall"
	"time"
)

// pageSize is the unit in which a torn cut keeps or loses written bytes.
const pageSize = 4096

type page [pageSize]byte

// node is a file or a directory: what it holds now, and what the last sync
// made durable. Pages are never changed once stored in a map (a write
// stores a new page), so a sync or a cut shares them instead of copying.
type node struct {
	ino      uint64
	dir      bool
	uid, gid uint32
	mode     uint32 // permission bits
	mtime    time.Time

	// A file: its size and pages now (a missing page reads as zeros),
	// the pages changed since the last sync, and what that sync kept.
	size   int64
	pages  map[int64]*page
	dirty  map[int64]struct{}
	dsize  int64
	dpages map[int64]*page
	dmode  uint32

	// A directory: its entries now, and as of its last fsync.
	entries  map[string]*node
	dentries map[string]*node
}

// tree is the whole file system behind one mount. One lock: the
// operations are memory copies, and a cut must see one instant.
type tree struct {
	mu   sync.Mutex
	root *node
	next uint64 // the last inode number given
	cut  bool   // the power is off: every operation fails
}

func newFile(ino uint64, mode, uid, gid uint32) *node {
	return &node{ino: ino, mode: mode & 0o7777, dmode: mode & 0o7777, uid: uid, gid: gid, mtime: time.Now(),
		pages: map[int64]*page{}, dirty: map[int64]struct{}{}, dpages: map[int64]*page{}}
}

func newDir(ino uint64, mode, uid, gid uint32) *node {
	return &node{ino: ino, dir: true, mode: mode & 0o7777, dmode: mode & 0o7777, uid: uid, gid: gid, mtime: time.Now(),
		entries: map[string]*node{}, dentries: map[string]*node{}}
}

func newTree() *tree {
	return &tree{root: newDir(1, 0o755, 0, 0), next: 1}
}

// lock takes the tree's lock, or refuses once the power is off.
func (t *tree) lock() syscall.Errno {
	t.mu.Lock()
	if t.cut {
		t.mu.Unlock()
		return syscall.EIO
	}
	return 0
}

func (t *tree) lookup(d *node, name string) (*node, syscall.Errno) {
	if e := t.lock(); e != 0 {
		return nil, e
	}
	defer t.mu.Unlock()
	if !d.dir {
		return nil, syscall.ENOTDIR
	}
	if c := d.entries[name]; c != nil {
		return c, 0
	}
	return nil, syscall.ENOENT
}

// create makes (or, unless excl, opens) the file name in d.
func (t *tree) create(d *node, name string, mode, uid, gid uint32, excl bool) (*node, syscall.Errno) {
	if e := t.lock(); e != 0 {
		return nil, e
	}
	defer t.mu.Unlock()
	if c := d.entries[name]; c != nil {
		switch {
		case excl:
			return nil, syscall.EEXIST
		case c.dir:
			return nil, syscall.EISDIR
		}
		return c, 0
	}
	t.next++
	c := newFile(t.next, mode, uid, gid)
	d.entries[name] = c
	d.mtime = time.Now()
	return c, 0
}

func (t *tree) mkdir(d *node, name string, mode, uid, gid uint32) (*node, syscall.Errno) {
	if e := t.lock(); e != 0 {
		return nil, e
	}
	defer t.mu.Unlock()
	if d.entries[name] != nil {
		return nil, syscall.EEXIST
	}
	t.next++
	c := newDir(t.next, mode, uid, gid)
	d.entries[name] = c
	d.mtime = time.Now()
	return c, 0
}

func (t *tree) unlink(d *node, name string) syscall.Errno {
	if e := t.lock(); e != 0 {
		return e
	}
	defer t.mu.Unlock()
	c := d.entries[name]
	switch {
	case c == nil:
		return syscall.ENOENT
	case c.dir:
		return syscall.EISDIR
	}
	delete(d.entries, name)
	d.mtime = time.Now()
	return 0
}

func (t *tree) rmdir(d *node, name string) syscall.Errno {
	if e := t.lock(); e != 0 {
		return e
	}
	defer t.mu.Unlock()
	c := d.entries[name]
	switch {
	case c == nil:
		return syscall.ENOENT
	case !c.dir:
		return syscall.ENOTDIR
	case len(c.entries) > 0:
		return syscall.ENOTEMPTY
	}
	delete(d.entries, name)
	d.mtime = time.Now()
	return 0
}

// renameNoReplace is RENAME_NOREPLACE of renameat2(2).
const renameNoReplace = 1

func (t *tree) rename(from *node, name string, to *node, newName string, flags uint32) syscall.Errno {
	if e := t.lock(); e != 0 {
		return e
	}
	defer t.mu.Unlock()
	if flags&^renameNoReplace != 0 {
		return syscall.ENOTSUP // RENAME_EXCHANGE, RENAME_WHITEOUT
	}
	c := from.entries[name]
	if c == nil {
		return syscall.ENOENT
	}
	if old := to.entries[newName]; old != nil {
		switch {
		case old == c:
			return 0
		case flags&renameNoReplace != 0:
			return syscall.EEXIST
		case c.dir && !old.dir:
			return syscall.ENOTDIR
		case !c.dir && old.dir:
			return syscall.EISDIR
		case old.dir && len(old.entries) > 0:
			return syscall.ENOTEMPTY
		}
	}
	delete(from.entries, name)
	to.entries[newName] = c
	now := time.Now()
	from.mtime, to.mtime = now, now
	return 0
}

func (t *tree) write(n *node, off int64, data []byte) (int, syscall.Errno) {
	if e := t.lock(); e != 0 {
		return 0, e
	}
	defer t.mu.Unlock()
	if n.dir {
		return 0, syscall.EISDIR
	}
	if off < 0 {
		return 0, syscall.EINVAL
	}
	end := off + int64(len(data))
	for pos := off; pos < end; {
		idx, in := pos/pageSize, pos%pageSize
		k := min(pageSize-in, end-pos)
		p := new(page)
		if old := n.pages[idx]; old != nil && k < pageSize {
			*p = *old
		}
		copy(p[in:in+k], data[pos-off:])
		n.pages[idx] = p
		n.dirty[idx] = struct{}{}
		pos += k
	}
	n.size = max(n.size, end)
	n.mtime = time.Now()
	return len(data), 0
}

func (t *tree) read(n *node, off int64, size int) ([]byte, syscall.Errno) {
	if e := t.lock(); e != 0 {
		return nil, e
	}
	defer t.mu.Unlock()
	if n.dir {
		return nil, syscall.EISDIR
	}
	return n.bytes(off, size), 0
}

// bytes returns up to size bytes of n at off.
func (n *node) bytes(off int64, size int) []byte {
	end := min(off+int64(size), n.size)
	if off >= end {
		return nil
	}
	out := make([]byte, end-off)
	for pos := off; pos < end; {
		idx, in := pos/pageSize, pos%pageSize
		k := min(pageSize-in, end-pos)
		if p := n.pages[idx]; p != nil {
			copy(out[pos-off:], p[in:in+k])
		}
		pos += k
	}
	return out
}

func (t *tree) truncate(n *node, size int64) syscall.Errno {
	if e := t.lock(); e != 0 {
		return e
	}
	defer t.mu.Unlock()
	if n.dir {
		return syscall.EISDIR
	}
	if size < 0 {
		return syscall.EINVAL
	}
	n.resize(size)
	n.mtime = time.Now()
	return 0
}

// resize sets the size; pages cut off are changed.
func (n *node) resize(size int64) {
	if size < n.size {
		for _, idx := range trim(n.pages, size) {
			n.dirty[idx] = struct{}{}
		}
	}
	n.size = size
}

// trim drops the pages past size and zeroes the tail of the last one (so
// bytes past the size read as zeros when it grows again); it returns the
// pages it changed.
func trim(pages map[int64]*page, size int64) []int64 {
	var changed []int64
	first := (size + pageSize - 1) / pageSize
	for idx := range pages {
		if idx >= first {
			delete(pages, idx)
			changed = append(changed, idx)
		}
	}
	if in := size % pageSize; in != 0 {
		if old := pages[size/pageSize]; old != nil {
			p := new(page)
			copy(p[:in], old[:in])
			pages[size/pageSize] = p
			changed = append(changed, size/pageSize)
		}
	}
	return changed
}

// allocate is fallocate(2) without punching or zeroing: it only extends.
func (t *tree) allocate(n *node, off, length int64, keepSize bool) syscall.Errno {
	if e := t.lock(); e != 0 {
		return e
	}
	defer t.mu.Unlock()
	if n.dir {
		return syscall.EISDIR
	}
	if !keepSize && off+length > n.size {
		n.size = off + length
	}
	return 0
}

func (t *tree) chmod(n *node, mode uint32) syscall.Errno {
	if e := t.lock(); e != 0 {
		return e
	}
	defer t.mu.Unlock()
	n.mode = mode & 0o7777
	return 0
}

func (t *tree) chown(n *node, uid, gid *uint32) syscall.Errno {
	if e := t.lock(); e != 0 {
		return e
	}
	defer t.mu.Unlock()
	if uid != nil {
		n.uid = *uid
	}
	if gid != nil {
		n.gid = *gid
	}
	return 0
}

func (t *tree) touch(n *node, mtime time.Time) syscall.Errno {
	if e := t.lock(); e != 0 {
		return e
	}
	defer t.mu.Unlock()
	n.mtime = mtime
	return 0
}

// sync is fsync(2) (dataOnly: fdatasync(2)) of a file or a directory.
func (t *tree) sync(n *node, dataOnly bool) syscall.Errno {
	if e := t.lock(); e != 0 {
		return e
	}
	defer t.mu.Unlock()
	if n.dir {
		n.dentries = maps.Clone(n.entries)
		n.dmode = n.mode
		return 0
	}
	for idx := range n.dirty {
		if p := n.pages[idx]; p != nil {
			n.dpages[idx] = p
		} else {
			delete(n.dpages, idx)
		}
	}
	clear(n.dirty)
	n.dsize = n.size
	if !dataOnly {
		n.dmode = n.mode
	}
	return 0
}

// entry is a name in a directory listing.
type entry struct {
	name string
	ino  uint64
	dir  bool
}

func (t *tree) list(d *node) ([]entry, syscall.Errno) {
	if e := t.lock(); e != 0 {
		return nil, e
	}
	defer t.mu.Unlock()
	if !d.dir {
		return nil, syscall.ENOTDIR
	}
	out := make([]entry, 0, len(d.entries))
	for name, c := range d.entries {
		out = append(out, entry{name: name, ino: c.ino, dir: c.dir})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, 0
}

// attr is what stat(2) tells of a node.
type attr struct {
	ino      uint64
	dir      bool
	mode     uint32
	uid, gid uint32
	size     int64
	nlink    uint32
	mtime    time.Time
}

func (t *tree) stat(n *node) (attr, syscall.Errno) {
	if e := t.lock(); e != 0 {
		return attr{}, e
	}
	defer t.mu.Unlock()
	a := attr{ino: n.ino, dir: n.dir, mode: n.mode, uid: n.uid, gid: n.gid, size: n.size, nlink: 1, mtime: n.mtime}
	if n.dir {
		a.nlink = 2
		for _, c := range n.entries {
			if c.dir {
				a.nlink++
			}
		}
	}
	return a, 0
}

// usage is how many bytes the pages now take, for statfs.
func (t *tree) usage() (bytes int64, files int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	seen := map[*node]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		if seen[n] {
			return
		}
		seen[n] = true
		files++
		bytes += int64(len(n.pages)) * pageSize
		for _, c := range n.entries {
			walk(c)
		}
	}
	walk(t.root)
	return bytes, files
}
