package data

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"

	"github.com/redis/go-redis/v9"

	"clouddrive/app/webdav/internal/biz"
)

// NewPropRepo keeps dead properties in Redis when there is one, else in
// memory.
func NewPropRepo(d *Data) biz.PropRepo {
	if d.Redis == nil {
		return &memoryProps{m: map[[2]int64][]biz.Prop{}}
	}
	return &redisProps{rdb: d.Redis, prefix: d.Prefix}
}

type memoryProps struct {
	mu sync.Mutex
	m  map[[2]int64][]biz.Prop
}

func (r *memoryProps) Get(_ context.Context, owner, node int64) ([]biz.Prop, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]biz.Prop(nil), r.m[[2]int64{owner, node}]...), nil
}

func (r *memoryProps) Set(_ context.Context, owner, node int64, props []biz.Prop) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(props) == 0 {
		delete(r.m, [2]int64{owner, node})
	} else {
		r.m[[2]int64{owner, node}] = append([]biz.Prop(nil), props...)
	}
	return nil
}

// redisProps keeps a node's properties as one JSON value, under its
// owner's id and its own.
type redisProps struct {
	rdb    redis.UniversalClient
	prefix string
}

func (r *redisProps) key(owner, node int64) string {
	return r.prefix + "dav:props:" + strconv.FormatInt(owner, 10) + ":" + strconv.FormatInt(node, 10)
}

func (r *redisProps) Get(ctx context.Context, owner, node int64) ([]biz.Prop, error) {
	raw, err := r.rdb.Get(ctx, r.key(owner, node)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []biz.Prop
	return out, json.Unmarshal(raw, &out)
}

func (r *redisProps) Set(ctx context.Context, owner, node int64, props []biz.Prop) error {
	if len(props) == 0 {
		return r.rdb.Del(ctx, r.key(owner, node)).Err()
	}
	b, err := json.Marshal(props)
	if err != nil {
		return err
	}
	return r.rdb.Set(ctx, r.key(owner, node), b, 0).Err()
}
