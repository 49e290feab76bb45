package server

import (
	"context"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"clouddrive/app/storage/internal/biz"
)

// Collector runs garbage collection on a timer, as a kratos server.
type Collector struct {
	gc       *biz.GCUsecase
	interval time.Duration
	log      *log.Helper
	stop     chan struct{}
	done     chan struct{}
}

// NewCollector returns a collector that runs every interval (never when 0).
func NewCollector(gc *biz.GCUsecase, interval time.Duration, logger log.Logger) *Collector {
	return &Collector{gc: gc, interval: interval, log: log.NewHelper(log.With(logger, "module", "collector")),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// Start runs until Stop.
func (c *Collector) Start(ctx context.Context) error {
	defer close(c.done)
	if c.interval <= 0 {
		<-c.stop
		return nil
	}
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return nil
		case <-ctx.Done():
			return nil
		case <-t.C:
			c.RunOnce(ctx)
		}
	}
}

// RunOnce collects now.
func (c *Collector) RunOnce(ctx context.Context) {
	out, err := c.gc.Run(ctx)
	if err != nil {
		c.log.WithContext(ctx).Errorw("msg", "garbage collection failed", "err", err)
	}
	if out != nil && (out.Uploads > 0 || out.Blobs > 0) {
		c.log.WithContext(ctx).Infow("msg", "collected", "uploads", out.Uploads, "blobs", out.Blobs, "bytes", out.Bytes)
	}
}

// Stop ends Start.
func (c *Collector) Stop(ctx context.Context) error {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	select {
	case <-c.done:
	case <-ctx.Done():
	}
	return nil
}
