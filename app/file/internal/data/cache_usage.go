package data

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"gorm.io/gorm"

	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/cdc"
)

// cachedQuota reads usage through the cache; changes go to MySQL and fence
// the cached row once committed.
type cachedQuota struct {
	biz.QuotaRepo
	d *Data
	c *Cache
}

// ProvideQuotaRepo is the quota repo, read through the cache when it is on.
func ProvideQuotaRepo(d *Data, c *Cache) biz.QuotaRepo {
	if c == nil {
		return NewQuotaRepo(d)
	}
	return &cachedQuota{QuotaRepo: NewQuotaRepo(d), d: d, c: c}
}

func quotaOf(m *quotaModel) *biz.Quota {
	return &biz.Quota{OwnerID: m.OwnerID, Used: m.UsedBytes, Limit: m.LimitBytes}
}

// Get answers from the cached row; a user without a row yet (cached as
// missing) has the default limit and nothing used, as MySQL would say.
func (r *cachedQuota) Get(ctx context.Context, owner, def int64) (*biz.Quota, error) {
	if inTx(ctx) || !r.c.up() {
		return r.QuotaRepo.Get(ctx, owner, def)
	}
	key := r.c.c.QuotaKey(owner)
	rc, cancel := rctx(ctx)
	e, err := r.c.c.Get(rc, key)
	cancel()
	if err != nil {
		r.c.failed("get quota", err)
		r.c.count("quota", "error")
		return r.QuotaRepo.Get(ctx, owner, def)
	}
	fence := ""
	if e != nil {
		switch e.Kind {
		case cdc.KindSoft:
			fence = e.Fence
		case cdc.KindRow:
			var row cdc.QuotaRow
			if err := json.Unmarshal(e.Data, &row); err == nil && row.OwnerID == owner {
				r.c.count("quota", "hit")
				return &biz.Quota{OwnerID: owner, Used: row.UsedBytes, Limit: row.LimitBytes}, nil
			}
		case cdc.KindMiss:
			r.c.count("quota", "hit")
			return &biz.Quota{OwnerID: owner, Limit: def}, nil
		}
	}
	r.c.count("quota", "miss")
	// A load under a fence joins only loads under the same fence (see
	// cachedNodes.Get).
	v, err, _ := r.c.sf.Do("q:"+strconv.FormatInt(owner, 10)+":"+fence, func() (any, error) {
		var m quotaModel
		err := r.d.db(ctx).Where("owner_id = ?", owner).Take(&m).Error
		rc, cancel := rctx(ctx)
		defer cancel()
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			_, err := r.c.c.Fill(rc, key, cdc.KindMiss, 0, nil, owner, fence)
			r.c.failed("fill quota", err)
			return (*quotaModel)(nil), nil
		case err != nil:
			return nil, err
		}
		row := cdc.QuotaRow{OwnerID: m.OwnerID, UsedBytes: m.UsedBytes, LimitBytes: m.LimitBytes,
			UpdatedAt: cdc.Timestamp{Time: m.UpdatedAt}, Version: m.Version}
		if b, err := json.Marshal(row); err == nil {
			_, err := r.c.c.Fill(rc, key, cdc.KindRow, m.Version, b, 0, fence)
			r.c.failed("fill quota", err)
		}
		return &m, nil
	})
	if err != nil {
		return nil, err
	}
	if m := v.(*quotaModel); m != nil {
		return quotaOf(m), nil
	}
	return &biz.Quota{OwnerID: owner, Limit: def}, nil
}

func (r *cachedQuota) Charge(ctx context.Context, owner, delta, def int64) (*biz.Quota, error) {
	q, err := r.QuotaRepo.Charge(ctx, owner, delta, def)
	if err == nil {
		r.c.changed(ctx, []string{r.c.c.QuotaKey(owner)})
	}
	return q, err
}

func (r *cachedQuota) Release(ctx context.Context, owner, delta int64) error {
	err := r.QuotaRepo.Release(ctx, owner, delta)
	if err == nil && delta != 0 { // nothing released, nothing changed
		r.c.changed(ctx, []string{r.c.c.QuotaKey(owner)})
	}
	return err
}

func (r *cachedQuota) SetLimit(ctx context.Context, owner, limit, def int64) (*biz.Quota, error) {
	q, err := r.QuotaRepo.SetLimit(ctx, owner, limit, def)
	if err == nil {
		r.c.changed(ctx, []string{r.c.c.QuotaKey(owner)})
	}
	return q, err
}
