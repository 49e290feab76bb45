package crashfs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// The model through the kernel: what programs do with os calls reaches the
// tree as the model expects, and a cut, unmount and mount of the image
// gives back only what was synced.

func mounted(t *testing.T) *FS {
	t.Helper()
	if err := Usable(); err != nil {
		t.Skipf("FUSE is not usable here: %v", err)
	}
	f, err := Mount(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Unmount() })
	return f
}

func syncPath(t *testing.T, p string) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		t.Fatalf("fsync %s: %v", p, err)
	}
}

func writeFile(t *testing.T, p string, b []byte, sync bool) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMountCutRemount(t *testing.T) {
	f := mounted(t)
	dir := f.Dir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 300_000) // 4.8 MB: many writes

	// Durable: a file synced in a synced folder, renamed over and synced.
	if err := os.Mkdir(filepath.Join(dir, "keep"), 0o700); err != nil {
		t.Fatal(err)
	}
	syncPath(t, dir)
	writeFile(t, filepath.Join(dir, "keep", "big.tmp"), big, true)
	if err := os.Rename(filepath.Join(dir, "keep", "big.tmp"), filepath.Join(dir, "keep", "big")); err != nil {
		t.Fatal(err)
	}
	syncPath(t, filepath.Join(dir, "keep"))
	// Lost: a file never synced; a synced one's later overwrite; a rename
	// and an unlink whose folder was not synced again.
	writeFile(t, filepath.Join(dir, "keep", "unsynced"), []byte("gone"), false)
	writeFile(t, filepath.Join(dir, "keep", "log"), []byte("first"), true)
	syncPath(t, filepath.Join(dir, "keep"))
	lf, err := os.OpenFile(filepath.Join(dir, "keep", "log"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lf.WriteString(" second"); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	if err := os.Rename(filepath.Join(dir, "keep", "log"), filepath.Join(dir, "keep", "log.old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "keep", "big")); err != nil {
		t.Fatal(err)
	}
	// Before the cut everything reads as written.
	if b, err := os.ReadFile(filepath.Join(dir, "keep", "log.old")); err != nil || string(b) != "first second" {
		t.Fatalf("log.old before the cut: %q, %v", b, err)
	}

	img := f.Cut(nil)
	if _, err := os.ReadFile(filepath.Join(dir, "keep", "log.old")); !errors.Is(err, syscall.EIO) {
		t.Fatalf("a read after the cut: %v, want EIO", err)
	}
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	g, err := Mount(dir, img)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Unmount() })

	if b, err := os.ReadFile(filepath.Join(dir, "keep", "big")); err != nil || !bytes.Equal(b, big) {
		t.Fatalf("keep/big after the cut: %d bytes, %v; want the %d synced", len(b), err, len(big))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "keep", "log")); err != nil || string(b) != "first" {
		t.Fatalf("keep/log after the cut: %q, %v", b, err)
	}
	// Its name was synced with the folder, its bytes never.
	if b, err := os.ReadFile(filepath.Join(dir, "keep", "unsynced")); err != nil || len(b) != 0 {
		t.Errorf("keep/unsynced after the cut: %q, %v; want empty", b, err)
	}
	for _, name := range []string{"log.old", "big.tmp"} {
		if _, err := os.Stat(filepath.Join(dir, "keep", name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("keep/%s after the cut: %v, want not there", name, err)
		}
	}
}

// Shared writable mappings (SQLite's WAL index) work and reach the tree.
// The mapping is made by another process: a process that maps a file of a
// FUSE mount it serves itself can deadlock in the kernel (a page fault
// waits on the server while holding the lock the server's own faults need).
func TestMountMmap(t *testing.T) {
	f := mounted(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestMmapHelper$")
	cmd.Env = append(os.Environ(), "CRASHFS_MMAP_DIR="+f.Dir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the mapping process: %v\n%s", err, out)
	}
	img := f.Cut(nil)
	b, err := img.ReadFile("shm")
	if err != nil || len(b) != 2*pageSize || string(b[pageSize:pageSize+6]) != "mapped" {
		t.Fatalf("the mapped write after fsync: %d bytes, %v", len(b), err)
	}
}

// TestMmapHelper is TestMountMmap's other process.
func TestMmapHelper(t *testing.T) {
	dir := os.Getenv("CRASHFS_MMAP_DIR")
	if dir == "" {
		t.Skip("run by TestMountMmap in a process of its own")
	}
	p := filepath.Join(dir, "shm")
	fh, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if err := fh.Truncate(2 * pageSize); err != nil {
		t.Fatal(err)
	}
	m, err := syscall.Mmap(int(fh.Fd()), 0, 2*pageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	copy(m[pageSize:], "mapped")
	if err := syscall.Munmap(m); err != nil {
		t.Fatal(err)
	}
	if err := fh.Sync(); err != nil { // writes the dirty page back first
		t.Fatal(err)
	}
	syncPath(t, dir)
}
