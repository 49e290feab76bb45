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
	// KindSoft is a fence a writer put after its commit (see Fence): never
	// served; only a load that began after it ("f", its token) may fill it.
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
	Owner   int64  // of a KindMiss
	Fence   string // of a KindSoft: what a load that saw it passes to Fill
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

// Read-your-writes. cachesync brings every change, but a few milliseconds
// (or, when it lags, seconds) after the commit, and the writer's next call
// must not see the row as it was. So a writer, once its transaction has
// committed and before it answers, fences the keys it changed (Fence):
// the entry becomes KindSoft with a fresh random token. A fence is never
// served. Two kinds of writes race with it, and both would bring back a row
// older than the commit:
//
//   - a read-through that loaded the row before the commit and fills after
//     the fence (write → fence → stale fill);
//   - a change from the stream older than the commit, still on its way
//     (write → fence → late CDC event: an insert's event landing after the
//     fence of the update that followed it).
//
// Neither knows which version the writer committed, and the writer does not
// know it either without reading it back, so a fence refuses both: a
// read-through fills it only with the token it saw before it loaded from
// MySQL (Fill), which proves the load began after the commit; a change from
// the stream (Put) does not fill it, but raises the fence's floor ("m") to
// its version (a tombstone to the version after), so that a load that began
// after the fence but read MySQL before a newer commit still loses to what
// the stream has shown (and "c" records the newest row the stream brought,
// for tests and benchmarks that ask whether a change arrived). A second
// writer fences again with a new token, which voids the loads in flight
// under the old one. A fence lives at least the tombstone TTL: longer than
// any load in flight, and longer than the stream's lag short of an outage
// (after it, the stream's versions order the key again, so the cache still
// converges).
//
// Once a fill has replaced the fence, versions order the key as before. The
// price: a key a writer changed is filled again by the next read, from
// MySQL, not by the stream. (The other way, reading the version back in the
// transaction to fence at it, costs every write a query.)

// casScript writes an entry (KEYS[1]; ARGV: version, kind, data, owner,
// TTL in ms, source, token). Over a row, tombstone or missing answer it
// writes unless the key holds a newer version, or the same version and the
// write is not a tombstone (a delete keeps its row's version). Over a fence
// (source 'c', a change from the stream) it only raises the fence's floor;
// a fill (source 'f') writes only with the fence's token and a version at
// or above the floor.
var casScript = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'v', 'k', 'f', 'm', 'c')
local nv = tonumber(ARGV[1])
if cur[1] then
  if cur[2] == 'soft' then
    local floor = tonumber(cur[4] or '0') or 0
    if ARGV[6] == 'c' then
      local m = nv
      if ARGV[2] == 'tomb' then m = nv + 1 end
      if m > floor then redis.call('HSET', KEYS[1], 'm', m) end
      if ARGV[2] == 'row' and nv > (tonumber(cur[5] or '0') or 0) then redis.call('HSET', KEYS[1], 'c', nv) end
      return 0
    end
    if ARGV[7] == '' or ARGV[7] ~= cur[3] or nv < floor then return 0 end
  else
    local cv = tonumber(cur[1])
    if nv < cv then return 0 end
    if nv == cv and ARGV[2] ~= 'tomb' then return 0 end
  end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'k', ARGV[2], 'd', ARGV[3], 'o', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`)

// fenceScript fences a key (KEYS[1]; ARGV: token, the least TTL in ms).
// The floor is what the entry already proves: a row's version, the version
// after a tombstone's, an older fence's floor; "c" the row's version or an
// older fence's.
var fenceScript = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'v', 'k', 'm', 'c')
local v = tonumber(cur[1] or '0') or 0
local m, c = 0, 0
if cur[2] == 'row' then m, c = v, v
elseif cur[2] == 'tomb' then m = v + 1
elseif cur[2] == 'soft' then m, c = tonumber(cur[3] or '0') or 0, tonumber(cur[4] or '0') or 0 end
redis.call('HSET', KEYS[1], 'v', v, 'k', 'soft', 'd', '', 'o', '0', 'f', ARGV[1], 'm', m, 'c', c)
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
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

// Put applies a change from the stream: an entry of kind at version,
// unless a newer one (or a tombstone of the same version) is there; over a
// fence it only raises the fence's floor. It reports whether it wrote.
func (c *Cache) Put(ctx context.Context, key, kind string, version int64, data []byte, owner int64) (bool, error) {
	return c.write(ctx, key, kind, version, data, owner, "c", "")
}

// Fill writes what a read-through loaded from MySQL, under the same rules
// as Put, except over a fence: there it writes only when fence is the
// token of the fence the reader saw before it loaded (Entry.Fence; "" when
// it saw none) and the version is not below what the stream has shown.
func (c *Cache) Fill(ctx context.Context, key, kind string, version int64, data []byte, owner int64, fence string) (bool, error) {
	return c.write(ctx, key, kind, version, data, owner, "f", fence)
}

func (c *Cache) write(ctx context.Context, key, kind string, version int64, data []byte, owner int64, source, fence string) (bool, error) {
	ttl, err := c.ttlOf(kind)
	if err != nil {
		return false, err
	}
	n, err := casScript.Run(ctx, c.rdb, []string{key}, version, kind, data, owner, ttl.Milliseconds(), source, fence).Int()
	return n == 1, err
}

// Get reads an entry; nil when there is none.
func (c *Cache) Get(ctx context.Context, key string) (*Entry, error) {
	m, err := c.rdb.HGetAll(ctx, key).Result()
	if err != nil || len(m) == 0 {
		return nil, err
	}
	e := &Entry{Kind: m["k"], Data: []byte(m["d"]), Fence: m["f"]}
	e.Version, _ = strconv.ParseInt(m["v"], 10, 64)
	e.Owner, _ = strconv.ParseInt(m["o"], 10, 64)
	return e, nil
}

// Fence marks entries as changed after a commit (read-your-writes; the
// rules above casScript): until a load that began after it fills a key,
// readers go to MySQL, and neither an older load nor an older change from
// the stream can put the row back as it was. Keys are fenced whether or
// not they hold anything: a load in flight may be about to fill an empty
// one.
func (c *Cache) Fence(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	token := strconv.FormatUint(rand.Uint64(), 36)
	ttl := max(c.ttl.Tomb, c.ttl.Miss).Milliseconds()
	pipe := c.rdb.Pipeline()
	for _, k := range keys {
		fenceScript.Eval(ctx, pipe, []string{k}, token, ttl)
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
