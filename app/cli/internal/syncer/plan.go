package syncer

import (
	"fmt"
	"sort"
	"strings"
)

// Op is what one action does.
type Op int

// The operations, in the order a pass runs their groups.
const (
	OpMkdirRemote Op = iota // a new local folder is made on the drive
	OpMkdirLocal            // a new drive folder is made locally
	OpUpload                // a new local file goes up (instant when stored)
	OpReplace               // a changed local file goes up over the drive's (which goes to the trash)
	OpDownload              // a new or changed drive file comes down
	OpConflict              // both sides changed: the local one becomes a conflict copy, the drive's comes down
	OpTrashRemote           // deleted locally: to the drive's trash
	OpTrashLocal            // deleted on the drive: to the local trash folder
	OpRecord                // both sides agree: the base is (re)written
	OpForget                // gone on both sides: the base goes
)

var opNames = map[Op]string{
	OpMkdirRemote: "mkdir on drive", OpMkdirLocal: "mkdir locally", OpUpload: "upload", OpReplace: "upload (replace)",
	OpDownload: "download", OpConflict: "conflict", OpTrashRemote: "trash on drive", OpTrashLocal: "to local trash",
	OpRecord: "in sync", OpForget: "forget",
}

func (o Op) String() string { return opNames[o] }

// Action is one step of a pass on one path.
type Action struct {
	Op   Op
	Path string
	L    *LocalEntry  // the local side as scanned (nil: absent)
	R    *RemoteEntry // the drive side as listed (nil: absent)
	B    *Base        // the merge base (nil: none)
}

func (a Action) String() string { return fmt.Sprintf("%s %s", a.Op, a.Path) }

// silent actions change no file on either side.
func (a Action) silent() bool { return a.Op == OpRecord || a.Op == OpForget }

func localChanged(b *Base, l *LocalEntry) bool {
	return l == nil || l.Kind != b.Kind || l.Kind == KindFile && l.Hash != b.Hash
}

func remoteChanged(b *Base, r *RemoteEntry) bool {
	return r == nil || r.Kind != b.Kind || r.Kind == KindFile && r.Hash != b.Hash
}

// decide is the three-way merge of one path.
func decide(p string, b *Base, l *LocalEntry, r *RemoteEntry) (Action, bool) {
	a := Action{Path: p, L: l, R: r, B: b}
	same := func() bool { return l.Kind == r.Kind && (l.Kind == KindFolder || l.Hash == r.Hash) }
	if b == nil {
		switch {
		case l != nil && r != nil && same():
			a.Op = OpRecord
		case l != nil && r != nil:
			a.Op = OpConflict
		case l != nil && l.Kind == KindFolder:
			a.Op = OpMkdirRemote
		case l != nil:
			a.Op = OpUpload
		case r != nil && r.Kind == KindFolder:
			a.Op = OpMkdirLocal
		case r != nil:
			a.Op = OpDownload
		default:
			return a, false
		}
		return a, true
	}
	lc, rc := localChanged(b, l), remoteChanged(b, r)
	switch {
	case !lc && !rc:
		// Unchanged; the base is refreshed when an identity moved on (a
		// new inode after an editor's save-by-rename, a new node id).
		if l.Ino == b.Ino && l.MtimeNs == b.MtimeNs && l.Size == b.Size && r.ID == b.NodeID {
			return a, false
		}
		a.Op = OpRecord
	case lc && !rc:
		switch {
		case l == nil || l.Kind != b.Kind:
			// Deleted (or replaced by the other kind, which goes up once the
			// old one is gone).
			a.Op = OpTrashRemote
		default:
			a.Op = OpReplace
		}
	case !lc && rc:
		switch {
		case r == nil || r.Kind != b.Kind:
			a.Op = OpTrashLocal
		default:
			a.Op = OpDownload
		}
	default: // both changed
		switch {
		case l == nil && r == nil:
			a.Op = OpForget
		case l == nil && r.Kind == KindFolder:
			a.Op = OpMkdirLocal
		case l == nil:
			a.Op = OpDownload // edited there, deleted here: the edit wins
		case r == nil && l.Kind == KindFolder:
			a.Op = OpMkdirRemote
		case r == nil:
			a.Op = OpUpload // edited here, deleted there: the edit wins
		case same():
			a.Op = OpRecord
		default:
			a.Op = OpConflict
		}
	}
	return a, true
}

// Plan merges the three trees into actions, ordered: folders made (parents
// first), files moved, then deletions (each subtree once, at its top).
func Plan(bases map[string]*Base, local map[string]*LocalEntry, remote map[string]*RemoteEntry) []Action {
	paths := map[string]bool{}
	for p := range bases {
		paths[p] = true
	}
	for p := range local {
		paths[p] = true
	}
	for p := range remote {
		paths[p] = true
	}
	byPath := map[string]*Action{}
	var order []string
	for p := range paths {
		if a, ok := decide(p, bases[p], local[p], remote[p]); ok {
			a := a
			byPath[p] = &a
			order = append(order, p)
		}
	}
	// Deepest first: a deleted folder under which something is kept (a
	// file added or edited on the other side) is made again instead.
	sort.Slice(order, func(i, j int) bool {
		if di, dj := strings.Count(order[i], "/"), strings.Count(order[j], "/"); di != dj {
			return di > dj
		}
		return order[i] < order[j]
	})
	kept := map[string]bool{} // folders with something kept under them
	for _, p := range order {
		a := byPath[p]
		switch {
		case a.Op == OpTrashRemote && a.R != nil && a.R.Kind == KindFolder && kept[p]:
			a.Op = OpMkdirLocal
		case a.Op == OpTrashLocal && a.L != nil && a.L.Kind == KindFolder && kept[p]:
			a.Op = OpMkdirRemote
		}
		if a.Op != OpTrashRemote && a.Op != OpTrashLocal && a.Op != OpForget {
			for d := parentOf(p); d != ""; d = parentOf(d) {
				kept[d] = true
			}
		}
	}
	// A subtree deleted whole is sent to the trash once, at its top.
	var out []Action
	for _, p := range order {
		a := byPath[p]
		if a.Op == OpTrashRemote || a.Op == OpTrashLocal {
			covered := false
			for d := parentOf(p); d != ""; d = parentOf(d) {
				if up := byPath[d]; up != nil && up.Op == a.Op {
					covered = true
					break
				}
			}
			if covered {
				continue
			}
		}
		out = append(out, *a)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Op != out[j].Op {
			return out[i].Op < out[j].Op
		}
		return out[i].Path < out[j].Path // parents before children
	})
	return out
}

// parentOf is the parent of a relative path ("" at the top).
func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// under says q is p or inside it.
func under(q, p string) bool { return q == p || strings.HasPrefix(q, p+"/") }
