package biz

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"path"
	"strings"
	"time"
)

// Lock is a WebDAV write lock on a path of the user's tree.
type Lock struct {
	Token string `json:"t"`
	Root  string `json:"r"`
	// ZeroDepth: the lock covers Root only, not what is under it.
	ZeroDepth bool `json:"z,omitempty"`
	// Shared locks coexist with each other; an exclusive one with none.
	Shared   bool   `json:"s,omitempty"`
	OwnerXML string `json:"o,omitempty"`
	// Duration < 0: no timeout.
	Duration time.Duration `json:"d"`
	Expiry   time.Time     `json:"e"`
}

// LockCondition is one entry of an If header: a lock token (or an ETag,
// which the handler checks itself), possibly negated.
type LockCondition struct {
	Not   bool
	Token string
	ETag  string
}

// The lock errors, as x/net/webdav's LockSystem names them.
var (
	ErrConfirmationFailed = errors.New("webdav: confirmation failed")
	ErrLocked             = errors.New("webdav: locked")
	ErrNoSuchLock         = errors.New("webdav: no such lock")
)

// LockRepo keeps each owner's locks, shared by every instance (Redis in a
// deployment, memory standalone).
type LockRepo interface {
	// Update reads an owner's locks, lets fn change them and writes what
	// it returns, atomically against other instances.
	Update(ctx context.Context, owner int64, fn func(locks []*Lock) ([]*Lock, error)) error
}

// LockUsecase is the lock system of one user (RFC 4918 write locks, the
// rules of x/net/webdav's in-memory one), over a shared store.
type LockUsecase struct {
	repo LockRepo
}

// NewLockUsecase builds the use case.
func NewLockUsecase(repo LockRepo) *LockUsecase { return &LockUsecase{repo: repo} }

func cleanLockPath(p string) string {
	c := path.Clean("/" + p)
	return c
}

// covers reports whether l applies to name.
func (l *Lock) covers(name string) bool {
	if l.Root == name {
		return true
	}
	if l.ZeroDepth {
		return false
	}
	return l.Root == "/" || strings.HasPrefix(name, l.Root+"/")
}

func live(locks []*Lock, now time.Time) []*Lock {
	out := locks[:0]
	for _, l := range locks {
		if l.Duration < 0 || now.Before(l.Expiry) {
			out = append(out, l)
		}
	}
	return out
}

// Confirm checks that the conditions name locks covering name0 and name1
// (empty names are skipped).
func (uc *LockUsecase) Confirm(ctx context.Context, owner int64, now time.Time, name0, name1 string, conds ...LockCondition) error {
	return uc.repo.Update(ctx, owner, func(locks []*Lock) ([]*Lock, error) {
		locks = live(locks, now)
		for _, name := range []string{name0, name1} {
			if name == "" {
				continue
			}
			name = cleanLockPath(name)
			if lookup(locks, name, conds) == nil {
				return nil, ErrConfirmationFailed
			}
		}
		return locks, nil
	})
}

func lookup(locks []*Lock, name string, conds []LockCondition) *Lock {
	for _, c := range conds {
		if c.Token == "" || c.Not {
			continue
		}
		for _, l := range locks {
			if l.Token == c.Token && l.covers(name) {
				return l
			}
		}
	}
	return nil
}

// Create takes a lock on root; ErrLocked when root, a folder above it
// (depth infinity) or, for a depth-infinity lock, anything under it is
// locked already, unless both locks are shared.
func (uc *LockUsecase) Create(ctx context.Context, owner int64, now time.Time, l Lock) (string, error) {
	l.Root = cleanLockPath(l.Root)
	// 80 random bits, short: clients echo the token beside two ETags (64
	// hex digits each) in one If header, and some (litmus's neon) cut that
	// header at 200 bytes. A token only counts for its own user's locks.
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	l.Token = "opaquelocktoken:" + strings.ToLower(base32.StdEncoding.EncodeToString(b))
	if l.Duration >= 0 {
		l.Expiry = now.Add(l.Duration)
	}
	err := uc.repo.Update(ctx, owner, func(locks []*Lock) ([]*Lock, error) {
		locks = live(locks, now)
		for _, o := range locks {
			if l.Shared && o.Shared {
				continue
			}
			if o.covers(l.Root) || l.covers(o.Root) {
				return nil, ErrLocked
			}
		}
		return append(locks, &l), nil
	})
	if err != nil {
		return "", err
	}
	return l.Token, nil
}

// Refresh restarts a lock's timeout.
func (uc *LockUsecase) Refresh(ctx context.Context, owner int64, now time.Time, token string, d time.Duration) (*Lock, error) {
	var found *Lock
	err := uc.repo.Update(ctx, owner, func(locks []*Lock) ([]*Lock, error) {
		locks = live(locks, now)
		for _, l := range locks {
			if l.Token == token {
				l.Duration = d
				if d >= 0 {
					l.Expiry = now.Add(d)
				}
				c := *l
				found = &c
				return locks, nil
			}
		}
		return nil, ErrNoSuchLock
	})
	return found, err
}

// Unlock removes a lock.
func (uc *LockUsecase) Unlock(ctx context.Context, owner int64, now time.Time, token string) error {
	return uc.repo.Update(ctx, owner, func(locks []*Lock) ([]*Lock, error) {
		locks = live(locks, now)
		for i, l := range locks {
			if l.Token == token {
				return append(locks[:i], locks[i+1:]...), nil
			}
		}
		return nil, ErrNoSuchLock
	})
}
