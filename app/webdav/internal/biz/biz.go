// Package biz holds the WebDAV service's use cases (signing a client in,
// resolving paths in the user's tree, moving bytes in and out, locks and
// dead properties) and the ports they need: the user, file and storage
// services and the lock and property stores. It knows nothing of gRPC,
// Redis or the WebDAV wire format.
package biz

import (
	"errors"
	"time"
)

// User is a signed-in WebDAV client: the account, and the short-lived
// access token the file and storage services are called with on its behalf.
type User struct {
	ID       int64
	Username string
	Token    string
	// Until is when Token stops being used (before it expires).
	Until time.Time
}

// Node is a folder or file of the user's tree. The root is ID 0.
type Node struct {
	ID          int64
	ParentID    int64
	Name        string
	Folder      bool
	Size        int64
	ContentHash string
	Mime        string
	UpdatedAt   time.Time
	CreatedAt   time.Time
}

// Usage is the user's quota.
type Usage struct {
	Used  int64
	Limit int64 // 0: unlimited
}

// The errors the use cases return besides the services' own (quota, name
// conflicts, not found), which pass through unchanged.
var (
	// ErrNotFound: no node at that path.
	ErrNotFound = errors.New("webdav: not found")
	// ErrExists: a node already has that name.
	ErrExists = errors.New("webdav: already exists")
	// ErrNotFolder: a path goes through a file, or a folder was expected.
	ErrNotFolder = errors.New("webdav: not a folder")
	// ErrIsFolder: a file was expected.
	ErrIsFolder = errors.New("webdav: is a folder")
	// ErrRoot: the root cannot be changed.
	ErrRoot = errors.New("webdav: the root cannot be changed")
	// ErrBadCredentials: wrong username or app password.
	ErrBadCredentials = errors.New("webdav: wrong username or app password")
	// ErrTooLarge: more than the quota leaves.
	ErrTooLarge = errors.New("webdav: not enough space")
	// ErrBusy: a service shed the call (overload, rate limit); the client
	// may try again shortly.
	ErrBusy = errors.New("webdav: busy, try again")
)

// Throttled is returned when sign-in attempts are over the limit.
type Throttled struct{ RetryAfter time.Duration }

func (t *Throttled) Error() string { return "webdav: too many sign-in attempts" }

// throttled is the refusal ratelimit.Charge answers with.
func throttled(after time.Duration) error { return &Throttled{RetryAfter: after} }
