package syncer

import (
	"context"
	"time"
)

// RemoteEntry is a file or folder of the drive side.
type RemoteEntry struct {
	ID   string
	Kind string
	Size int64
	Hash string // files only
}

// Leftover is a node the sync made under a temporary name and did not get
// to rename (the process was killed); old ones are trashed.
type Leftover struct {
	ID, Path  string
	UpdatedAt time.Time
}

// Snapshot is the drive side at one moment: every entry under the synced
// folder by relative slash path.
type Snapshot struct {
	Entries   map[string]*RemoteEntry
	Leftovers []Leftover
	// Cursor is the change feed's position this snapshot includes every
	// change up to (taken before a listing); empty without a feed.
	Cursor string
	// Listed: the whole folder was walked (not replayed from the feed).
	Listed bool
}

// Since is what a Remote may build a snapshot from instead of listing the
// whole folder: the drive side as it was at Cursor (the bases after a pass
// without failures), brought up to date from the change feed.
type Since struct {
	Cursor string
	Known  map[string]*RemoteEntry
}

// Remote is the drive folder the local folder is paired with. Paths are
// relative to it, slash-separated. The engine speaks only this interface,
// so the listing can come from a full walk or, once the file service has
// one, from its change feed.
type Remote interface {
	// Snapshot lists the whole folder, or, given since, may replay the
	// changes after since.Cursor over since.Known.
	Snapshot(ctx context.Context, since *Since) (*Snapshot, error)
	// Mkdir makes a folder and its missing parents (an existing folder is
	// fine).
	Mkdir(ctx context.Context, p string) (*RemoteEntry, error)
	// Upload puts a local file at p, where nothing is; instant when the
	// content is stored already (anyone's), resumed when an earlier try
	// was interrupted.
	Upload(ctx context.Context, local, p string) (*RemoteEntry, error)
	// Replace puts a local file at p over the file old (which goes to the
	// trash, so the previous content is never lost).
	Replace(ctx context.Context, old *RemoteEntry, local, p string) (*RemoteEntry, error)
	// Download writes the file's content to tmp (resuming an earlier try of
	// the same node), checked against its content hash.
	Download(ctx context.Context, e *RemoteEntry, p, tmp string) error
	// Move moves or renames the node at from to p.
	Move(ctx context.Context, e *RemoteEntry, from, p string) (*RemoteEntry, error)
	// Trash moves the node to the drive's trash (never purged).
	Trash(ctx context.Context, e *RemoteEntry, p string) error
	// Wait returns when the folder may have changed, or after at most
	// timeout.
	Wait(ctx context.Context, timeout time.Duration) error
}
