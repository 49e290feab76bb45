package crashfs

import (
	"errors"
	"io/fs"
	"maps"
	"math/rand/v2"
	"path"
	"sort"
	"strings"
)

// Image is what the disk holds after a cut: a tree in which everything is
// durable. It does not change; Mount it (any number of times) to go on
// from it, or read it directly.
type Image struct {
	root *node
	next uint64
}

// cut turns the power off: from now on every operation fails, and the
// image is what the model keeps (see the package doc). With torn nil only
// what was synced survives; otherwise torn decides, for each page, size,
// mode and name changed since its sync, whether writeback got it out.
func (t *tree) cutPower(torn *rand.Rand) *Image {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cut = true
	keep := func() bool { return torn != nil && torn.IntN(2) == 0 }
	made := map[*node]*node{}
	var image func(n *node) *node
	image = func(n *node) *node {
		if m := made[n]; m != nil {
			return m // the two halves of a half-kept rename
		}
		m := &node{ino: n.ino, dir: n.dir, uid: n.uid, gid: n.gid, mode: n.dmode, mtime: n.mtime}
		if n.mode != n.dmode && keep() {
			m.mode = n.mode
		}
		made[n] = m
		if n.dir {
			m.entries = map[string]*node{}
			names := map[string]bool{}
			for name := range n.entries {
				names[name] = true
			}
			for name := range n.dentries {
				names[name] = true
			}
			// In name order, so that one seed gives one image.
			for _, name := range sortedKeys(names) {
				c := n.dentries[name]
				if now := n.entries[name]; now != c && keep() {
					c = now
				}
				if c != nil {
					m.entries[name] = image(c)
				}
			}
			m.dentries = maps.Clone(m.entries)
			return m
		}
		m.size, m.pages = n.dsize, maps.Clone(n.dpages)
		if n.size != n.dsize && keep() {
			m.size = n.size
		}
		for _, idx := range sortedKeys(n.dirty) {
			if keep() {
				if p := n.pages[idx]; p != nil {
					m.pages[idx] = p
				} else {
					delete(m.pages, idx)
				}
			}
		}
		trim(m.pages, m.size)
		m.dirty = map[int64]struct{}{}
		m.dsize, m.dpages, m.dmode = m.size, maps.Clone(m.pages), m.mode
		return m
	}
	return &Image{root: image(t.root), next: t.next}
}

func sortedKeys[K int64 | string, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

// tree is a fresh tree holding the image (the image's maps are copied, its
// pages shared: they never change).
func (img *Image) tree() *tree {
	if img == nil {
		return newTree()
	}
	made := map[*node]*node{}
	var clone func(n *node) *node
	clone = func(n *node) *node {
		if m := made[n]; m != nil {
			return m
		}
		m := *n
		made[n] = &m
		if n.dir {
			m.entries = map[string]*node{}
			for name, c := range n.entries {
				m.entries[name] = clone(c)
			}
			m.dentries = maps.Clone(m.entries)
		} else {
			m.pages, m.dpages, m.dirty = maps.Clone(n.pages), maps.Clone(n.pages), map[int64]struct{}{}
		}
		return &m
	}
	return &tree{root: clone(img.root), next: img.next}
}

// find walks a slash-separated path from the image's root.
func (img *Image) find(name string) (*node, error) {
	n := img.root
	name = path.Clean("/" + name)
	if name == "/" {
		return n, nil
	}
	for _, part := range strings.Split(name[1:], "/") {
		if !n.dir {
			return nil, fs.ErrNotExist
		}
		if n = n.entries[part]; n == nil {
			return nil, fs.ErrNotExist
		}
	}
	return n, nil
}

// ReadFile returns the content of the file at name (slash-separated, from
// the root of the mount).
func (img *Image) ReadFile(name string) ([]byte, error) {
	n, err := img.find(name)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return nil, errors.New("crashfs: " + name + " is a directory")
	}
	b := n.bytes(0, int(n.size))
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// ReadDir returns the names in the directory at name, sorted.
func (img *Image) ReadDir(name string) ([]string, error) {
	n, err := img.find(name)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, errors.New("crashfs: " + name + " is not a directory")
	}
	return sortedKeys(n.entries), nil
}
