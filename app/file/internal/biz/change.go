package biz

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	v1 "clouddrive/api/file/v1"
)

// Change is one entry of a user's change feed: what happened to which
// node, where it is, and its content, at a position (Seq) in the user's
// sequence. A change to a folder covers its whole subtree.
type Change struct {
	Seq         int64
	OwnerID     int64
	Type        EventType
	NodeID      int64
	ParentID    int64
	Kind        Kind
	Name        string
	Path        string
	OldPath     string
	ContentHash string
	Size        int64
	NodeVersion int64
	At          time.Time
}

// ChangeTypeName is a change's type as clients see it.
func ChangeTypeName(t EventType) string {
	switch t {
	case EventCreated, EventCopied:
		return "created"
	case EventRenamed:
		return "renamed"
	case EventMoved:
		return "moved"
	case EventTrashed:
		return "trashed"
	case EventRestored:
		return "restored"
	case EventPurged:
		return "purged"
	case EventVersioned:
		return "version"
	case EventVersionRestored:
		return "version_restored"
	}
	return "unknown"
}

// ChangeRepo stores the feeds.
type ChangeRepo interface {
	// Append gives c the owner's next position and stores it, in the
	// caller's transaction: a per-owner counter row bumped in place, so
	// two writers of one owner take turns and positions have no gaps.
	Append(ctx context.Context, c *Change) error
	// List is the owner's changes after seq, in order.
	List(ctx context.Context, owner, after int64, limit int) ([]*Change, error)
	// Head is the owner's latest position and the latest one pruned.
	Head(ctx context.Context, owner int64) (last, pruned int64, err error)
	// Prune drops changes of any owner made before t, remembering per
	// owner the latest position dropped; it says how many went.
	Prune(ctx context.Context, before time.Time, limit int) (int64, error)
}

// ChangeWaker tells waiters of an owner that the owner's feed has moved.
// The file service feeds it from the events (the in-process bus or Kafka),
// so a waiter on any instance wakes on a change made on any other.
type ChangeWaker interface {
	// Subscribe returns a channel that gets a value when owner's feed
	// moves, until cancel.
	Subscribe(owner int64) (ch <-chan struct{}, cancel func())
}

// Feed records changes in the transaction of the change.
type Feed struct {
	changes ChangeRepo
	nodes   NodeRepo
}

// NewFeed builds the recorder.
func NewFeed(changes ChangeRepo, nodes NodeRepo) *Feed { return &Feed{changes: changes, nodes: nodes} }

// PathOf is n's slash-separated path from the root ("/a/b.txt"), read in
// the caller's transaction; a node still in the database is required.
func (f *Feed) PathOf(ctx context.Context, n *Node) (string, error) {
	up, err := f.nodes.Ancestors(ctx, n.OwnerID, n.ID)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, a := range up {
		b.WriteString("/")
		b.WriteString(a.Name)
	}
	b.WriteString("/")
	b.WriteString(n.Name)
	return b.String(), nil
}

// pathUnder is the path of a node named name in folder p (nil: the root),
// in the caller's transaction: read only for a folder below a top folder
// ("" for a nil Feed).
func (f *Feed) pathUnder(ctx context.Context, p *Node, name string) (string, error) {
	switch {
	case f == nil:
		return "", nil
	case p == nil:
		return "/" + name, nil
	case p.ParentID == 0:
		return "/" + p.Name + "/" + name, nil
	}
	up, err := f.PathOf(ctx, p)
	return up + "/" + name, err
}

// record appends the change e describes (n as it is now, oldPath before a
// move or rename) to its owner's feed, then e to the outbox with the
// position it got. A nil Feed records events only (tests of other parts).
func (f *Feed) record(ctx context.Context, out OutboxRepo, e *Event, n *Node, oldPath string) error {
	path := ""
	if f != nil {
		var err error
		if path, err = f.PathOf(ctx, n); err != nil {
			return err
		}
	}
	return f.recordAt(ctx, out, e, n, path, oldPath)
}

