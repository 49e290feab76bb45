package server

import (
	"context"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"clouddrive/app/file/internal/biz"
)

// Janitor purges expired trash, prunes old versions and old changes on a timer. It is a kratos transport.Server
// so that the app starts and stops it with the others.
type Janitor struct {
	trash    *biz.TrashUsecase
	nodes    *biz.NodeUsecase
	changes  *biz.ChangeUsecase
	interval time.Duration
	log      *log.Helper
	stop     chan struct{}
	done     chan struct{}
}

// NewJanitor returns a janitor that runs every interval (never when 0).
func NewJanitor(trash *biz.TrashUsecase, nodes *biz.NodeUsecase, changes *biz.ChangeUsecase, interval time.Duration, logger log.Logger) *Janitor {
	return &Janitor{trash: trash, nodes: nodes, changes: changes, interval: interval, log: log.NewHelper(log.With(logger, "module", "janitor")),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// Start runs until Stop.
func (j *Janitor) Start(ctx context.Context) error {
	defer close(j.done)
	if j.interval <= 0 {
		<-j.stop
		return nil
	}
	t := time.NewTicker(j.interval)
	defer t.Stop()
	for {
		j.RunOnce(ctx)
		select {
		case <-j.stop:
			return nil
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce purges what has expired now: trash, versions past the count or
// age kept, changes older than the feed keeps. Each goes on when another
// failed.
func (j *Janitor) RunOnce(ctx context.Context) {
	p, err := j.trash.PurgeExpired(ctx)
	if err != nil {
		j.log.WithContext(ctx).Errorw("msg", "purging expired trash failed", "err", err)
	} else if p.Nodes > 0 {
		j.log.WithContext(ctx).Infow("msg", "expired trash purged", "nodes", p.Nodes, "bytes", p.Bytes)
	}
	if j.nodes != nil {
		n, bytes, err := j.nodes.PruneVersions(ctx)
		if err != nil {
			j.log.WithContext(ctx).Errorw("msg", "pruning old versions failed", "err", err)
		} else if n > 0 {
			j.log.WithContext(ctx).Infow("msg", "old versions pruned", "versions", n, "bytes", bytes)
		}
	}
	if j.changes != nil {
		n, err := j.changes.PruneExpired(ctx)
		if err != nil {
			j.log.WithContext(ctx).Errorw("msg", "pruning old changes failed", "err", err)
		} else if n > 0 {
			j.log.WithContext(ctx).Infow("msg", "old changes pruned", "changes", n)
		}
	}
}

// Stop ends Start.
func (j *Janitor) Stop(ctx context.Context) error {
	select {
	case <-j.stop:
	default:
		close(j.stop)
	}
	select {
	case <-j.done:
	case <-ctx.Done():
	}
	return nil
}
