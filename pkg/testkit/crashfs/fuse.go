package crashfs

import (
	"context"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// fnode serves one node of the tree to the kernel. The tree is the truth:
// go-fuse's own inode tree only follows it (its Lookup, Create, Rename
// bookkeeping runs after ours succeeded).
type fnode struct {
	fs.Inode
	t *tree
	n *node
}

var (
	_ fs.NodeLookuper  = (*fnode)(nil)
	_ fs.NodeGetattrer = (*fnode)(nil)
	_ fs.NodeSetattrer = (*fnode)(nil)
	_ fs.NodeReaddirer = (*fnode)(nil)
	_ fs.NodeCreater   = (*fnode)(nil)
	_ fs.NodeMkdirer   = (*fnode)(nil)
	_ fs.NodeUnlinker  = (*fnode)(nil)
	_ fs.NodeRmdirer   = (*fnode)(nil)
	_ fs.NodeRenamer   = (*fnode)(nil)
	_ fs.NodeOpener    = (*fnode)(nil)
	_ fs.NodeReader    = (*fnode)(nil)
	_ fs.NodeWriter    = (*fnode)(nil)
	_ fs.NodeFsyncer   = (*fnode)(nil)
	_ fs.NodeFlusher   = (*fnode)(nil)
	_ fs.NodeAllocater = (*fnode)(nil)
	_ fs.NodeStatfser  = (*fnode)(nil)
	_ fs.NodeLinker    = (*fnode)(nil)
	_ fs.NodeSymlinker = (*fnode)(nil)
	_ fs.NodeMknoder   = (*fnode)(nil)
)

func caller(ctx context.Context) (uid, gid uint32) {
	if c, ok := fuse.FromContext(ctx); ok {
		return c.Uid, c.Gid
	}
	return 0, 0
}

// child hands the kernel the inode of c (the existing one if go-fuse
// knows c's number already).
func (f *fnode) child(ctx context.Context, c *node, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	a, e := f.t.stat(c)
	if e != 0 {
		return nil, e
	}
	fill(a, &out.Attr)
	mode := uint32(syscall.S_IFREG)
	if c.dir {
		mode = syscall.S_IFDIR
	}
	return f.NewInode(ctx, &fnode{t: f.t, n: c}, fs.StableAttr{Mode: mode, Ino: c.ino}), 0
}

func fill(a attr, out *fuse.Attr) {
	out.Ino = a.ino
	out.Mode = a.mode
	if a.dir {
		out.Mode |= syscall.S_IFDIR
	} else {
		out.Mode |= syscall.S_IFREG
	}
	out.Size = uint64(a.size)
	out.Blocks = (uint64(a.size) + 511) / 512
	out.Blksize = pageSize
	out.Nlink = a.nlink
	out.Owner = fuse.Owner{Uid: a.uid, Gid: a.gid}
	out.SetTimes(&a.mtime, &a.mtime, &a.mtime)
}

func (f *fnode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	c, e := f.t.lookup(f.n, name)
	if e != 0 {
		return nil, e
	}
	return f.child(ctx, c, out)
}

func (f *fnode) Getattr(_ context.Context, _ fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	a, e := f.t.stat(f.n)
	if e == 0 {
		fill(a, &out.Attr)
	}
	return e
}

func (f *fnode) Setattr(ctx context.Context, fh fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if size, ok := in.GetSize(); ok {
		if e := f.t.truncate(f.n, int64(size)); e != 0 {
			return e
		}
	}
	if mode, ok := in.GetMode(); ok {
		if e := f.t.chmod(f.n, mode); e != 0 {
			return e
		}
	}
	uid, uok := in.GetUID()
	gid, gok := in.GetGID()
	if uok || gok {
		var u, g *uint32
		if uok {
			u = &uid
		}
		if gok {
			g = &gid
		}
		if e := f.t.chown(f.n, u, g); e != 0 {
			return e
		}
	}
	if mtime, ok := in.GetMTime(); ok {
		if e := f.t.touch(f.n, mtime); e != 0 {
			return e
		}
	}
	return f.Getattr(ctx, fh, out)
}

func (f *fnode) Readdir(context.Context) (fs.DirStream, syscall.Errno) {
	es, e := f.t.list(f.n)
	if e != 0 {
		return nil, e
	}
	out := make([]fuse.DirEntry, len(es))
	for i, x := range es {
		out[i] = fuse.DirEntry{Name: x.name, Ino: x.ino, Mode: syscall.S_IFREG}
		if x.dir {
			out[i].Mode = syscall.S_IFDIR
		}
	}
	return fs.NewListDirStream(out), 0
}

func (f *fnode) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	uid, gid := caller(ctx)
	c, e := f.t.create(f.n, name, mode, uid, gid, flags&syscall.O_EXCL != 0)
	if e != 0 {
		return nil, nil, 0, e
	}
	if flags&syscall.O_TRUNC != 0 {
		if e := f.t.truncate(c, 0); e != 0 {
			return nil, nil, 0, e
		}
	}
	in, e := f.child(ctx, c, out)
	return in, nil, 0, e
}

