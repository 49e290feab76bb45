package auth

import (
	"context"
	"errors"
	"net"
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
	now := time.Now()
	v, ok := r.m[uid]
	if !ok || now.After(v.until) {
		v = &memRevocation{r: Revocation{Sessions: map[string]time.Time{}}}
		r.m[uid] = v
	}
	v.until = now.Add(ttl)
	// Each write extends the record: drop the sessions whose tokens have
	// all expired, so a user who signs out often does not grow it forever.
	for sid, at := range v.r.Sessions {
		if at.Before(now.Add(-ttl)) {
			delete(v.r.Sessions, sid)
		}
	}
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
// hash per user. Every request looks its user up, so lookups are cached in
// process, but only while a subscription to the invalidation channel is
// alive: every write publishes the user's id and every instance drops its
// cache, so a revocation takes effect at once in the process that made it
// and as soon as Redis delivers it everywhere else. The cache's TTL only
// bounds what a message lost in flight could leave behind.
type RedisRevocations struct {
	rdb    redis.UniversalClient
	prefix string
	cache  *revocationCache
	stop   context.CancelFunc
}

// Cache tunables: how long an entry lives, how often the subscription is
// pinged, and how long without a sign of life it is trusted.
const (
	revocationCacheTTL = 5 * time.Second
	revocationPing     = time.Second
	revocationAlive    = 3 * time.Second
)

// NewRedisRevocations stores records under prefix+"auth:revocation:"+uid
// and watches prefix+"auth:revocation" for invalidations until Close (or
// until rdb is closed).
func NewRedisRevocations(rdb redis.UniversalClient, prefix string) *RedisRevocations {
	return newRedisRevocations(rdb, prefix, revocationCacheTTL)
}

func newRedisRevocations(rdb redis.UniversalClient, prefix string, ttl time.Duration) *RedisRevocations {
	ctx, stop := context.WithCancel(context.Background())
	r := &RedisRevocations{rdb: rdb, prefix: prefix, cache: newRevocationCache(ttl), stop: stop}
	go r.watch(ctx)
	return r
}

// Close stops watching for invalidations (the cache is then bypassed).
func (r *RedisRevocations) Close() { r.stop() }

func (r *RedisRevocations) channel() string { return r.prefix + "auth:revocation" }

func (r *RedisRevocations) key(uid int64) string {
	return r.prefix + "auth:revocation:" + strconv.FormatInt(uid, 10)
}

// watch keeps the cache in step with the channel: any message drops it,
// and so does losing the subscription, during which nothing is cached.
func (r *RedisRevocations) watch(ctx context.Context) {
	ps := r.rdb.Subscribe(ctx, r.channel())
	defer ps.Close()
	for {
		msg, err := ps.ReceiveTimeout(ctx, revocationPing)
		if ctx.Err() != nil || errors.Is(err, redis.ErrClosed) {
			r.cache.down()
			return
		}
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			// Quiet: ask for a sign of life (a Pong arrives as a message).
			if err := ps.Ping(ctx); err != nil && errors.Is(err, redis.ErrClosed) {
				r.cache.down()
				return
			}
			continue
		case err != nil:
			r.cache.down()
			select { // the next Receive reconnects; do not spin meanwhile
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		switch msg.(type) {
		case *redis.Subscription:
			r.cache.up() // (re)subscribed: anything cached before is suspect
		case *redis.Message:
			r.cache.invalidate()
			r.cache.alive()
		default:
			r.cache.alive()
		}
	}
}

// Hash fields: the user-wide time and kept session, and one per session.
const (
	fieldAt      = "at"
	fieldKeep    = "keep"
	fieldSession = "s:"
)

func (r *RedisRevocations) set(ctx context.Context, uid int64, ttl time.Duration, kv ...any) error {
	k := r.key(uid)
	// Each write extends the hash: drop the sessions whose tokens have all
	// expired, so a user who signs out often does not grow it forever.
	// (Racing a rewrite of such a field can only lose a record that no
	// live token needs.)
	var stale []string
	if old, err := r.rdb.HGetAll(ctx, k).Result(); err == nil {
		horizon := time.Now().Add(-ttl).UnixMilli()
		for f, v := range old {
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil && strings.HasPrefix(f, fieldSession) && ms < horizon {
				stale = append(stale, f)
			}
		}
	}
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if len(stale) > 0 {
			p.HDel(ctx, k, stale...)
		}
		p.HSet(ctx, k, kv...)
		// Every write is the newest event and every ttl the same bound:
		// extending the whole hash from now keeps each field long enough.
		p.PExpire(ctx, k, ttl)
		p.Publish(ctx, r.channel(), uid)
		return nil
	})
	r.cache.invalidate() // at once in this process, whatever Redis said
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
	if rec, ok := r.cache.get(uid); ok {
		return rec, nil
	}
	gen := r.cache.generation()
	rec, err := r.load(ctx, uid)
	if err == nil {
		r.cache.put(uid, rec, gen)
	}
	return rec, err
}

func (r *RedisRevocations) load(ctx context.Context, uid int64) (Revocation, error) {
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

// revocationCache is RedisRevocations' in-process copy. An entry is served
// only while the subscription shows signs of life and no invalidation came
// since it was read: a read that raced an invalidation is not stored.
type revocationCache struct {
	ttl time.Duration

	mu       sync.Mutex
	m        map[int64]cachedRevocation
	gen      uint64
	subbed   bool
	lastSign time.Time
}

type cachedRevocation struct {
	r    Revocation
	read time.Time
}

// maxCachedRevocations bounds the cache; past it, it starts again empty.
const maxCachedRevocations = 100_000

func newRevocationCache(ttl time.Duration) *revocationCache {
	return &revocationCache{ttl: ttl, m: map[int64]cachedRevocation{}}
}

func (c *revocationCache) trusted(now time.Time) bool {
	return c.subbed && now.Sub(c.lastSign) < revocationAlive
}

func (c *revocationCache) get(uid int64) (Revocation, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	e, ok := c.m[uid]
	if !ok || !c.trusted(now) || now.Sub(e.read) >= c.ttl {
		return Revocation{}, false
	}
	return e.r, true
}

func (c *revocationCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores what was read at generation gen, unless an invalidation came
// in between.
func (c *revocationCache) put(uid int64, r Revocation, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if gen != c.gen || !c.trusted(now) {
		return
	}
	if len(c.m) >= maxCachedRevocations {
		clear(c.m)
	}
	c.m[uid] = cachedRevocation{r: r, read: now}
}

func (c *revocationCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

func (c *revocationCache) up() {
	c.invalidate()
	c.mu.Lock()
	c.subbed, c.lastSign = true, time.Now()
	c.mu.Unlock()
}

func (c *revocationCache) down() {
	c.invalidate()
	c.mu.Lock()
	c.subbed = false
	c.mu.Unlock()
}

func (c *revocationCache) alive() {
	c.mu.Lock()
	c.lastSign = time.Now()
	c.mu.Unlock()
}
