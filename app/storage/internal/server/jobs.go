package server

import (
	"context"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"clouddrive/app/storage/internal/biz"
)

// NewCollector collects garbage every interval (never when 0).
func NewCollector(gc *biz.GCUsecase, interval time.Duration, logger log.Logger) *Job {
	h := log.NewHelper(log.With(logger, "module", "collector"))
	return NewJob(interval, func(ctx context.Context) {
		out, err := gc.Run(ctx)
		if err != nil {
			h.WithContext(ctx).Errorw("msg", "garbage collection failed", "err", err)
		}
		if out != nil && (out.Uploads > 0 || out.Blobs > 0) {
			h.WithContext(ctx).Infow("msg", "collected", "uploads", out.Uploads, "blobs", out.Blobs, "bytes", out.Bytes)
		}
	})
}

// NewScrubber re-hashes every blob every interval (never when 0).
func NewScrubber(scrub *biz.ScrubUsecase, interval time.Duration, logger log.Logger) *Job {
	h := log.NewHelper(log.With(logger, "module", "scrub"))
	return NewJob(interval, func(ctx context.Context) {
		rep, err := scrub.RunAll(ctx)
		if err != nil {
			h.WithContext(ctx).Errorw("msg", "scrub failed", "err", err)
		}
		if rep != nil {
			h.WithContext(ctx).Infow("msg", "scrubbed", "checked", rep.Checked, "quarantined", len(rep.Quarantined))
		}
	})
}
