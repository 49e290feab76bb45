package biz

import (
	"context"
	"errors"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	v1 "clouddrive/api/file/v1"
)

// Kind is folder or file; folders sort first.
type Kind int8

// Kinds.
const (
	KindFolder Kind = 1
	KindFile   Kind = 2
)

func (k Kind) String() string {
	if k == KindFolder {
		return "folder"
	}
	return "file"
}

// Node is a folder or a file of one owner.
type Node struct {
	ID          int64
	OwnerID     int64
	ParentID    int64 // 0: the root
	Name        string
	Kind        Kind
	Size        int64
	ContentHash string
	Mime        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	TrashedAt   *time.Time
	// TrashRoot is the id of the node whose deletion trashed this one.
	TrashRoot int64
	Version   int64
}

// Live reports whether the node is outside the trash.
func (n *Node) Live() bool { return n.TrashedAt == nil }

// Sort orders of a listing.
const (
	OrderName    = "name"
	OrderSize    = "size"
	OrderUpdated = "updated_at"
)

// Cursor is the position after the last entry of a page.
type Cursor struct {
	Kind    Kind
	Name    string // folded
	Size    int64
	Updated time.Time
	ID      int64
}

// CursorOf is the cursor just after n.
func CursorOf(n *Node) *Cursor {
	return &Cursor{Kind: n.Kind, Name: FoldName(n.Name), Size: n.Size, Updated: n.UpdatedAt, ID: n.ID}
}

// ListQuery is one page of a folder: folders first, then by the order, then
// by id, so the order is total and paging is stable.
type ListQuery struct {
	Owner   int64
	Parent  int64
	OrderBy string
	Desc    bool
	After   *Cursor
	Limit   int
}

// NodeChange is what an update sets; nil fields stay.
type NodeChange struct {
	ParentID *int64
	Name     *string
}

// NodeRepo stores nodes.
type NodeRepo interface {
	Get(ctx context.Context, owner, id int64) (*Node, error)
	// GetForUpdate is Get inside a transaction, locking the row until it
	// ends: a change under a folder and that folder's deletion, or two
	// purges of one subtree, wait for each other instead of interleaving.
	GetForUpdate(ctx context.Context, owner, id int64) (*Node, error)
	List(ctx context.Context, q ListQuery) ([]*Node, error)
	// Search pages live nodes whose name contains q, by name then id.
	Search(ctx context.Context, owner int64, q string, after *Cursor, limit int) ([]*Node, error)
	// ListTrash pages the trashed subtrees' tops, the latest deleted first
	// (by trashed_at, then id, both descending; the cursor's Updated is trashed_at).
	ListTrash(ctx context.Context, owner int64, after *Cursor, limit int) ([]*Node, error)
	// Ancestors lists the folders above id, the root's child first.
	Ancestors(ctx context.Context, owner, id int64) ([]*Node, error)
	// LiveSubtree is id and its live descendants, parents before children.
	LiveSubtree(ctx context.Context, owner, id int64) ([]*Node, error)
	// TrashedSubtree is every node whose deletion began at root.
	TrashedSubtree(ctx context.Context, owner, root int64) ([]*Node, error)
	// Create inserts nodes (one folder level at a time for copies), setting
	// their ids; ErrDuplicate when a live sibling has the name.
	Create(ctx context.Context, ns ...*Node) error
	// TakenNames is the folded names of live children of parent starting
	// with prefix (folded).
	TakenNames(ctx context.Context, owner, parent int64, prefix string) (map[string]bool, error)
	Update(ctx context.Context, owner, id int64, c NodeChange, at time.Time) error
	Trash(ctx context.Context, owner int64, ids []int64, root int64, at time.Time) error
	// Restore brings root's subtree back, root under parent with name.
	Restore(ctx context.Context, owner, root, parent int64, name string, at time.Time) error
	// Purge deletes the subtree trashed at root and says how many nodes and
	// bytes it deleted (none when a racing purge or restore came first).
	Purge(ctx context.Context, owner, root int64) (nodes, bytes int64, err error)
	// ExpiredTrash lists trash tops of any owner deleted before t.
	ExpiredTrash(ctx context.Context, before time.Time, limit int) ([]*Node, error)
	// ReferencedHashes is the subset of hashes some node (of anyone, in the
	// trash or not) still references.
	ReferencedHashes(ctx context.Context, hashes []string) ([]string, error)
}

