package crashfs

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// FS is a crashfs tree mounted at a folder.
type FS struct {
	t      *tree
	dir    string
	server *fuse.Server
}

// Mount serves img (nil: an empty tree) at dir, an existing empty folder,
// until Unmount. It needs /dev/fuse and the right to mount(2) (root), or a
// fusermount helper.
func Mount(dir string, img *Image) (*FS, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	t := img.tree()
	root := &fnode{t: t, n: t.root}
	opts := &fs.Options{
		EntryTimeout:    &attrTimeout,
		AttrTimeout:     &attrTimeout,
		NegativeTimeout: &attrTimeout,
		RootStableAttr:  &fs.StableAttr{Mode: syscall.S_IFDIR, Ino: t.root.ino},
		MountOptions: fuse.MountOptions{
			FsName:      "crashfs",
			Name:        "crashfs",
			DirectMount: true, // root needs no fusermount
			MaxWrite:    1 << 20,
			// No getxattr("security.capability") before every write.
			DisableXAttrs: true,
		},
	}
	server, err := fs.Mount(dir, root, opts)
	if err != nil {
		return nil, fmt.Errorf("crashfs: mounting at %s: %w", dir, err)
	}
	return &FS{t: t, dir: dir, server: server}, nil
}

// Dir is where the tree is mounted.
func (f *FS) Dir() string { return f.dir }

// Cut turns the power off now and returns what the disk holds (see the
// package doc; torn nil keeps only what was synced, a random source also
// keeps some of what writeback may have written). The mount stays, every
// operation on it failing with EIO, until Unmount: stop (kill) the
// programs using it first.
func (f *FS) Cut(torn *rand.Rand) *Image { return f.t.cutPower(torn) }

// Unmount detaches the mount and stops serving it. A mount still busy
// (a process that holds a file open) is detached lazily and its
// connection aborted, so that no request waits on it forever.
func (f *FS) Unmount() error {
	if f.server == nil {
		return nil
	}
	var st syscall.Stat_t
	statErr := syscall.Stat(f.dir, &st)
	err := f.server.Unmount()
	if err == nil {
		f.server = nil
		return nil
	}
	if derr := syscall.Unmount(f.dir, syscall.MNT_DETACH); derr != nil {
		return fmt.Errorf("crashfs: unmounting %s: %v; detaching: %w", f.dir, err, derr)
	}
	if statErr == nil {
		// The kernel's control file of this connection, when fusectl is
		// mounted; a detached mount with no user left goes away anyway.
		abort := fmt.Sprintf("/sys/fs/fuse/connections/%d/abort", minor(st.Dev))
		_ = os.WriteFile(abort, []byte("1"), 0)
	}
	f.server = nil
	return nil
}

func minor(dev uint64) uint64 { return (dev & 0xff) | ((dev >> 12) & 0xfff00) }

// Usable says why a crashfs cannot be mounted on this machine (nil: it
// can), by mounting and unmounting an empty one in a temporary folder.
func Usable() error {
	if _, err := os.Stat("/dev/fuse"); err != nil {
		return fmt.Errorf("no /dev/fuse: %w", err)
	}
	dir, err := os.MkdirTemp("", "crashfs-probe-")
	if err != nil {
		return err
	}
	defer os.Remove(dir)
	f, err := Mount(dir, nil)
	if err != nil {
		return err
	}
	probe := filepath.Join(dir, "probe")
	werr := os.WriteFile(probe, []byte("x"), 0o600)
	if uerr := f.Unmount(); uerr != nil {
		return errors.Join(werr, uerr)
	}
	return werr
}
