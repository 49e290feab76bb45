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
		r := NewRedisRevocations(rdb, prefix)
		t.Cleanup(func() { r.Close(); _ = rdb.Close() })
		return r
	}},
}

func TestRevocations(t *testing.T) {
	for _, st := range revocationStores {
		t.Run(st.name, func(t *testing.T) {
			r := st.new(t)
			ctx := context.Background()
			at := time.Now().Truncate(time.Millisecond)
			before, after := at.Add(-time.Millisecond), at.Add(time.Millisecond)
			if err := r.RevokeUser(ctx, 1, at, "kept", time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := r.RevokeSession(ctx, 2, "gone", at, time.Minute); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name string
				c    Caller
				want bool
			}{
				{"issued before the user's revocation", Caller{UserID: 1, SessionID: "s", IssuedAt: before}, true},
				{"issued in the very millisecond", Caller{UserID: 1, SessionID: "s", IssuedAt: at}, true},
				{"issued after", Caller{UserID: 1, SessionID: "s", IssuedAt: after}, false},
				{"no session (app password) before", Caller{UserID: 1, IssuedAt: before}, true},
				{"the kept session", Caller{UserID: 1, SessionID: "kept", IssuedAt: before}, false},
				{"the revoked session", Caller{UserID: 2, SessionID: "gone", IssuedAt: before}, true},
				{"the revoked session, a token issued after", Caller{UserID: 2, SessionID: "gone", IssuedAt: after}, false},
				{"another session of that user", Caller{UserID: 2, SessionID: "other", IssuedAt: before}, false},
				{"another user", Caller{UserID: 3, SessionID: "s", IssuedAt: before}, false},
			}
			for _, tt := range tests {
				rec, err := r.Get(ctx, tt.c.UserID)
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				if got := rec.Voids(tt.c); got != tt.want {
					t.Errorf("%s: Voids = %v, want %v (record %+v)", tt.name, got, tt.want, rec)
				}
			}
			// URLs name no session: a user-wide revocation voids every URL
			// signed up to it, the kept session's too.
			rec, _ := r.Get(ctx, 1)
			if !rec.VoidsSignedAt(before) || !rec.VoidsSignedAt(at) || rec.VoidsSignedAt(after) {
				t.Errorf("VoidsSignedAt around %v wrong: %+v", at, rec)
			}
			if rec, _ := r.Get(ctx, 2); rec.VoidsSignedAt(before) {
				t.Errorf("a single session's sign-out voided the user's URLs")
			}
			// A later user-wide revocation replaces the earlier one, kept
			// session included.
			later := at.Add(time.Hour)
			if err := r.RevokeUser(ctx, 1, later, "", time.Minute); err != nil {
				t.Fatal(err)
			}
			rec, _ = r.Get(ctx, 1)
			if !rec.At.Equal(later) || rec.Keep != "" || !rec.Voids(Caller{UserID: 1, SessionID: "kept", IssuedAt: after}) {
				t.Fatalf("after a second revocation: %+v", rec)
			}
			// Session records and the user-wide one live side by side.
			if err := r.RevokeSession(ctx, 1, "x", later, time.Minute); err != nil {
				t.Fatal(err)
			}
			if rec, _ = r.Get(ctx, 1); !rec.At.Equal(later) || !rec.Sessions["x"].Equal(later) {
				t.Fatalf("after a session revocation: %+v", rec)
			}
		})
	}
}

func TestRedisRevocationsExpireAndStayUnderPrefix(t *testing.T) {
	addr, prefix := testkit.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	if err := NewRedisRevocations(rdb, prefix).RevokeUser(ctx, 9, time.Now(), "", time.Minute); err != nil {
		t.Fatal(err)
	}
	ttl, err := rdb.TTL(ctx, prefix+"auth:revocation:9").Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("TTL of the record = %v, %v; want up to a minute", ttl, err)
	}
	// Another prefix (another deployment sharing Redis) sees nothing.
	if rec, err := NewRedisRevocations(rdb, prefix+"other:").Get(ctx, 9); err != nil || !rec.At.IsZero() {
		t.Fatalf("another prefix: %+v err=%v", rec, err)
	}
}

func TestRecordTTLOutlivesTokensAndURLs(t *testing.T) {
	for _, access := range []time.Duration{time.Minute, 15 * time.Minute, 3 * time.Hour} {
		if got := RecordTTL(access); got <= access || got <= MaxURLTTL {
			t.Errorf("RecordTTL(%v) = %v: shorter than a token or a URL", access, got)
		}
	}
}