// NodeUsecase is browsing and changing the tree.
type NodeUsecase struct {
	nodes    NodeRepo
	quota    *QuotaUsecase
	events   OutboxRepo
	feed     *Feed
	versions VersionRepo
	tx       Transaction
	now      Clock
	log      *log.Helper
}

// NewNodeUsecase builds the use case. Every change is recorded in the
// owner's change feed; versions keeps the contents files had.
func NewNodeUsecase(nodes NodeRepo, quota *QuotaUsecase, events OutboxRepo, feed *Feed, versions VersionRepo, tx Transaction, now Clock, logger log.Logger) *NodeUsecase {
	return &NodeUsecase{nodes: nodes, quota: quota, events: events, feed: feed, versions: versions, tx: tx, now: now,
		log: log.NewHelper(log.With(logger, "module", "biz/node"))}
}

// Page is one page of nodes.
type Page struct {
	Items []*Node
	Next  *Cursor // nil at the end
}

func pageOf(ns []*Node, limit int) *Page {
	p := &Page{Items: ns}
	if len(ns) > limit {
		p.Items = ns[:limit]
		p.Next = CursorOf(ns[limit-1])
	}
	return p
}

func clampLimit(n int) int {
	if n <= 0 {
		return 100
	}
	if n > 1000 {
		return 1000
	}
	return n
}

// List pages the live children of a folder.
func (uc *NodeUsecase) List(ctx context.Context, q ListQuery) (*Page, error) {
	if q.Parent != 0 {
		if _, err := uc.liveFolder(ctx, q.Owner, q.Parent); err != nil {
			return nil, err
		}
	}
	if q.OrderBy == "" {
		q.OrderBy = OrderName
	}
	q.Limit = clampLimit(q.Limit)
	limit := q.Limit
	q.Limit++
	ns, err := uc.nodes.List(ctx, q)
	if err != nil {
		return nil, err
	}
	return pageOf(ns, limit), nil
}

// Stat returns one live node.
func (uc *NodeUsecase) Stat(ctx context.Context, owner, id int64) (*Node, error) {
	return uc.live(ctx, owner, id)
}

