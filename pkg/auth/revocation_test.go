package auth

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"clouddrive/pkg/testkit"
)

// revocationStores are the two implementations; Redis is skipped under -short.
var revocationStores = []struct {
	name string
	new  func(t *testing.T) Revocations
}{
	{"memory", func(*testing.T) Revocations { return NewMemoryRevocations() }},
	{"redis", func(t *testing.T) Revocations {
		addr, prefix := testkit.Redis(t)
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { _ = rdb.Close() })
		return NewRedisRevocations(rdb, prefix)
	}},
}

func TestRevocations(t *testing.T) {
	for _, st := range revocationStores {
		t.Run(st.name, func(t *testing.T) {
			r := st.new(t)
			ctx := context.Background()
			// Milliseconds: what biz passes, and what Redis keeps.
			at := time.Now().Truncate(time.Millisecond)
			if err := r.Revoke(ctx, 1, at, time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := r.Revoke(ctx, 3, at, 100*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name   string
				uid    int64
				wait   time.Duration
				wantOK bool
			}{
				{"revoked user", 1, 0, true},
				{"other user", 2, 0, false},
				{"record outlived its ttl", 3, 250 * time.Millisecond, false},
				{"long record still there", 1, 0, true},
			}
			for _, tt := range tests {
				time.Sleep(tt.wait)
				got, ok, err := r.RevokedAt(ctx, tt.uid)
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				if ok != tt.wantOK {
					t.Fatalf("%s: revoked = %v, want %v", tt.name, ok, tt.wantOK)
				}
				if ok && !got.Equal(at) {
					t.Fatalf("%s: at = %v, want %v", tt.name, got, at)
				}
			}
			// A later revocation replaces the earlier one.
			later := at.Add(time.Hour)
			if err := r.Revoke(ctx, 1, later, time.Minute); err != nil {
				t.Fatal(err)
			}
			if got, ok, _ := r.RevokedAt(ctx, 1); !ok || !got.Equal(later) {
				t.Fatalf("after a second Revoke: %v %v, want %v", got, ok, later)
			}
		})
	}
}

func TestRedisRevocationsUnderPrefix(t *testing.T) {
	addr, prefix := testkit.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	if err := NewRedisRevocations(rdb, prefix).Revoke(ctx, 9, time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	ttl, err := rdb.TTL(ctx, prefix+"auth:revoked:9").Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("TTL of the record = %v, %v; want up to a minute", ttl, err)
	}
	// Another prefix (another deployment sharing Redis) sees nothing.
	if _, ok, err := NewRedisRevocations(rdb, prefix+"other:").RevokedAt(ctx, 9); err != nil || ok {
		t.Fatalf("another prefix: revoked=%v err=%v", ok, err)
	}
}
