package biz

import (
	"context"
	"time"
)

// Node is a node of the file service, as a share needs it.
type Node struct {
	ID          int64
	ParentID    int64
	Name        string
	Folder      bool
	Size        int64
	ContentHash string
	Mime        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Trashed is set for a node in the trash (and every node under it).
	Trashed bool
	Version int64
}

// NodePage is a page of a folder; Next is the file service's page token.
type NodePage struct {
	Items []*Node
	Next  string
}

// FileService is the file service's internal API. Every call names the
// owner whose tree it reads: a share always passes its owner, so no id a
// visitor sends can reach another user's nodes. Its errors (quota, names,
// not found) pass through to the client unchanged.
type FileService interface {
	// GetNode returns a node of owner, trashed or not.
	GetNode(ctx context.Context, owner, id int64) (*Node, error)
	// ListChildren returns a page of a folder of owner.
	ListChildren(ctx context.Context, owner, parent int64, pageSize int, pageToken string) (*NodePage, error)
	// GetPath returns the folders above a node of owner, the root's child
	// first, and the node last.
	GetPath(ctx context.Context, owner, id int64) ([]*Node, error)
	// CopyFrom copies live nodes of src into dst's folder parent (0: the
	// root), renaming on conflict, charged to dst's quota.
	CopyFrom(ctx context.Context, src int64, ids []int64, dst, parent int64) ([]*Node, error)
}

// SignedURL is a short-lived download link (path and query).
type SignedURL struct {
	URL       string
	ExpiresAt time.Time
}

// StorageService is the storage service's internal API. share is the
// token of the share the download goes through, signed into the URL: each
// GET of it asks CheckDownload again.
type StorageService interface {
	SignDownload(ctx context.Context, owner, node int64, share string) (*SignedURL, error)
	SignZip(ctx context.Context, owner int64, ids []int64, name, share string) (*SignedURL, error)
	// SignThumbnails signs thumbnail URLs for those of the files that can
	// have one (the others are left out); each GET asks CheckDownload,
	// uncounted.
	SignThumbnails(ctx context.Context, owner int64, ids []int64, size int, share string) ([]Thumbnail, error)
}

// Thumbnail is a signed thumbnail URL of a file of a share.
type Thumbnail struct {
	ID          int64
	ContentHash string
	SignedURL
}

// User is an account of the user service.
type User struct {
	ID       int64
	Username string
	Nickname string
	Disabled bool
}

// DisplayName is the nickname, or the username when there is none.
func (u *User) DisplayName() string {
	if u.Nickname != "" {
		return u.Nickname
	}
	return u.Username
}

// UserService is the user service's internal API.
type UserService interface {
	GetUser(ctx context.Context, id int64) (*User, error)
	// LookupUser finds a user by username, case-insensitively.
	LookupUser(ctx context.Context, username string) (*User, error)
}