func (f *fnode) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	uid, gid := caller(ctx)
	c, e := f.t.mkdir(f.n, name, mode, uid, gid)
	if e != 0 {
		return nil, e
	}
	return f.child(ctx, c, out)
}

func (f *fnode) Unlink(_ context.Context, name string) syscall.Errno { return f.t.unlink(f.n, name) }

func (f *fnode) Rmdir(_ context.Context, name string) syscall.Errno { return f.t.rmdir(f.n, name) }

func (f *fnode) Rename(_ context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	to, ok := newParent.(*fnode)
	if !ok {
		return syscall.EXDEV
	}
	return f.t.rename(f.n, name, to.n, newName, flags)
}

func (f *fnode) Link(context.Context, fs.InodeEmbedder, string, *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	return nil, syscall.ENOTSUP
}

func (f *fnode) Symlink(context.Context, string, string, *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	return nil, syscall.ENOTSUP
}

func (f *fnode) Mknod(context.Context, string, uint32, uint32, *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	return nil, syscall.ENOTSUP
}

// Open keeps no handle: reads and writes go to the node.
func (f *fnode) Open(_ context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_TRUNC != 0 {
		if e := f.t.truncate(f.n, 0); e != 0 {
			return nil, 0, e
		}
	}
	return nil, 0, 0
}

func (f *fnode) Read(_ context.Context, _ fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	b, e := f.t.read(f.n, off, len(dest))
	if e != 0 {
		return nil, e
	}
	return fuse.ReadResultData(b), 0
}

func (f *fnode) Write(_ context.Context, _ fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	n, e := f.t.write(f.n, off, data)
	return uint32(n), e
}

// fsyncDataOnly is FUSE_FSYNC_FDATASYNC: fdatasync(2) rather than fsync(2).
const fsyncDataOnly = 1

// Fsync serves fsync and fdatasync of files and directories alike.
func (f *fnode) Fsync(_ context.Context, _ fs.FileHandle, flags uint32) syscall.Errno {
	return f.t.sync(f.n, flags&fsyncDataOnly != 0)
}

// Flush (every close) makes nothing durable; it only reports a cut.
func (f *fnode) Flush(context.Context, fs.FileHandle) syscall.Errno {
	if e := f.t.lock(); e != 0 {
		return e
	}
	f.t.mu.Unlock()
	return 0
}

// fallocKeepSize is FALLOC_FL_KEEP_SIZE.
const fallocKeepSize = 1

func (f *fnode) Allocate(_ context.Context, _ fs.FileHandle, off, size uint64, mode uint32) syscall.Errno {
	if mode&^fallocKeepSize != 0 {
		return syscall.EOPNOTSUPP
	}
	return f.t.allocate(f.n, int64(off), int64(size), mode&fallocKeepSize != 0)
}

// statfsBlocks is the size the mount claims (1 TiB in 4 KiB blocks):
// memory is the limit, not a made-up disk.
const statfsBlocks = 1 << 28

func (f *fnode) Statfs(_ context.Context, out *fuse.StatfsOut) syscall.Errno {
	used, files := f.t.usage()
	out.Bsize, out.Frsize, out.NameLen = pageSize, pageSize, 255
	out.Blocks = statfsBlocks
	out.Bfree = statfsBlocks - uint64(used)/pageSize
	out.Bavail = out.Bfree
	out.Files = 1 << 24
	out.Ffree = out.Files - uint64(files)
	return 0
}

// attrTimeout is how long the kernel may cache names and attributes: safe
// at any length, as every change comes through the kernel.
var attrTimeout = time.Second