// eventually polls cond until it holds or a generous deadline passes (pub/sub
// delivery is asynchronous); it asserts nothing about how long it took.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

// Instances cache lookups in process; a revocation made by one reaches the
// others through the invalidation channel, not the cache's TTL (an hour
// here), and the one that made it at once.
func TestRedisRevocationsCacheInvalidatedEverywhere(t *testing.T) {
	addr, prefix := testkit.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	a := newRedisRevocations(rdb, prefix, time.Hour)
	b := newRedisRevocations(rdb, prefix, time.Hour)
	defer a.Close()
	defer b.Close()
	for _, r := range []*RedisRevocations{a, b} {
		eventually(t, "the invalidation channel subscribed", func() bool {
			r.cache.mu.Lock()
			defer r.cache.mu.Unlock()
			return r.cache.trusted(time.Now())
		})
	}
	for _, r := range []*RedisRevocations{a, b} {
		if rec, err := r.Get(ctx, 7); err != nil || !rec.At.IsZero() {
			t.Fatalf("fresh user: %+v, %v", rec, err)
		}
		if _, ok := r.cache.get(7); !ok {
			t.Fatal("a lookup was not cached")
		}
	}
	// Cached: a record written behind the instances' backs (no message) is
	// not seen...
	if err := rdb.HSet(ctx, prefix+"auth:revocation:7", fieldSession+"x", time.Now().UnixMilli()).Err(); err != nil {
		t.Fatal(err)
	}
	if rec, _ := b.Get(ctx, 7); len(rec.Sessions) != 0 {
		t.Fatalf("lookup not served from the cache: %+v", rec)
	}
	// ...but a revocation is: at once where it was made, and through the
	// channel elsewhere.
	at := time.Now().Truncate(time.Millisecond)
	if err := a.RevokeUser(ctx, 7, at, "", time.Minute); err != nil {
		t.Fatal(err)
	}
	if rec, _ := a.Get(ctx, 7); !rec.VoidsSignedAt(at) {
		t.Fatalf("the revoking instance does not see its own revocation: %+v", rec)
	}
	eventually(t, "the other instance sees the revocation", func() bool {
		rec, err := b.Get(ctx, 7)
		return err == nil && rec.VoidsSignedAt(at) && len(rec.Sessions) == 1
	})
}

// Without its subscription an instance caches nothing.
func TestRedisRevocationsNoCacheWithoutSubscription(t *testing.T) {
	addr, prefix := testkit.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	r := newRedisRevocations(rdb, prefix, time.Hour)
	r.Close()
	eventually(t, "the watcher stopped", func() bool {
		r.cache.mu.Lock()
		defer r.cache.mu.Unlock()
		return !r.cache.subbed
	})
	if _, err := r.Get(ctx, 8); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.cache.get(8); ok {
		t.Fatal("cached without a live subscription")
	}
	other := NewRedisRevocations(rdb, prefix)
	defer other.Close()
	if err := other.RevokeUser(ctx, 8, time.Now(), "", time.Minute); err != nil {
		t.Fatal(err)
	}
	if rec, _ := r.Get(ctx, 8); rec.At.IsZero() {
		t.Fatal("an instance without its subscription missed a revocation")
	}
}

// A record extended by every sign-out keeps only the sessions whose tokens
// may still be alive.
func TestRevocationsDropExpiredSessions(t *testing.T) {
	for _, st := range revocationStores {
		t.Run(st.name, func(t *testing.T) {
			r := st.new(t)
			ctx := context.Background()
			now := time.Now()
			if err := r.RevokeSession(ctx, 1, "ancient", now.Add(-2*time.Hour), time.Hour); err != nil {
				t.Fatal(err)
			}
			if err := r.RevokeSession(ctx, 1, "recent", now.Add(-time.Minute), time.Hour); err != nil {
				t.Fatal(err)
			}
			if err := r.RevokeSession(ctx, 1, "now", now, time.Hour); err != nil {
				t.Fatal(err)
			}
			rec, err := r.Get(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := rec.Sessions["ancient"]; ok || len(rec.Sessions) != 2 {
				t.Fatalf("sessions %v, want recent and now only", rec.Sessions)
			}
		})
	}
}
