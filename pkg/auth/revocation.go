package auth

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// MaxURLTTL bounds the life of a signed URL, so that a revocation record
// kept RecordTTL outlives every URL signed before it as well as every
// access token.
const MaxURLTTL = time.Hour

// RecordTTL is how long a revocation must be kept for tokens that live
// accessTTL: past the longest access token and the longest signed URL.
func RecordTTL(accessTTL time.Duration) time.Duration {
	return max(accessTTL, MaxURLTTL) + time.Minute
}

// Revocation is what voids a user's tokens before they expire: every token
// issued up to At (the account was disabled, its password changed, its
// email claimed, all its sessions signed out), except those of session
// Keep; and single sessions signed out, each up to its own time.
type Revocation struct {
	At       time.Time // zero: no user-wide revocation
	Keep     string
	Sessions map[string]time.Time
}

// Voids reports whether the access token c was revoked.
func (r Revocation) Voids(c Caller) bool {
	if !r.At.IsZero() && !c.IssuedAt.After(r.At) && (r.Keep == "" || c.SessionID != r.Keep) {
		return true
	}
	if c.SessionID == "" {
		return false
	}
	t, ok := r.Sessions[c.SessionID]
	return ok && !c.IssuedAt.After(t)
}

// VoidsSignedAt reports whether a URL signed for the user at signedAt was
// revoked. URLs name no session, so any user-wide revocation counts.
func (r Revocation) VoidsSignedAt(signedAt time.Time) bool {
	return !r.At.IsZero() && !signedAt.After(r.At)
}

// Revocations record revoked tokens per user. Access tokens are verified
// without calling the user service, so this is how "stop working at once"
// reaches every service. A record only needs to outlive the longest access
// token and signed URL (RecordTTL); times are kept in milliseconds, as
// tokens' issue times are.
type Revocations interface {
	// RevokeUser voids every token of the user issued up to at, except
	// those of session keep ("" for none). It replaces the previous
	// user-wide record: each one revokes everything live but keep.
	RevokeUser(ctx context.Context, userID int64, at time.Time, keep string, ttl time.Duration) error
	// RevokeSession voids the tokens of one session issued up to at.
	RevokeSession(ctx context.Context, userID int64, sessionID string, at time.Time, ttl time.Duration) error
	// Get returns the user's record (zero when there is none).
	Get(ctx context.Context, userID int64) (Revocation, error)
}

// MemoryRevocations serves one process: the standalone binary and tests.
type MemoryRevocations struct {
	mu sync.Mutex
	m  map[int64]*memRevocation
}

type memRevocation struct {
	r     Revocation
	until time.Time
}

// NewMemoryRevocations returns an empty in-process store.
func NewMemoryRevocations() *MemoryRevocations {
	return &MemoryRevocations{m: map[int64]*memRevocation{}}
}

func (r *MemoryRevocations) record(uid int64, ttl time.Duration) *memRevocation {
	v, ok := r.m[uid]
	if !ok || time.Now().After(v.until) {
		v = &memRevocation{r: Revocation{Sessions: map[string]time.Time{}}}
		r.m[uid] = v
	}
	v.until = time.Now().Add(ttl)
	return v
}

// RevokeUser implements Revocations.
func (r *MemoryRevocations) RevokeUser(_ context.Context, uid int64, at time.Time, keep string, ttl time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := r.record(uid, ttl)
	v.r.At, v.r.Keep = at.Truncate(time.Millisecond), keep
	return nil
}

// RevokeSession implements Revocations.
func (r *MemoryRevocations) RevokeSession(_ context.Context, uid int64, sid string, at time.Time, ttl time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.record(uid, ttl).r.Sessions[sid] = at.Truncate(time.Millisecond)
	return nil
}

// Get implements Revocations.
func (r *MemoryRevocations) Get(_ context.Context, uid int64) (Revocation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[uid]
	if !ok || time.Now().After(v.until) {
		delete(r.m, uid)
		return Revocation{}, nil
	}
	out := v.r
	out.Sessions = make(map[string]time.Time, len(v.r.Sessions))
	for k, t := range v.r.Sessions {
		out.Sessions[k] = t
	}
	return out, nil
}

// RedisRevocations is shared by every service instance of a cluster: one
// hash per user, read with one HGETALL per request.
type RedisRevocations struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedisRevocations stores records under prefix+"auth:revocation:"+uid.
func NewRedisRevocations(rdb redis.UniversalClient, prefix string) *RedisRevocations {
	return &RedisRevocations{rdb: rdb, prefix: prefix}
}

func (r *RedisRevocations) key(uid int64) string {
	return r.prefix + "auth:revocation:" + strconv.FormatInt(uid, 10)
}

// Hash fields: the user-wide time and kept session, and one per session.
const (
	fieldAt      = "at"
	fieldKeep    = "keep"
	fieldSession = "s:"
)

func (r *RedisRevocations) set(ctx context.Context, uid int64, ttl time.Duration, kv ...any) error {
	k := r.key(uid)
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, k, kv...)
		// Every write is the newest event and every ttl the same bound:
		// extending the whole hash from now keeps each field long enough.
		p.PExpire(ctx, k, ttl)
		return nil
	})
	return err
}

// RevokeUser implements Revocations.
func (r *RedisRevocations) RevokeUser(ctx context.Context, uid int64, at time.Time, keep string, ttl time.Duration) error {
	return r.set(ctx, uid, ttl, fieldAt, at.UnixMilli(), fieldKeep, keep)
}

// RevokeSession implements Revocations.
func (r *RedisRevocations) RevokeSession(ctx context.Context, uid int64, sid string, at time.Time, ttl time.Duration) error {
	return r.set(ctx, uid, ttl, fieldSession+sid, at.UnixMilli())
}

// Get implements Revocations.
func (r *RedisRevocations) Get(ctx context.Context, uid int64) (Revocation, error) {
	m, err := r.rdb.HGetAll(ctx, r.key(uid)).Result()
	if err != nil {
		return Revocation{}, err
	}
	var out Revocation
	for f, v := range m {
		ms, err := strconv.ParseInt(v, 10, 64)
		switch {
		case f == fieldKeep:
			out.Keep = v
		case err != nil:
			continue // not ours: never let a stray field void or admit anything
		case f == fieldAt:
			out.At = time.UnixMilli(ms)
		case strings.HasPrefix(f, fieldSession):
			if out.Sessions == nil {
				out.Sessions = map[string]time.Time{}
			}
			out.Sessions[f[len(fieldSession):]] = time.UnixMilli(ms)
		}
	}
	return out, nil
}