// Path returns the breadcrumbs from the root down to the node.
func (uc *NodeUsecase) Path(ctx context.Context, owner, id int64) ([]*Node, error) {
	n, err := uc.live(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	up, err := uc.nodes.Ancestors(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	return append(up, n), nil
}

// Search pages the caller's live nodes whose name contains q.
func (uc *NodeUsecase) Search(ctx context.Context, owner int64, q string, after *Cursor, limit int) (*Page, error) {
	limit = clampLimit(limit)
	ns, err := uc.nodes.Search(ctx, owner, FoldName(q), after, limit+1)
	if err != nil {
		return nil, err
	}
	return pageOf(ns, limit), nil
}

// Mkdir creates a folder.
func (uc *NodeUsecase) Mkdir(ctx context.Context, owner, parent int64, name string, rename bool) (*Node, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	now := uc.now()
	n := &Node{OwnerID: owner, ParentID: parent, Name: name, Kind: KindFolder, CreatedAt: now, UpdatedAt: now, Version: 1}
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		p, err := uc.lockParent(ctx, owner, parent)
		if err != nil {
			return err
		}
		if err := uc.insertNamed(ctx, n, rename); err != nil {
			return err
		}
		return uc.recordCreated(ctx, n, p)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// NewFile is a finished upload that becomes a node.
type NewFile struct {
	Owner       int64
	Parent      int64
	Name        string
	ContentHash string
	Size        int64
	Mime        string
	// On a name taken: Rename picks "name (n)"; else Version writes a new
	// version over an existing file (a folder is still a conflict); else
	// NAME_CONFLICT.
	Rename  bool
	Version bool
}

// CreateFile adds the node of a finished upload, charging its size to the
// owner's quota in the same transaction. Onto the name of an existing file
// with f.Version it writes a new version of that file instead.
func (uc *NodeUsecase) CreateFile(ctx context.Context, f NewFile) (*Node, error) {
	if err := ValidateName(f.Name); err != nil {
		return nil, err
	}
	now := uc.now()
	n := &Node{OwnerID: f.Owner, ParentID: f.Parent, Name: f.Name, Kind: KindFile, Size: f.Size,
		ContentHash: f.ContentHash, Mime: f.Mime, CreatedAt: now, UpdatedAt: now, Version: 1}
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		p, err := uc.lockParent(ctx, f.Owner, f.Parent)
		if err != nil {
			return err
		}
		if err := uc.quota.charge(ctx, f.Owner, f.Size); err != nil {
			return err
		}
		if f.Version && !f.Rename {
			err := uc.nodes.Create(ctx, n)
			if errors.Is(err, ErrDuplicate) {
				old, lerr := uc.versions.LiveChild(ctx, f.Owner, f.Parent, f.Name)
				if errors.Is(lerr, ErrNotFound) || (lerr == nil && old.Kind != KindFile) {
					return errNameConflict(f.Name)
				}
				if lerr != nil {
					return lerr
				}
				n, err = uc.writeVersion(ctx, old, f)
				return err
			}
			if err != nil {
				return err
			}
		} else if err := uc.insertNamed(ctx, n, f.Rename); err != nil {
			return err
		}
		return uc.recordCreated(ctx, n, p)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// recordCreated records the creation of n in folder p (nil: the root),
// its path taken from p: no query when p is the root or a top folder.
func (uc *NodeUsecase) recordCreated(ctx context.Context, n, p *Node) error {
	path, err := uc.feed.pathUnder(ctx, p, n.Name)
	if err != nil {
		return err
	}
	return uc.feed.recordAt(ctx, uc.events, uc.event(EventCreated, n, 1), n, path, "")
}

// GetNode returns a node of any state for another service acting for owner.
func (uc *NodeUsecase) GetNode(ctx context.Context, owner, id int64) (*Node, error) {
	n, err := uc.nodes.Get(ctx, owner, id)
	if errors.Is(err, ErrNotFound) {
		return nil, errNodeNotFound()
	}
	return n, err
}

// Rename gives a live node a new name in the same folder.
func (uc *NodeUsecase) Rename(ctx context.Context, owner, id int64, name string, rename bool) (*Node, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	var out *Node
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		n, err := uc.live(ctx, owner, id)
		if err != nil {
			return err
		}
		if n.Name == name {
			out = n
			return nil
		}
		old, err := uc.feed.oldPath(ctx, n)
		if err != nil {
			return err
		}
		if err := uc.updateNamed(ctx, n, n.ParentID, name, rename); err != nil {
			return err
		}
		out = n
		return uc.feed.record(ctx, uc.events, uc.event(EventRenamed, n, 1), n, old)
	})
	return out, err
}

// Move puts live nodes into another folder. A folder cannot go into itself
// or its own subtree.
func (uc *NodeUsecase) Move(ctx context.Context, owner int64, ids []int64, parent int64, rename bool) ([]*Node, error) {
	var out []*Node
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.checkParent(ctx, owner, parent); err != nil {
			return err
		}
		if err := uc.refuseCycle(ctx, owner, ids, parent); err != nil {
			return err
		}
		for _, id := range dedupe(ids) {
			n, err := uc.live(ctx, owner, id)
			if err != nil {
				return err
			}
			if n.ParentID != parent {
				old, err := uc.feed.oldPath(ctx, n)
				if err != nil {
					return err
				}
				if err := uc.updateNamed(ctx, n, parent, n.Name, rename); err != nil {
					return err
				}
				if err := uc.feed.record(ctx, uc.events, uc.event(EventMoved, n, 1), n, old); err != nil {
					return err
				}
			}
			out = append(out, n)
		}
		return nil
	})
	return out, err
}

// Copy copies live nodes (folders with all their live content) into a
// folder. Only nodes are copied, never bytes; the copies count against the
// quota like any file.
func (uc *NodeUsecase) Copy(ctx context.Context, owner int64, ids []int64, parent int64, rename bool) ([]*Node, error) {
	return uc.copyNodes(ctx, owner, ids, owner, parent, rename)
}

// CopyFrom copies live nodes of one owner (folders with all their live
// content) into a folder of another, as Copy does within one owner (saving
// a share): nodes, never bytes, all charged to the destination's quota in
// one transaction, names settled in the destination folder. An id that is
// not a live node of from is not found.
func (uc *NodeUsecase) CopyFrom(ctx context.Context, from int64, ids []int64, to, parent int64, rename bool) ([]*Node, error) {
	return uc.copyNodes(ctx, from, ids, to, parent, rename)
}

