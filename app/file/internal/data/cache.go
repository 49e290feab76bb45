package data

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/file/internal/biz"
	"clouddrive/app/file/internal/conf"
	"clouddrive/pkg/cdc"
	"clouddrive/pkg/telemetry"
)

// Cache is the file service's read-through of node lookups, folder listing
// pages and usage from Redis (layout and compare-and-set in pkg/cdc).
// cachesync keeps it fresh from the binlog; this side only fills misses
// (under the row's version, so a slow load never replaces a newer row) and,
// after its own commits and before it answers, fences what it changed
// (cdc.Cache.Fence): the writer's next read, on this instance or another,
// loads from MySQL, and neither a load that began before the commit nor a
// change from the binlog older than it can put the old row back. Redis
// failing is never the user's error: the call goes to MySQL and Redis is
// left alone for a second.
type Cache struct {
	c   *cdc.Cache
	log *log.Helper
	sf  singleflight.Group

	downUntil atomic.Int64 // unix nanos: skip Redis until then
	downLog   atomic.Int64
}

// How long Redis is left alone after it failed, and how long a cache call
// may take: a dead Redis costs a request at most this, once a second.
const (
	redisPause   = time.Second
	redisTimeout = 250 * time.Millisecond
)

// NewCache opens the cache when the configuration enables it; nil
// otherwise (the standalone binary, or a deployment without it).
func NewCache(c *conf.Cache, d *confv1.Data, logger log.Logger) (*Cache, func(), error) {
	if !c.GetEnabled() {
		return nil, func() {}, nil
	}
	rc := d.GetRedis()
	if rc.GetAddr() == "" {
		return nil, nil, errors.New("file: cache.enabled needs data.redis.addr")
	}
	rdb := redis.NewClient(&redis.Options{Addr: rc.GetAddr(), Password: rc.GetPassword(), DB: int(rc.GetDb()),
		DialTimeout: redisTimeout, ReadTimeout: redisTimeout, WriteTimeout: redisTimeout, MaxRetries: -1})
	ttl := cdc.DefaultTTLs()
	for _, v := range []struct {
		d   time.Duration
		out *time.Duration
	}{{c.GetRowTtl().AsDuration(), &ttl.Row}, {c.GetPageTtl().AsDuration(), &ttl.Page},
		{c.GetNegativeTtl().AsDuration(), &ttl.Miss}, {c.GetTombstoneTtl().AsDuration(), &ttl.Tomb}} {
		if v.d > 0 {
			*v.out = v.d
		}
	}
	if c.GetJitter() != nil {
		ttl.Jitter = c.GetJitter().AsDuration()
	}
	prefix := c.GetPrefix()
	if prefix == "" {
		prefix = "cd:cache:"
	}
	return NewCacheOn(cdc.NewCache(rdb, prefix, ttl), logger), func() { _ = rdb.Close() }, nil
}

// NewCacheOn is the cache over a layout (tests).
func NewCacheOn(c *cdc.Cache, logger log.Logger) *Cache {
	return &Cache{c: c, log: log.NewHelper(log.With(logger, "module", "data/cache"))}
}

// up reports whether Redis may be tried now.
func (c *Cache) up() bool { return time.Now().UnixNano() >= c.downUntil.Load() }

// failed notes a Redis error: the calls of the next second skip Redis.
func (c *Cache) failed(what string, err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	now := time.Now()
	c.downUntil.Store(now.Add(redisPause).UnixNano())
	// One line per pause, not one per call.
	if last := c.downLog.Load(); now.UnixNano()-last > int64(redisPause) && c.downLog.CompareAndSwap(last, now.UnixNano()) {
		c.log.Warnw("msg", "Redis cache unavailable; serving from MySQL", "op", what, "err", err)
	}
}

func (c *Cache) count(cache, result string) {
	telemetry.CacheRequests.WithLabelValues(cache, result).Inc()
}

// rctx bounds a cache call; it does not end with the caller's context,
// whose cancellation would otherwise count as Redis failing.
func rctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), redisTimeout)
}

// pending collects what a transaction changed, to be fenced once it has
// committed (never before: a reader between the fence and the commit would
// load the old row after the fence, and fill it).
type pending struct {
	mu      sync.Mutex
	keys    map[string]bool
	folders map[[2]int64]bool
}

