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

// Handle applies one message (an events.Handler). A message that is not a
// change of a known table is logged and dropped: retrying it would stop
// the partition for good.
func (a *Applier) Handle(ctx context.Context, m events.Message) error {
	e, err := cdc.Parse(m.Payload)
	if err != nil {
		a.log.Errorw("msg", "dropping a message that is not a change", "topic", m.Topic, "key", m.Key, "err", err)
		return nil
	}
	var table string
	var committed time.Time
	switch m.Topic {
	case cdc.TopicNodes:
		table = "nodes"
		committed, err = a.node(ctx, e)
	case cdc.TopicQuotas:
		table = "quotas"
		committed, err = a.quota(ctx, e)
	default:
		a.log.Errorw("msg", "dropping a change of an unknown topic", "topic", m.Topic)
		return nil
	}
	if err != nil {
		if _, bad := err.(badRow); bad {
			a.log.Errorw("msg", "dropping a change whose row cannot be read", "topic", m.Topic, "key", m.Key, "err", err)
			return nil
		}
		return err
	}
	// The commit's time: the row's updated_at (milliseconds, set in the
	// transaction) when the change carries the new row, else the binlog
	// event's (seconds) that the producer gave the record.
	if committed.IsZero() {
		committed = m.Time
	}
	if !committed.IsZero() {
		telemetry.CacheLag.WithLabelValues(table).Observe(max(0, a.now().Sub(committed).Seconds()))
	}
	return nil
}

type badRow struct{ error }

func (a *Applier) node(ctx context.Context, e *cdc.Envelope) (time.Time, error) {
	var r cdc.NodeRow
	if err := json.Unmarshal(e.Row(), &r); err != nil || r.ID == 0 {
		return time.Time{}, badRow{fmt.Errorf("node row: %v", err)}
	}
	key := a.cache.NodeKey(r.ID)
	var err error
	var committed time.Time
	if e.Op == cdc.OpCreate {
		_, err = a.cache.Put(ctx, key, cdc.KindRow, r.Version, e.After, 0)
		committed = r.UpdatedAt.Time
	} else {
		// Flink writes an update's old row as a delete too: the tombstone
		// at the old version is replaced by the new row that follows it.
		_, err = a.cache.Put(ctx, key, cdc.KindTomb, r.Version, nil, 0)
	}
	if err != nil {
		return time.Time{}, err
	}
	// The row was (or now is) a child of this folder: its pages move on.
	return committed, a.cache.BumpStamps(ctx, [2]int64{r.OwnerID, r.ParentID})
}

func (a *Applier) quota(ctx context.Context, e *cdc.Envelope) (time.Time, error) {
	var r cdc.QuotaRow
	if err := json.Unmarshal(e.Row(), &r); err != nil || r.OwnerID == 0 {
		return time.Time{}, badRow{fmt.Errorf("quota row: %v", err)}
	}
	key := a.cache.QuotaKey(r.OwnerID)
	if e.Op == cdc.OpCreate {
		_, err := a.cache.Put(ctx, key, cdc.KindRow, r.Version, e.After, 0)
		return r.UpdatedAt.Time, err
	}
	_, err := a.cache.Put(ctx, key, cdc.KindTomb, r.Version, nil, 0)
	return time.Time{}, err
}
