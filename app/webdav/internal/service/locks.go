package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/net/webdav"

	"clouddrive/app/webdav/internal/biz"
)

// lockSystem is x/net/webdav's LockSystem over one user's locks in the
// shared store (so a LOCK on one instance holds on every other).
type lockSystem struct {
	ctx   context.Context
	owner int64
	uc    *biz.LockUsecase
	fs    *fileSystem
}

var _ webdav.LockSystem = (*lockSystem)(nil)

func lockErr(err error) error {
	switch {
	case errors.Is(err, biz.ErrConfirmationFailed):
		return webdav.ErrConfirmationFailed
	case errors.Is(err, biz.ErrLocked):
		return webdav.ErrLocked
	case errors.Is(err, biz.ErrNoSuchLock):
		return webdav.ErrNoSuchLock
	}
	return err
}

func (l *lockSystem) Confirm(now time.Time, name0, name1 string, conditions ...webdav.Condition) (func(), error) {
	// x/net/webdav leaves ETag conditions to the lock system: a list
	// holds only if each [etag] matches name0 (or, with Not, does not).
	for _, c := range conditions {
		if c.ETag != "" && (l.etag(name0) == c.ETag) == c.Not {
			return nil, webdav.ErrConfirmationFailed
		}
	}
	conds := make([]biz.LockCondition, len(conditions))
	for i, c := range conditions {
		conds[i] = biz.LockCondition{Not: c.Not, Token: c.Token, ETag: c.ETag}
	}
	if err := l.uc.Confirm(l.ctx, l.owner, now, name0, name1, conds...); err != nil {
		return nil, lockErr(err)
	}
	return func() {}, nil
}

func (l *lockSystem) Create(now time.Time, d webdav.LockDetails) (string, error) {
	token, err := l.uc.Create(l.ctx, l.owner, now, biz.Lock{Root: d.Root, ZeroDepth: d.ZeroDepth, OwnerXML: d.OwnerXML, Duration: d.Duration})
	return token, lockErr(err)
}

func (l *lockSystem) Refresh(now time.Time, token string, duration time.Duration) (webdav.LockDetails, error) {
	lk, err := l.uc.Refresh(l.ctx, l.owner, now, token, duration)
	if err != nil {
		return webdav.LockDetails{}, lockErr(err)
	}
	return webdav.LockDetails{Root: lk.Root, Duration: lk.Duration, OwnerXML: lk.OwnerXML, ZeroDepth: lk.ZeroDepth}, nil
}

func (l *lockSystem) Unlock(now time.Time, token string) error {
	return lockErr(l.uc.Unlock(l.ctx, l.owner, now, token))
}

// etag is the ETag x/net/webdav gives name: the content hash for files,
// its own (time and size) for folders; empty when absent.
func (l *lockSystem) etag(name string) string {
	if name == "" || l.fs == nil {
		return ""
	}
	fi, err := l.fs.Stat(l.ctx, name)
	if err != nil {
		return ""
	}
	if t, err := fi.(webdav.ETager).ETag(l.ctx); err == nil {
		return t
	}
	return fmt.Sprintf(`"%x%x"`, fi.ModTime().UnixNano(), fi.Size())
}