// copyNodes copies from's live nodes into to's folder parent, all or
// nothing: Copy with one owner as both, CopyFrom with two.
func (uc *NodeUsecase) copyNodes(ctx context.Context, from int64, ids []int64, to, parent int64, rename bool) ([]*Node, error) {
	var out []*Node
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.checkParent(ctx, to, parent); err != nil {
			return err
		}
		// Only within one owner's tree can a folder be copied into itself.
		if from == to {
			if err := uc.refuseCycle(ctx, to, ids, parent); err != nil {
				return err
			}
		}
		for _, id := range dedupe(ids) {
			top, err := uc.copyTree(ctx, from, id, to, parent, rename)
			if err != nil {
				return err
			}
			out = append(out, top)
		}
		return nil
	})
	return out, err
}

// copyTree copies from's live node id (a folder with its live subtree)
// into to's folder parent, charging to's quota, and records COPIED for to.
func (uc *NodeUsecase) copyTree(ctx context.Context, from, id, to, parent int64, rename bool) (*Node, error) {
	src, err := uc.live(ctx, from, id)
	if err != nil {
		return nil, err
	}
	tree := []*Node{src}
	if src.Kind == KindFolder {
		if tree, err = uc.nodes.LiveSubtree(ctx, from, id); err != nil {
			return nil, err
		}
		// Trashed since it was read: nothing is locked on the source side.
		if len(tree) == 0 || tree[0].ID != src.ID {
			return nil, errNodeNotFound()
		}
	}
	var bytes int64
	for _, n := range tree {
		bytes += n.Size
	}
	if err := uc.quota.charge(ctx, to, bytes); err != nil {
		return nil, err
	}
	now := uc.now()
	clone := func(n *Node, parent int64) *Node {
		return &Node{OwnerID: to, ParentID: parent, Name: n.Name, Kind: n.Kind, Size: n.Size,
			ContentHash: n.ContentHash, Mime: n.Mime, CreatedAt: now, UpdatedAt: now, Version: 1}
	}
	top := clone(src, parent)
	if err := uc.insertNamed(ctx, top, rename); err != nil {
		return nil, err
	}
	// Level by level: a level's parents have their new ids before it is inserted.
	newID := map[int64]int64{src.ID: top.ID}
	children := map[int64][]*Node{}
	for _, n := range tree[1:] {
		children[n.ParentID] = append(children[n.ParentID], n)
	}
	level := []int64{src.ID}
	for len(level) > 0 {
		var batch, olds []*Node
		for _, p := range level {
			for _, c := range children[p] {
				batch = append(batch, clone(c, newID[p]))
				olds = append(olds, c)
			}
		}
		if len(batch) == 0 {
			break
		}
		if err := uc.nodes.Create(ctx, batch...); err != nil {
			return nil, err
		}
		level = level[:0]
		for i, c := range olds {
			newID[c.ID] = batch[i].ID
			if c.Kind == KindFolder {
				level = append(level, c.ID)
			}
		}
	}
	top.Size = src.Size
	return top, uc.feed.record(ctx, uc.events, uc.event(EventCopied, top, int64(len(tree))), top, "")
}

// ReferencedHashes answers the storage service's garbage collector.
func (uc *NodeUsecase) ReferencedHashes(ctx context.Context, hashes []string) ([]string, error) {
	if len(hashes) == 0 {
		return nil, nil
	}
	live, err := uc.nodes.ReferencedHashes(ctx, hashes)
	if err != nil || uc.versions == nil {
		return live, err
	}
	// A blob only an older version of a file holds is referenced too.
	seen := make(map[string]bool, len(live))
	for _, h := range live {
		seen[h] = true
	}
	var rest []string
	for _, h := range hashes {
		if !seen[h] {
			rest = append(rest, h)
		}
	}
	if len(rest) == 0 {
		return live, nil
	}
	kept, err := uc.versions.ReferencedHashes(ctx, rest)
	return append(live, kept...), err
}

