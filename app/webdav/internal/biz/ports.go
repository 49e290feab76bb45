package biz

//go:generate go tool -modfile=../../../../tools/tools.mod mockgen -destination=mock_test.go -package=biz . Files,Blobs,PropRepo,Accounts

import (
	"context"
	"io"
)

// Accounts is the user service: app-password sign-in.
type Accounts interface {
	// SignIn checks a username and app password; ErrBadCredentials when
	// they do not match (an account password never does).
	SignIn(ctx context.Context, username, password string) (*User, error)
}

// Files is the file service, called as the user u (every call acts on u's
// tree only). Name conflicts are ErrExists, absent nodes ErrNotFound;
// other errors (quota, names) pass through.
type Files interface {
	// List returns a page of a folder (0: the root) and the next page's token.
	List(ctx context.Context, u *User, parent int64, pageToken string) ([]*Node, string, error)
	Mkdir(ctx context.Context, u *User, parent int64, name string) (*Node, error)
	// Rename and Move fail with ErrExists on a taken name unless
	// renameOnConflict, when the file service picks "a (1)".
	Rename(ctx context.Context, u *User, id int64, name string, renameOnConflict bool) (*Node, error)
	Move(ctx context.Context, u *User, id, parent int64, renameOnConflict bool) (*Node, error)
	// Copy copies nodes, never bytes.
	Copy(ctx context.Context, u *User, id, parent int64, renameOnConflict bool) (*Node, error)
	// Trash moves a subtree to the trash (never a purge).
	Trash(ctx context.Context, u *User, id int64) error
	Usage(ctx context.Context, u *User) (*Usage, error)
}

// Content is a file's bytes, readable at any offset, with their content
// hash (pkg/contenthash) known.
type Content interface {
	io.ReaderAt
	Size() int64
	Hash() string
}

// NewFile is an upload into a folder.
type NewFile struct {
	Parent int64
	Name   string
	Mime   string
	// RenameOnConflict lets the file service pick "a (1)" when Name is taken.
	RenameOnConflict bool
	Body             Content
}

// Blobs is the storage service, called as the user u.
type Blobs interface {
	// Upload stores the content through the upload protocol (so it is
	// deduplicated and charged to the quota like any upload) and creates
	// the file.
	Upload(ctx context.Context, u *User, f *NewFile) (*Node, error)
	// Open streams a file's bytes from offset to the end.
	Open(ctx context.Context, u *User, n *Node, offset int64) (io.ReadCloser, error)
}
