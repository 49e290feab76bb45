package cdc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Kinds of a cached entry (the hash field "k").
const (
	// KindRow holds the row (field "d") at version "v".
	KindRow = "row"
	// KindTomb says the row was deleted at version "v" (a delete keeps the
	// row's last version): nothing at that version or older may come back.
	KindTomb = "tomb"
	// KindSoft says the cached row at "v" is known to be old: readers load
	// it again, and a load at "v" or newer may fill it.
	KindSoft = "soft"
	// KindMiss says owner "o" found no such row (version 0): any real row
	// replaces it, and readers for another owner ignore it.
	KindMiss = "miss"
)

// Entry is one cached row as a reader sees it.
type Entry struct {
	Kind    string
	Version int64
	Data    []byte
	Owner   int64 // of a KindMiss
}

// TTLs of the caches. Rows and pages get Jitter more at random, so that keys
// filled together do not expire together.
type TTLs struct {
	Row    time.Duration
	Page   time.Duration
	Miss   time.Duration
	Tomb   time.Duration
	Jitter time.Duration
	Stamp  time.Duration
}

// DefaultTTLs are the TTLs when the configuration says nothing. A
// tombstone outlives any read-through in flight by far: a load that started
// before the delete ends within the call's timeout (seconds), long before
// two minutes.
func DefaultTTLs() TTLs {
	return TTLs{Row: 10 * time.Minute, Page: 5 * time.Minute, Miss: 30 * time.Second, Tomb: 2 * time.Minute,
		Jitter: time.Minute, Stamp: 24 * time.Hour}
}

// Cache is the Redis layout of the file service's caches, under a prefix:
//
//	<p>n:<id>                 node row (hash: v, k, d, o), versioned
//	<p>q:<owner>              quota row, versioned
//	<p>ls:<owner>:<parent>    the listing stamp of a folder
//	<p>lp:<owner>:<parent>:<stamp>:<query>   one listing page
//
// Every write of a row goes through one Lua compare-and-set on its version,
// so whoever writes (cachesync from the binlog, a read-through from MySQL)
// an older row never replaces a newer one or a tombstone.
type Cache struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    TTLs
}

// NewCache returns the layout under prefix on rdb.
func NewCache(rdb redis.UniversalClient, prefix string, ttl TTLs) *Cache {
	def := DefaultTTLs()
	if ttl.Row <= 0 {
		ttl.Row = def.Row
	}
	if ttl.Page <= 0 {
		ttl.Page = def.Page
	}
	if ttl.Miss <= 0 {
		ttl.Miss = def.Miss
	}
	if ttl.Tomb <= 0 {
		ttl.Tomb = def.Tomb
	}
	if ttl.Jitter < 0 {
		ttl.Jitter = 0
	}
	if ttl.Stamp <= 0 {
		ttl.Stamp = def.Stamp
	}
	// A stamp must outlive every page written under it: were it to expire
	// and come back with a value a live page was written under, that page
	// would be served although the folder changed.
	if ttl.Stamp < 2*(ttl.Page+ttl.Jitter) {
		ttl.Stamp = 2 * (ttl.Page + ttl.Jitter)
	}
	return &Cache{rdb: rdb, prefix: prefix, ttl: ttl}
}

// Client is the Redis client.
func (c *Cache) Client() redis.UniversalClient { return c.rdb }

// NodeKey is the key of node id.
func (c *Cache) NodeKey(id int64) string { return c.prefix + "n:" + strconv.FormatInt(id, 10) }

// QuotaKey is the key of owner's quota.
func (c *Cache) QuotaKey(owner int64) string { return c.prefix + "q:" + strconv.FormatInt(owner, 10) }

// StampKey is the key of the listing stamp of a folder.
func (c *Cache) StampKey(owner, parent int64) string {
	return c.prefix + "ls:" + strconv.FormatInt(owner, 10) + ":" + strconv.FormatInt(parent, 10)
}

// PageKey is the key of one listing page of a folder under stamp; query
// is whatever identifies the page (order, direction, cursor, limit).
func (c *Cache) PageKey(owner, parent int64, stamp string, query string) string {
	h := sha256.Sum256([]byte(query))
	return c.prefix + "lp:" + strconv.FormatInt(owner, 10) + ":" + strconv.FormatInt(parent, 10) + ":" + stamp + ":" +
		hex.EncodeToString(h[:12])
}