// live returns a node of the owner that is not in the trash.
func (uc *NodeUsecase) live(ctx context.Context, owner, id int64) (*Node, error) {
	n, err := uc.nodes.Get(ctx, owner, id)
	if errors.Is(err, ErrNotFound) || (err == nil && !n.Live()) {
		return nil, errNodeNotFound()
	}
	return n, err
}

func (uc *NodeUsecase) liveFolder(ctx context.Context, owner, id int64) (*Node, error) {
	n, err := uc.live(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	if n.Kind != KindFolder {
		return nil, v1.ErrorNotAFolder("%q is not a folder", n.Name)
	}
	return n, nil
}

// checkParent: the root, or a live folder of the owner.
func (uc *NodeUsecase) checkParent(ctx context.Context, owner, parent int64) error {
	_, err := uc.lockParent(ctx, owner, parent)
	return err
}

// lockParent is checkParent returning the folder (nil for the root).
func (uc *NodeUsecase) lockParent(ctx context.Context, owner, parent int64) (*Node, error) {
	if parent == 0 {
		return nil, nil
	}
	// Locked: the folder cannot go to the trash before this transaction
	// has put its child in (Delete locks it too).
	p, err := uc.nodes.GetForUpdate(ctx, owner, parent)
	switch {
	case errors.Is(err, ErrNotFound) || (err == nil && !p.Live()):
		return nil, errParentNotFound()
	case err != nil:
		return nil, err
	case p.Kind != KindFolder:
		return nil, v1.ErrorNotAFolder("%q is not a folder", p.Name)
	}
	return p, nil
}

// refuseCycle refuses putting any of ids into parent when parent is one of
// them or lies below one of them.
func (uc *NodeUsecase) refuseCycle(ctx context.Context, owner int64, ids []int64, parent int64) error {
	if parent == 0 {
		return nil
	}
	up, err := uc.nodes.Ancestors(ctx, owner, parent)
	if err != nil {
		return err
	}
	above := map[int64]bool{parent: true}
	for _, a := range up {
		above[a.ID] = true
	}
	for _, id := range ids {
		if above[id] {
			return v1.ErrorMoveIntoSelf("a folder cannot go into itself or one of its subfolders")
		}
	}
	return nil
}

// insertNamed inserts n, on a name conflict failing or taking "name (n)".
func (uc *NodeUsecase) insertNamed(ctx context.Context, n *Node, rename bool) error {
	return uc.withFreeName(ctx, n, n.ParentID, n.Name, rename, func(name string) error {
		n.Name = name
		return uc.nodes.Create(ctx, n)
	})
}

// updateNamed moves and/or renames n, with the same conflict rule.
func (uc *NodeUsecase) updateNamed(ctx context.Context, n *Node, parent int64, name string, rename bool) error {
	now := uc.now()
	return uc.withFreeName(ctx, n, parent, name, rename, func(name string) error {
		if err := uc.nodes.Update(ctx, n.OwnerID, n.ID, NodeChange{ParentID: &parent, Name: &name}, now); err != nil {
			return err
		}
		n.ParentID, n.Name, n.UpdatedAt = parent, name, now
		n.Version++
		return nil
	})
}

// withFreeName calls try with name, and on a conflict (when renaming is
// allowed) with the smallest free "name (n)"; a few rounds cover racing writers.
func (uc *NodeUsecase) withFreeName(ctx context.Context, n *Node, parent int64, name string, rename bool, try func(string) error) error {
	err := try(name)
	// tried remembers every candidate refused: a racing writer may hold a
	// name this transaction cannot see yet, so each round must move on.
	tried := map[string]bool{FoldName(name): true}
	for round := 0; errors.Is(err, ErrDuplicate) && rename && round < maxRenameRounds; round++ {
		base, _ := splitExt(name, n.Kind == KindFolder)
		taken, terr := uc.nodes.TakenNames(ctx, n.OwnerID, parent, FoldName(base))
		if terr != nil {
			return terr
		}
		for k := range tried {
			taken[k] = true
		}
		c := freeName(name, n.Kind == KindFolder, taken)
		tried[FoldName(c)] = true
		err = try(c)
	}
	if errors.Is(err, ErrDuplicate) {
		return errNameConflict(name)
	}
	return err
}

// maxRenameRounds bounds the auto-rename retries: each round one racer of
// a crowd wins, so this many can ask for one name at once.
const maxRenameRounds = 32

func dedupe(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