// recordAt is record with n's path read already (trash, purge).
func (f *Feed) recordAt(ctx context.Context, out OutboxRepo, e *Event, n *Node, path, oldPath string) error {
	if f != nil {
		c := &Change{OwnerID: n.OwnerID, Type: e.Type, NodeID: n.ID, ParentID: n.ParentID, Kind: n.Kind,
			Name: n.Name, Path: path, OldPath: oldPath, ContentHash: n.ContentHash, Size: n.Size,
			NodeVersion: n.Version, At: time.UnixMilli(e.OccurredAt).UTC()}
		if e.Type == EventPurged {
			c.Size = e.Size
		}
		if err := f.changes.Append(ctx, c); err != nil {
			return err
		}
		e.ChangeSeq = c.Seq
	}
	return out.Add(ctx, e)
}

// oldPath is n's path before a move or rename ("" for a nil Feed).
func (f *Feed) oldPath(ctx context.Context, n *Node) (string, error) {
	if f == nil {
		return "", nil
	}
	return f.PathOf(ctx, n)
}

// ChangeUsecase reads a user's change feed and waits on it.
type ChangeUsecase struct {
	changes ChangeRepo
	waker   ChangeWaker
	policy  *Policy
	now     Clock
	log     *log.Helper
}

// NewChangeUsecase builds the use case.
func NewChangeUsecase(changes ChangeRepo, waker ChangeWaker, p *Policy, now Clock, logger log.Logger) *ChangeUsecase {
	return &ChangeUsecase{changes: changes, waker: waker, policy: p, now: now,
		log: log.NewHelper(log.With(logger, "module", "biz/change"))}
}

// ChangePage is a page of the feed and the position after it.
type ChangePage struct {
	Changes []*Change
	Next    int64
	HasMore bool
}

func errCursorReset() error {
	return v1.ErrorCursorReset("this cursor is older than the changes kept: list the files again and start from a new cursor")
}

// MaxWait bounds a long-poll.
const MaxWait = 60 * time.Second

// List pages owner's changes after position after; latest skips to now.
// A position before the pruned ones, or past the latest (a database
// restored from a backup), is CURSOR_RESET.
func (uc *ChangeUsecase) List(ctx context.Context, owner, after int64, limit int, latest bool) (*ChangePage, error) {
	last, pruned, err := uc.changes.Head(ctx, owner)
	if err != nil {
		return nil, err
	}
	if latest {
		return &ChangePage{Next: last}, nil
	}
	if after < pruned || after > last {
		return nil, errCursorReset()
	}
	if limit <= 0 {
		limit = 500
	}
	limit = min(limit, 1000)
	cs, err := uc.changes.List(ctx, owner, after, limit+1)
	if err != nil {
		return nil, err
	}
	p := &ChangePage{Changes: cs, Next: after}
	if len(cs) > limit {
		p.Changes, p.HasMore = cs[:limit], true
	}
	if n := len(p.Changes); n > 0 {
		p.Next = p.Changes[n-1].Seq
	}
	return p, nil
}

// Wait returns true as soon as owner's feed moves past after, false when
// timeout (at most MaxWait) passes first. It wakes on the waker; the poll
// of the database at the policy's interval is only a safety net for a
// wake-up lost on the way.
func (uc *ChangeUsecase) Wait(ctx context.Context, owner, after int64, timeout time.Duration) (bool, error) {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	timeout = min(timeout, MaxWait)
	// Subscribed before the first read: a change committed in between
	// is seen either by the read or by the channel.
	ch, cancel := uc.waker.Subscribe(owner)
	defer cancel()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	poll := uc.policy.ChangesPollInterval
	if poll <= 0 {
		poll = 10 * time.Second
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		last, pruned, err := uc.changes.Head(ctx, owner)
		if err != nil {
			return false, err
		}
		if after < pruned || after > last {
			return false, errCursorReset()
		}
		if last > after {
			return true, nil
		}
		select {
		case <-ch:
		case <-tick.C:
		case <-deadline.C:
			return false, nil
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return false, nil
			}
			return false, ctx.Err()
		}
	}
}

// PruneExpired drops changes older than the retention (the janitor).
func (uc *ChangeUsecase) PruneExpired(ctx context.Context) (int64, error) {
	if uc.policy.ChangeRetention <= 0 {
		return 0, nil
	}
	var total int64
	for {
		n, err := uc.changes.Prune(ctx, uc.now().Add(-uc.policy.ChangeRetention), 1000)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}
