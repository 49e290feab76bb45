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
