package server

import (
	"context"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"clouddrive/app/notify/internal/biz"
)

// MailWorker sends pending emails: at once when a notification is stored
// (the use case wakes it), and on a timer for retries. It is a kratos
// transport.Server so that the app starts and stops it with the others.
type MailWorker struct {
	mail     *biz.MailUsecase
	interval time.Duration
	log      *log.Helper
	stop     chan struct{}
	done     chan struct{}
}

// NewMailWorker returns a worker that also looks every interval (30s when 0).
func NewMailWorker(mail *biz.MailUsecase, interval time.Duration, logger log.Logger) *MailWorker {
	if interval <= 0 {
		interval = 30 * time.Second
	}
	return &MailWorker{mail: mail, interval: interval, log: log.NewHelper(log.With(logger, "module", "mailworker")),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// Start runs until Stop; without a mailer it only waits.
func (w *MailWorker) Start(ctx context.Context) error {
	defer close(w.done)
	if !w.mail.Enabled() {
		select {
		case <-w.stop:
		case <-ctx.Done():
		}
		return nil
	}
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		w.RunOnce(ctx)
		select {
		case <-w.stop:
			return nil
		case <-ctx.Done():
			return nil
		case <-w.mail.Woken():
		case <-t.C:
		}
	}
}

// RunOnce sends what is due now, a batch after another.
func (w *MailWorker) RunOnce(ctx context.Context) {
	for {
		n, err := w.mail.SendDue(ctx)
		if err != nil {
			w.log.WithContext(ctx).Errorw("msg", "reading the email queue failed", "err", err)
			return
		}
		if n == 0 {
			return
		}
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		default:
		}
	}
}

// Stop ends Start.
func (w *MailWorker) Stop(ctx context.Context) error {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	select {
	case <-w.done:
	case <-ctx.Done():
	}
	return nil
}
