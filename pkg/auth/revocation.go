package auth

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Revocations records that every token a user was issued before a moment is
// void (the account was disabled). Access tokens are verified without calling
// the user service, so this is how "stop working at once" reaches every
// service. A record only needs to outlive the longest access token.
type Revocations interface {
	Revoke(ctx context.Context, userID int64, at time.Time, ttl time.Duration) error
	RevokedAt(ctx context.Context, userID int64) (time.Time, bool, error)
}

// MemoryRevocations serves one process: the standalone binary and tests.
type MemoryRevocations struct {
	mu sync.Mutex
	m  map[int64]memRevocation
}

type memRevocation struct{ at, until time.Time }

// NewMemoryRevocations returns an empty in-process store.
func NewMemoryRevocations() *MemoryRevocations {
	return &MemoryRevocations{m: map[int64]memRevocation{}}
}

// Revoke implements Revocations.
func (r *MemoryRevocations) Revoke(_ context.Context, uid int64, at time.Time, ttl time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[uid] = memRevocation{at: at, until: time.Now().Add(ttl)}
	return nil
}

// RevokedAt implements Revocations.
func (r *MemoryRevocations) RevokedAt(_ context.Context, uid int64) (time.Time, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[uid]
	if !ok || time.Now().After(v.until) {
		delete(r.m, uid)
		return time.Time{}, false, nil
	}
	return v.at, true, nil
}

// RedisRevocations is shared by every service instance of a cluster.
type RedisRevocations struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedisRevocations stores records under prefix+"revoked:"+uid.
func NewRedisRevocations(rdb redis.UniversalClient, prefix string) *RedisRevocations {
	return &RedisRevocations{rdb: rdb, prefix: prefix}
}

func (r *RedisRevocations) key(uid int64) string {
	return r.prefix + "auth:revoked:" + strconv.FormatInt(uid, 10)
}

// Revoke implements Revocations.
func (r *RedisRevocations) Revoke(ctx context.Context, uid int64, at time.Time, ttl time.Duration) error {
	return r.rdb.Set(ctx, r.key(uid), at.UnixMilli(), ttl).Err()
}

// RevokedAt implements Revocations.
func (r *RedisRevocations) RevokedAt(ctx context.Context, uid int64) (time.Time, bool, error) {
	v, err := r.rdb.Get(ctx, r.key(uid)).Int64()
	if err == redis.Nil {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return time.UnixMilli(v), true, nil
}
