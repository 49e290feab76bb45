package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"clouddrive/pkg/testkit"
)

// limiters are the two implementations; Redis is skipped under -short.
var limiters = []struct {
	name string
	new  func(t *testing.T) Limiter
}{
	{"memory", func(*testing.T) Limiter { return NewMemory() }},
	{"redis", func(t *testing.T) Limiter {
		addr, prefix := testkit.Redis(t)
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { _ = rdb.Close() })
		return NewRedis(rdb, prefix)
	}},
}

func eachLimiter(t *testing.T, fn func(t *testing.T, l Limiter)) {
	for _, lc := range limiters {
		t.Run(lc.name, func(t *testing.T) { fn(t, lc.new(t)) })
	}
}

func allow(t *testing.T, l Limiter, key string, r Rule) Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), key, r)
	if err != nil {
		t.Fatalf("Allow(%s): %v", key, err)
	}
	return d
}

func TestLimit(t *testing.T) {
	tests := []struct {
		name    string
		rule    Rule
		allowed int
	}{
		{"one", Rule{Limit: 1, Window: time.Minute}, 1},
		{"three", Rule{Limit: 3, Window: time.Minute}, 3},
		{"zero admits nothing", Rule{Limit: 0, Window: time.Minute}, 0},
	}
	eachLimiter(t, func(t *testing.T, l Limiter) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				key := "limit:" + tt.name
				for i := 1; i <= tt.allowed; i++ {
					if d := allow(t, l, key, tt.rule); !d.Allowed || d.RetryAfter != 0 {
						t.Fatalf("hit %d = %+v, want allowed", i, d)
					}
				}
				for i := 0; i < 2; i++ {
					d := allow(t, l, key, tt.rule)
					if d.Allowed {
						t.Fatalf("hit %d over the limit was allowed", tt.allowed+1+i)
					}
					if d.RetryAfter <= 0 || d.RetryAfter > tt.rule.Window {
						t.Fatalf("RetryAfter = %v, want within (0, %v]", d.RetryAfter, tt.rule.Window)
					}
				}
				// Other keys keep their own counts.
				if tt.allowed > 0 && !allow(t, l, key+":other", tt.rule).Allowed {
					t.Fatal("another key was limited too")
				}
			})
		}
	})
}

func TestWindowReset(t *testing.T) {
	rule := Rule{Limit: 2, Window: 150 * time.Millisecond}
	eachLimiter(t, func(t *testing.T, l Limiter) {
		const key = "window"
		allow(t, l, key, rule)
		allow(t, l, key, rule)
		d := allow(t, l, key, rule)
		if d.Allowed {
			t.Fatal("third hit in the window was allowed")
		}
		time.Sleep(d.RetryAfter + 50*time.Millisecond)
		for i := 1; i <= 2; i++ {
			if !allow(t, l, key, rule).Allowed {
				t.Fatalf("hit %d of the next window was refused", i)
			}
		}
		if allow(t, l, key, rule).Allowed {
			t.Fatal("the next window has the same limit")
		}
	})
}

func TestReset(t *testing.T) {
	rule := Rule{Limit: 1, Window: time.Hour}
	eachLimiter(t, func(t *testing.T, l Limiter) {
		ctx := context.Background()
		allow(t, l, "a", rule)
		allow(t, l, "b", rule)
		if allow(t, l, "a", rule).Allowed {
			t.Fatal("second hit allowed")
		}
		if err := l.Reset(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if !allow(t, l, "a", rule).Allowed {
			t.Fatal("first hit after Reset refused")
		}
		if allow(t, l, "b", rule).Allowed {
			t.Fatal("Reset of a also reset b")
		}
		if err := l.Reset(ctx, "never-seen"); err != nil {
			t.Fatalf("Reset of an unknown key: %v", err)
		}
	})
}

func TestConcurrentHits(t *testing.T) {
	rule := Rule{Limit: 10, Window: time.Minute}
	eachLimiter(t, func(t *testing.T, l Limiter) {
		const n = 50
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			allowed int
		)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := l.Allow(context.Background(), "race", rule)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if allowed != rule.Limit {
			t.Fatalf("%d of %d concurrent hits allowed, want %d", allowed, n, rule.Limit)
		}
	})
}

func TestRedisKeysUnderPrefix(t *testing.T) {
	addr, prefix := testkit.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	l := NewRedis(rdb, prefix)
	if _, err := l.Allow(ctx, "login:ip:1.2.3.4", Rule{Limit: 5, Window: time.Minute}); err != nil {
		t.Fatal(err)
	}
	key := prefix + "rl:login:ip:1.2.3.4"
	ttl, err := rdb.PTTL(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > time.Minute {
		t.Fatalf("PTTL(%s) = %v, want the window", key, ttl)
	}
	// A counter that lost its expiry (e.g. written by an old version) gets one.
	if err := rdb.Persist(ctx, key).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Allow(ctx, "login:ip:1.2.3.4", Rule{Limit: 5, Window: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if ttl, _ := rdb.PTTL(ctx, key).Result(); ttl <= 0 {
		t.Fatalf("PTTL after repair = %v, want the window", ttl)
	}
}

func TestMemoryForgetsOldWindows(t *testing.T) {
	l := NewMemory()
	ctx := context.Background()
	short := Rule{Limit: 1, Window: time.Millisecond}
	for i := 0; i < 1000; i++ {
		if _, err := l.Allow(ctx, fmt.Sprint("k", i), short); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * time.Millisecond)
	for i := 0; i < 100; i++ { // crosses the 1024th hit, which sweeps
		_, _ = l.Allow(ctx, "live", Rule{Limit: 1000, Window: time.Hour})
	}
	l.mu.Lock()
	n := len(l.m)
	l.mu.Unlock()
	if n > 100 {
		t.Fatalf("%d windows kept after the sweep, want the expired ones gone", n)
	}
}
