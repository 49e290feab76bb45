package syncer

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"clouddrive/pkg/contenthash"
)

// Kinds of entries.
const (
	KindFile   = "file"
	KindFolder = "folder"
)

// LocalEntry is a file or folder of the local side.
type LocalEntry struct {
	Kind    string
	Size    int64
	MtimeNs int64
	Ino     uint64
	Hash    string // files only
}

// recentWindow: a file modified this recently may change again within the
// same mtime tick, so its hash is not trusted from the cache on the next
// scan (git's "racily clean" problem).
const recentWindow = 2 * time.Second

// ignored says whether a name is the sync's own (the state folder, uploads
// in flight under a temporary name) and so never synced.
func ignored(name string) bool { return strings.HasPrefix(name, Dir) }

// usableName is a name the drive accepts as one path segment.
func usableName(name string) bool {
	return name != "" && name != "." && name != ".." && len(name) <= 255 && utf8.ValidString(name) &&
		!strings.ContainsAny(name, "/\x00")
}

// ScanLocal lists every file and folder under root by relative slash path.
// A file whose size, mtime and inode match its base keeps the base's hash
// unread; the others are hashed. Links, devices and unusable names are
// skipped (warn reports them).
func ScanLocal(ctx context.Context, root string, bases map[string]*Base, warn func(string)) (map[string]*LocalEntry, error) {
	out := map[string]*LocalEntry{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			warn(err.Error())
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if ignored(name) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !usableName(name) {
			warn("skipping " + p + " (not a name the drive accepts)")
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if os.IsNotExist(err) { // gone since the listing
				return nil
			}
			return err
		}
		e := &LocalEntry{MtimeNs: fi.ModTime().UnixNano(), Ino: inode(fi)}
		switch {
		case fi.IsDir():
			e.Kind = KindFolder
		case fi.Mode().IsRegular():
			e.Kind, e.Size = KindFile, fi.Size()
			if b := bases[rel]; b != nil && b.Kind == KindFile && b.Hash != "" && b.Size == e.Size &&
				b.MtimeNs == e.MtimeNs && b.Ino == e.Ino {
				e.Hash = b.Hash
			} else {
				h, err := HashFile(p)
				if err != nil {
					if os.IsNotExist(err) {
						return nil
					}
					warn("skipping " + p + ": " + err.Error())
					return nil
				}
				e.Hash = h
			}
		default:
			warn("skipping " + p + " (not a regular file or folder)")
			return nil
		}
		out[rel] = e
		return nil
	})
	return out, err
}

// HashFile is the drive's content hash of a local file.
func HashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := contenthash.NewBlockHasher()
	if _, err := io.CopyBuffer(h, f, make([]byte, 256<<10)); err != nil {
		return "", err
	}
	return h.Sum(), nil
}

// statLocal reads one local entry again (before replacing or trashing it,
// to make sure it did not change since the scan); nil when it is gone.
func statLocal(p string) (*LocalEntry, error) {
	fi, err := os.Lstat(p)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	e := &LocalEntry{Kind: KindFile, Size: fi.Size(), MtimeNs: fi.ModTime().UnixNano(), Ino: inode(fi)}
	if fi.IsDir() {
		e.Kind, e.Size = KindFolder, 0
	}
	return e, nil
}

// sameStat says the local entry has not changed since it was scanned.
func sameStat(a, b *LocalEntry) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind {
		return false
	}
	if a.Kind == KindFolder {
		return true
	}
	return a.Size == b.Size && a.MtimeNs == b.MtimeNs && a.Ino == b.Ino
}
