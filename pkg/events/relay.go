package events

import (
	"context"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"gorm.io/gorm"

	"clouddrive/pkg/telemetry"
)

// Relay publishes a service's outbox in order, a batch at a time, and marks
// what was sent. While the publisher fails (Kafka down) rows stay and are
// sent once it is back. It is a kratos transport.Server.
type Relay struct {
	name      string
	db        *gorm.DB
	pub       Publisher
	batch     int
	interval  time.Duration
	retention time.Duration
	log       *log.Helper
	wake      chan struct{}
	stop      chan struct{}
	done      chan struct{}
}

// RelayOptions tune a relay; zero values take the defaults.
type RelayOptions struct {
	Batch     int           // rows per publish (500)
	Interval  time.Duration // polling when idle (200ms)
	Retention time.Duration // how long sent rows are kept (24h)
	Name      string        // the outbox's name in metrics (the service)
}

// NewRelay relays the outbox of db to pub.
func NewRelay(db *gorm.DB, pub Publisher, o RelayOptions, logger log.Logger) *Relay {
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.Interval <= 0 {
		o.Interval = 200 * time.Millisecond
	}
	if o.Retention <= 0 {
		o.Retention = 24 * time.Hour
	}
	return &Relay{name: o.Name, db: db, pub: pub, batch: o.Batch, interval: o.Interval, retention: o.Retention,
		log:  log.NewHelper(log.With(logger, "module", "events/relay")),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// Kick asks for a run now (after a commit that added events).
func (r *Relay) Kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Start relays until Stop.
func (r *Relay) Start(ctx context.Context) error {
	defer close(r.done)
	t := time.NewTicker(r.interval)
	defer t.Stop()
	backoff := r.interval
	lastPrune := time.Time{}
	for {
		n, err := r.RunOnce(ctx)
		switch {
		case err != nil:
			r.log.Warnw("msg", "publishing the outbox failed; retrying", "err", err)
			backoff = min(backoff*2, 30*time.Second)
		case n == r.batch:
			continue // more waiting: no pause
		default:
			backoff = r.interval
		}
		if time.Since(lastPrune) > time.Hour {
			lastPrune = time.Now()
			r.prune(ctx)
		}
		select {
		case <-r.stop:
			return nil
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-time.After(backoff):
		}
	}
}

// RunOnce publishes one batch of unsent rows and returns how many.
func (r *Relay) RunOnce(ctx context.Context) (int, error) {
	var rows []OutboxRecord
	if err := r.db.WithContext(ctx).Where("sent_at IS NULL").Order("id").Limit(r.batch).Find(&rows).Error; err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, nil
	}
	msgs := make([]Message, len(rows))
	ids := make([]int64, len(rows))
	for i, row := range rows {
		msgs[i] = Message{ID: row.EventID, Topic: row.Topic, Key: row.Key, Payload: row.Payload, Trace: decodeTrace(row.Trace)}
		ids[i] = row.ID
	}
	if err := r.pub.Publish(ctx, msgs); err != nil {
		r.measureBacklog(ctx, -1)
		return 0, err
	}
	// Marked after the publish: a crash in between sends them twice, which
	// idempotent consumers absorb; never zero times.
	err := r.db.WithContext(ctx).Model(&OutboxRecord{}).Where("id IN ?", ids).Update("sent_at", time.Now().UTC()).Error
	if err == nil && len(rows) < r.batch {
		r.measureBacklog(ctx, 0) // all that was waiting went out
	} else {
		r.measureBacklog(ctx, -1)
	}
	return len(rows), err
}

// measureBacklog sets the backlog gauge: to n when known, else counted.
func (r *Relay) measureBacklog(ctx context.Context, n int64) {
	if n < 0 {
		if err := r.db.WithContext(ctx).Model(&OutboxRecord{}).Where("sent_at IS NULL").Count(&n).Error; err != nil {
			return
		}
	}
	telemetry.OutboxBacklog.WithLabelValues(r.name).Set(float64(n))
}

func (r *Relay) prune(ctx context.Context) {
	err := r.db.WithContext(ctx).Where("sent_at < ?", time.Now().UTC().Add(-r.retention)).Delete(&OutboxRecord{}).Error
	if err != nil {
		r.log.Warnw("msg", "pruning the outbox failed", "err", err)
	}
}

// Stop ends Start.
func (r *Relay) Stop(ctx context.Context) error {
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	select {
	case <-r.done:
	case <-ctx.Done():
	}
	return nil
}
