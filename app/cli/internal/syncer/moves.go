package syncer

import (
	"sort"
	"strings"
)

// Move is a rename or move seen on one side, to be repeated on the other.
type Move struct {
	From, To string
	// Remote: the drive moved it, so the local one follows; otherwise the
	// local one moved and the drive's follows.
	Remote bool
}

func depth(p string) int { return strings.Count(p, "/") }

// nextMove finds one move, the shallowest first (a folder's move carries
// its contents along): a base whose node now sits at another path on the
// drive while the local one stayed (found by node id), or whose local file
// or folder now sits at another path (found by inode) while the drive's
// stayed. The target must be free on the other side and unknown to the
// base. skip holds the bases whose move failed already.
func nextMove(bases map[string]*Base, local map[string]*LocalEntry, remote map[string]*RemoteEntry, skip map[string]bool) (Move, bool) {
	byID := make(map[string]string, len(remote))
	for p, r := range remote {
		byID[r.ID] = p
	}
	byIno := make(map[uint64]string, len(local))
	for p, l := range local {
		if l.Ino != 0 {
			byIno[l.Ino] = p
		}
	}
	paths := make([]string, 0, len(bases))
	for p := range bases {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool {
		if di, dj := depth(paths[i]), depth(paths[j]); di != dj {
			return di < dj
		}
		return paths[i] < paths[j]
	})
	for _, p := range paths {
		if skip[p] {
			continue
		}
		b := bases[p]
		l, r := local[p], remote[p]
		if q, ok := byID[b.NodeID]; ok && b.NodeID != "" && q != p && (r == nil || r.ID != b.NodeID) &&
			l != nil && l.Kind == b.Kind && (b.Ino == 0 || l.Ino == b.Ino) &&
			local[q] == nil && bases[q] == nil && !under(q, p) && remote[q].Kind == b.Kind {
			return Move{From: p, To: q, Remote: true}, true
		}
		if b.Ino == 0 || l != nil {
			continue
		}
		if q, ok := byIno[b.Ino]; ok && q != p && local[q].Kind == b.Kind &&
			r != nil && r.ID == b.NodeID && remote[q] == nil && bases[q] == nil && !under(q, p) {
			return Move{From: p, To: q}, true
		}
	}
	return Move{}, false
}

// remap renames the keys under from to under to.
func remap[V any](m map[string]V, from, to string) {
	var keys []string
	for k := range m {
		if under(k, from) {
			keys = append(keys, k)
		}
	}
	moved := make(map[string]V, len(keys))
	for _, k := range keys {
		moved[to+strings.TrimPrefix(k, from)] = m[k]
		delete(m, k)
	}
	for k, v := range moved {
		m[k] = v
	}
}

// remapBases renames the bases under from, their Path fields included.
func remapBases(m map[string]*Base, from, to string) {
	remap(m, from, to)
	for k, b := range m {
		if under(k, to) && b.Path != k {
			c := *b
			c.Path = k
			m[k] = &c
		}
	}
}