// casScript writes an entry unless the key holds a newer version, or the
// same version in any state but soft (a tombstone always lands on its own
// version: a delete does not bump it).
var casScript = redis.NewScript(`
local cv = redis.call('HGET', KEYS[1], 'v')
if cv then
  cv = tonumber(cv)
  local nv = tonumber(ARGV[1])
  if nv < cv then return 0 end
  if nv == cv and ARGV[2] ~= 'tomb' and redis.call('HGET', KEYS[1], 'k') ~= 'soft' then return 0 end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'k', ARGV[2], 'd', ARGV[3], 'o', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`)

// softScript marks an existing entry as old, keeping its version and TTL.
var softScript = redis.NewScript(`
local k = redis.call('HGET', KEYS[1], 'k')
if k == 'row' or k == 'miss' then redis.call('HSET', KEYS[1], 'k', 'soft', 'd', '', 'o', '0') end
return 0
`)

// stampScript moves a folder's stamp on (or starts it at a random value
// when it is gone, so that it can never come back to a value some live page
// was written under) and keeps it for the stamp TTL. ARGV[3] = 1 bumps; 0
// only makes sure it exists. It returns the stamp.
var stampScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  if ARGV[3] == '1' then redis.call('INCR', KEYS[1]) end
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('GET', KEYS[1])
`)

func (c *Cache) jitter(d time.Duration) time.Duration {
	if c.ttl.Jitter <= 0 {
		return d
	}
	return d + rand.N(c.ttl.Jitter)
}

// Put writes an entry of kind at version unless a newer one (or a
// tombstone of the same version) is there; it reports whether it wrote.
func (c *Cache) Put(ctx context.Context, key, kind string, version int64, data []byte, owner int64) (bool, error) {
	var ttl time.Duration
	switch kind {
	case KindRow:
		ttl = c.jitter(c.ttl.Row)
	case KindTomb:
		ttl = c.ttl.Tomb
	case KindMiss:
		ttl = c.ttl.Miss
	default:
		return false, errors.New("cdc: cannot put an entry of kind " + kind)
	}
	n, err := casScript.Run(ctx, c.rdb, []string{key}, version, kind, data, owner, ttl.Milliseconds()).Int()
	return n == 1, err
}

// Get reads an entry; nil when there is none.
func (c *Cache) Get(ctx context.Context, key string) (*Entry, error) {
	m, err := c.rdb.HGetAll(ctx, key).Result()
	if err != nil || len(m) == 0 {
		return nil, err
	}
	e := &Entry{Kind: m["k"], Data: []byte(m["d"])}
	e.Version, _ = strconv.ParseInt(m["v"], 10, 64)
	e.Owner, _ = strconv.ParseInt(m["o"], 10, 64)
	return e, nil
}

// Soften marks entries as old after a change committed: the next read
// loads them again (read-your-writes within one call sequence), while the
// versions they keep still refuse a racing load of an older row.
func (c *Cache) Soften(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	pipe := c.rdb.Pipeline()
	for _, k := range keys {
		softScript.Eval(ctx, pipe, []string{k})
	}
	_, err := pipe.Exec(ctx)
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	return err
}

// Stamp is the current listing stamp of a folder (made when missing).
func (c *Cache) Stamp(ctx context.Context, owner, parent int64) (string, error) {
	return stampScript.Run(ctx, c.rdb, []string{c.StampKey(owner, parent)}, newStamp(), c.ttl.Stamp.Milliseconds(), 0).Text()
}

// BumpStamps moves the stamps of folders on: every page cached under the
// old ones is never read again.
func (c *Cache) BumpStamps(ctx context.Context, folders ...[2]int64) error {
	if len(folders) == 0 {
		return nil
	}
	pipe := c.rdb.Pipeline()
	for _, f := range folders {
		stampScript.Eval(ctx, pipe, []string{c.StampKey(f[0], f[1])}, newStamp(), c.ttl.Stamp.Milliseconds(), 1)
	}
	_, err := pipe.Exec(ctx)
	return err
}

// newStamp is where a missing stamp starts: random, below 2^52 so that
// INCR never overflows.
func newStamp() int64 { return rand.Int64N(1<<52) + 1 }

// GetPage reads a cached listing page; nil when there is none.
func (c *Cache) GetPage(ctx context.Context, key string) ([]byte, error) {
	b, err := c.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

// PutPage caches a listing page under the stamp read before it was loaded.
func (c *Cache) PutPage(ctx context.Context, key string, page []byte) error {
	return c.rdb.Set(ctx, key, page, c.jitter(c.ttl.Page)).Err()
}
