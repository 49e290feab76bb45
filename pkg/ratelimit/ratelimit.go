// Package ratelimit counts attempts per key in fixed windows: in Redis when
// several instances share the limit, in memory for the standalone binary.
// Logins, sign-in codes and share extraction codes are charged here before
// anything secret is compared.
package ratelimit

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Rule is at most Limit hits per Window.
type Rule struct {
	Limit  int
	Window time.Duration
}

// Decision is the outcome of one hit.
type Decision struct {
	Allowed    bool
	RetryAfter time.Duration
}

// Limiter charges one hit to key under rule.
type Limiter interface {
	Allow(ctx context.Context, key string, rule Rule) (Decision, error)
	// Reset forgets key (after a success that should clear failures).
	Reset(ctx context.Context, key string) error
}

// Memory is a Limiter for one process.
type Memory struct {
	mu sync.Mutex
	m  map[string]*window
	n  int
}

type window struct {
	start time.Time
	count int
	ttl   time.Duration
}

// NewMemory returns an empty in-process limiter.
func NewMemory() *Memory { return &Memory{m: map[string]*window{}} }

// Allow implements Limiter.
func (l *Memory) Allow(_ context.Context, key string, r Rule) (Decision, error) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	if l.n%1024 == 0 { // drop old windows now and then, so keys do not pile up
		for k, w := range l.m {
			if now.Sub(w.start) > w.ttl {
				delete(l.m, k)
			}
		}
	}
	w, ok := l.m[key]
	if !ok || now.Sub(w.start) >= r.Window {
		w = &window{start: now, ttl: r.Window}
		l.m[key] = w
	}
	w.count++
	if w.count > r.Limit {
		return Decision{RetryAfter: w.start.Add(r.Window).Sub(now)}, nil
	}
	return Decision{Allowed: true}, nil
}

// Reset implements Limiter.
func (l *Memory) Reset(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, key)
	return nil
}

// Redis is a Limiter shared through Redis.
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedis keeps counters under prefix+"rl:"+key.
func NewRedis(rdb redis.UniversalClient, prefix string) *Redis {
	return &Redis{rdb: rdb, prefix: prefix}
}

// One round trip: count the hit, start the window on the first one, and say
// how long the window still runs.
var hitScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`)

// Allow implements Limiter.
func (l *Redis) Allow(ctx context.Context, key string, r Rule) (Decision, error) {
	res, err := hitScript.Run(ctx, l.rdb, []string{l.prefix + "rl:" + key}, r.Window.Milliseconds()).Int64Slice()
	if err != nil {
		return Decision{}, err
	}
	if int(res[0]) > r.Limit {
		return Decision{RetryAfter: time.Duration(res[1]) * time.Millisecond}, nil
	}
	return Decision{Allowed: true}, nil
}

// Reset implements Limiter.
func (l *Redis) Reset(ctx context.Context, key string) error {
	return l.rdb.Del(ctx, l.prefix+"rl:"+key).Err()
}
