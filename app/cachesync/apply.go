package cachesync

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"clouddrive/pkg/cdc"
	"clouddrive/pkg/events"
	"clouddrive/pkg/telemetry"
)

// Applier turns change messages into cache writes. Every write is
// idempotent and ordered by the row's version, so a message delivered twice
// or late does nothing.
type Applier struct {
	cache *cdc.Cache
	log   *log.Helper
	now   func() time.Time
}

// NewApplier returns an applier over cache.
func NewApplier(cache *cdc.Cache, logger log.Logger) *Applier {
	return &Applier{cache: cache, now: time.Now, log: log.NewHelper(log.With(logger, "module", "cachesync"))}
}

// Handle applies one message (an events.Handler).
func (a *Applier) Handle(ctx context.Context, m events.Message) error {
	return a.HandleBatch(ctx, []events.Message{m})
}

// HandleBatch applies messages in their order as one Redis pipeline (an
// events.BatchHandler): one round trip a batch, where a change at a time
// took two. A message that is not a change of a known table is logged and
// dropped: retrying it would stop the partition for good. On an error
// nothing is dropped: the consumer hands the whole batch over again, which
// the version-guarded writes make harmless.
func (a *Applier) HandleBatch(ctx context.Context, ms []events.Message) error {
	changes := make([]cdc.Change, 0, len(ms))
	type applied struct {
		table     string
		committed time.Time
	}
	done := make([]applied, 0, len(ms))
	for _, m := range ms {
		ch, table, committed, ok := a.change(m)
		if !ok {
			continue
		}
		changes = append(changes, ch)
		// The commit's time: the row's updated_at (milliseconds, set in
		// the transaction) when the change carries the new row, else the
		// binlog event's (seconds) that the producer gave the record.
		if committed.IsZero() {
			committed = m.Time
		}
		done = append(done, applied{table, committed})
	}
	if err := a.cache.Apply(ctx, changes); err != nil {
		return err
	}
	now := a.now()
	for _, d := range done {
		if !d.committed.IsZero() {
			telemetry.CacheLag.WithLabelValues(d.table).Observe(max(0, now.Sub(d.committed).Seconds()))
		}
	}
	return nil
}

// change is the cache write m asks for; ok is false when m is dropped.
func (a *Applier) change(m events.Message) (ch cdc.Change, table string, committed time.Time, ok bool) {
	e, err := cdc.Parse(m.Payload)
	if err != nil {
		a.log.Errorw("msg", "dropping a message that is not a change", "topic", m.Topic, "key", m.Key, "err", err)
		return ch, "", committed, false
	}
	switch m.Topic {
	case cdc.TopicNodes:
		table = "nodes"
		ch, committed, err = a.node(e)
	case cdc.TopicQuotas:
		table = "quotas"
		ch, committed, err = a.quota(e)
	default:
		a.log.Errorw("msg", "dropping a change of an unknown topic", "topic", m.Topic)
		return ch, "", committed, false
	}
	if err != nil {
		a.log.Errorw("msg", "dropping a change whose row cannot be read", "topic", m.Topic, "key", m.Key, "err", err)
		return ch, "", committed, false
	}
	return ch, table, committed, true
}

func (a *Applier) node(e *cdc.Envelope) (cdc.Change, time.Time, error) {
	var r cdc.NodeRow
	if err := json.Unmarshal(e.Row(), &r); err != nil || r.ID == 0 {
		return cdc.Change{}, time.Time{}, fmt.Errorf("node row: %v", err)
	}
	// The row was (or now is) a child of this folder: its pages move on.
	ch := cdc.Change{Key: a.cache.NodeKey(r.ID), Version: r.Version, Folders: [][2]int64{{r.OwnerID, r.ParentID}}}
	if e.Op == cdc.OpCreate {
		ch.Kind, ch.Data = cdc.KindRow, e.After
		return ch, r.UpdatedAt.Time, nil
	}
	// Flink writes an update's old row as a delete too: the tombstone at
	// the old version is replaced by the new row that follows it.
	ch.Kind = cdc.KindTomb
	return ch, time.Time{}, nil
}

func (a *Applier) quota(e *cdc.Envelope) (cdc.Change, time.Time, error) {
	var r cdc.QuotaRow
	if err := json.Unmarshal(e.Row(), &r); err != nil || r.OwnerID == 0 {
		return cdc.Change{}, time.Time{}, fmt.Errorf("quota row: %v", err)
	}
	ch := cdc.Change{Key: a.cache.QuotaKey(r.OwnerID), Version: r.Version}
	if e.Op == cdc.OpCreate {
		ch.Kind, ch.Data = cdc.KindRow, e.After
		return ch, r.UpdatedAt.Time, nil
	}
	ch.Kind = cdc.KindTomb
	return ch, time.Time{}, nil
}
