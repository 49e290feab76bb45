package data

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"clouddrive/app/webdav/internal/biz"
)

// NewLockRepo keeps locks in Redis when there is one, else in memory.
func NewLockRepo(d *Data) biz.LockRepo {
	if d.Redis == nil {
		return &memoryLocks{m: map[int64][]*biz.Lock{}}
	}
	return &redisLocks{rdb: d.Redis, prefix: d.Prefix}
}

type memoryLocks struct {
	mu sync.Mutex
	m  map[int64][]*biz.Lock
}

func (r *memoryLocks) Update(_ context.Context, owner int64, fn func([]*biz.Lock) ([]*biz.Lock, error)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := make([]*biz.Lock, len(r.m[owner]))
	for i, l := range r.m[owner] {
		c := *l
		cur[i] = &c
	}
	out, err := fn(cur)
	if err != nil {
		return err
	}
	if len(out) == 0 {
		delete(r.m, owner)
	} else {
		r.m[owner] = out
	}
	return nil
}

// redisLocks keeps an owner's locks as one JSON value, changed in an
// optimistic transaction (WATCH): a user holds a handful of locks, and two
// instances changing them at once retry rather than lose one.
type redisLocks struct {
	rdb    redis.UniversalClient
	prefix string
}

func (r *redisLocks) key(owner int64) string {
	return r.prefix + "dav:locks:" + strconv.FormatInt(owner, 10)
}

func (r *redisLocks) Update(ctx context.Context, owner int64, fn func([]*biz.Lock) ([]*biz.Lock, error)) error {
	key := r.key(owner)
	for attempt := 0; attempt < 50; attempt++ {
		err := r.rdb.Watch(ctx, func(tx *redis.Tx) error {
			var cur []*biz.Lock
			raw, err := tx.Get(ctx, key).Bytes()
			switch {
			case errors.Is(err, redis.Nil):
			case err != nil:
				return err
			default:
				if err := json.Unmarshal(raw, &cur); err != nil {
					return err
				}
			}
			out, err := fn(cur)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				if len(out) == 0 {
					p.Del(ctx, key)
					return nil
				}
				b, err := json.Marshal(out)
				if err != nil {
					return err
				}
				// The key outlives its longest lock, then goes.
				ttl := time.Duration(0)
				for _, l := range out {
					if l.Duration < 0 {
						ttl = 0
						break
					}
					ttl = max(ttl, time.Until(l.Expiry)+time.Minute)
				}
				p.Set(ctx, key, b, ttl)
				return nil
			})
			return err
		}, key)
		if !errors.Is(err, redis.TxFailedErr) {
			return err
		}
	}
	return errors.New("webdav: the lock store is too busy")
}