type pendingKey struct{}

func pendingFrom(ctx context.Context) *pending {
	p, _ := ctx.Value(pendingKey{}).(*pending)
	return p
}

// inTx reports whether ctx is inside a transaction: reads there go to
// MySQL, since what they see decides a write.
func inTx(ctx context.Context) bool { return pendingFrom(ctx) != nil }

// changed records keys and folders a write touched: after the commit when
// in a transaction, at once otherwise (the statement has committed).
func (c *Cache) changed(ctx context.Context, keys []string, folders ...[2]int64) {
	if p := pendingFrom(ctx); p != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.keys == nil {
			p.keys, p.folders = map[string]bool{}, map[[2]int64]bool{}
		}
		for _, k := range keys {
			p.keys[k] = true
		}
		for _, f := range folders {
			p.folders[f] = true
		}
		return
	}
	c.invalidate(ctx, keys, folders)
}

func (c *Cache) invalidate(ctx context.Context, keys []string, folders [][2]int64) {
	if !c.up() || (len(keys) == 0 && len(folders) == 0) {
		return
	}
	ctx, cancel := rctx(ctx)
	defer cancel()
	if err := c.c.Fence(ctx, keys...); err != nil {
		c.failed("fence", err)
		return
	}
	c.failed("bump", c.c.BumpStamps(ctx, folders...))
}

func (p *pending) flush(ctx context.Context, c *Cache) {
	p.mu.Lock()
	keys := make([]string, 0, len(p.keys))
	for k := range p.keys {
		keys = append(keys, k)
	}
	folders := make([][2]int64, 0, len(p.folders))
	for f := range p.folders {
		folders = append(folders, f)
	}
	p.mu.Unlock()
	c.invalidate(ctx, keys, folders)
}

// cachedTx fences what a transaction changed after it commits.
type cachedTx struct {
	inner biz.Transaction
	c     *Cache
}

func (t *cachedTx) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if inTx(ctx) {
		return t.inner.InTx(ctx, fn)
	}
	p := &pending{}
	if err := t.inner.InTx(context.WithValue(ctx, pendingKey{}, p), fn); err != nil {
		return err
	}
	p.flush(ctx, t.c)
	return nil
}

// ProvideTransaction is the transaction, which fences the cached rows it
// changed after commits when the cache is on.
func ProvideTransaction(d *Data, c *Cache) biz.Transaction {
	if c == nil {
		return NewTransaction(d)
	}
	return &cachedTx{inner: NewTransaction(d), c: c}
}

// rowOf is the cached form of a node: the row as Flink CDC writes it, so
// that cachesync and read-through store the same bytes for one version.
func rowOf(n *biz.Node) cdc.NodeRow {
	r := cdc.NodeRow{ID: n.ID, OwnerID: n.OwnerID, ParentID: n.ParentID, NameKey: []byte(biz.FoldName(n.Name)),
		Kind: int8(n.Kind), Size: n.Size, UpdatedAt: cdc.Timestamp{Time: n.UpdatedAt}, Name: n.Name,
		ContentHash: n.ContentHash, Mime: n.Mime, CreatedAt: cdc.Timestamp{Time: n.CreatedAt},
		TrashRoot: n.TrashRoot, Version: n.Version}
	if n.TrashedAt == nil {
		r.Live = &one
	} else {
		r.TrashedAt = &cdc.Timestamp{Time: *n.TrashedAt}
	}
	return r
}

func nodeOf(r *cdc.NodeRow) *biz.Node {
	n := &biz.Node{ID: r.ID, OwnerID: r.OwnerID, ParentID: r.ParentID, Name: r.Name, Kind: biz.Kind(r.Kind),
		Size: r.Size, ContentHash: r.ContentHash, Mime: r.Mime, CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC(), TrashRoot: r.TrashRoot, Version: r.Version}
	if r.TrashedAt != nil {
		t := r.TrashedAt.UTC()
		n.TrashedAt = &t
	}
	return n
}

func decodeNode(b []byte) (*biz.Node, error) {
	var r cdc.NodeRow
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return nodeOf(&r), nil
}
