package data

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"clouddrive/app/storage/internal/biz"
)

// NewChunkIndex is a Redis bitmap per upload when Redis is configured, and
// no view at all otherwise (one machine): the upload repo answers then.
func NewChunkIndex(d *Data) biz.ChunkIndex {
	if d.Redis == nil {
		return noChunkIndex{}
	}
	return &redisChunkIndex{rdb: d.Redis, prefix: d.Prefix}
}

// redisChunkIndex keeps bit 0 set as "this view exists", and bit i+1 for
// chunk i, so a missing key (Redis flushed or restarted) reads as "no view"
// rather than "nothing held".
type redisChunkIndex struct {
	rdb    redis.UniversalClient
	prefix string
}

func (x *redisChunkIndex) key(id string) string { return x.prefix + "upload:chunks:" + id }

func (x *redisChunkIndex) Start(ctx context.Context, id string, ttl time.Duration) error {
	k := x.key(id)
	_, err := x.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SetBit(ctx, k, 0, 1)
		p.Expire(ctx, k, ttl)
		return nil
	})
	return err
}

func (x *redisChunkIndex) Held(ctx context.Context, id string, count int64) ([]int64, bool, error) {
	b, err := x.rdb.Get(ctx, x.key(id)).Bytes()
	if err == redis.Nil {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	bit := func(i int64) bool {
		byteAt := i / 8
		return byteAt < int64(len(b)) && b[byteAt]&(0x80>>(i%8)) != 0
	}
	if !bit(0) {
		return nil, false, nil
	}
	held := []int64{}
	for i := int64(0); i < count; i++ {
		if bit(i + 1) {
			held = append(held, i)
		}
	}
	return held, true, nil
}

// setBit only touches a view that exists, so a lost view stays lost (and
// the repo answers) instead of coming back with holes.
var setBit = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('SETBIT', KEYS[1], ARGV[1], ARGV[2]) end
return -1`)

func (x *redisChunkIndex) Set(ctx context.Context, id string, index int64, held bool) error {
	v := 0
	if held {
		v = 1
	}
	return setBit.Run(ctx, x.rdb, []string{x.key(id)}, index+1, v).Err()
}

func (x *redisChunkIndex) Drop(ctx context.Context, id string) error {
	return x.rdb.Del(ctx, x.key(id)).Err()
}

// noChunkIndex is the absence of a view: every question goes to the repo.
type noChunkIndex struct{}

func (noChunkIndex) Held(context.Context, string, int64) ([]int64, bool, error) {
	return nil, false, nil
}
func (noChunkIndex) Start(context.Context, string, time.Duration) error { return nil }
func (noChunkIndex) Set(context.Context, string, int64, bool) error     { return nil }
func (noChunkIndex) Drop(context.Context, string) error                 { return nil }
