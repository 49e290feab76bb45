package data

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kfake"
	"gorm.io/gorm"

	"clouddrive/app/cachesync"
	"clouddrive/app/cdcrelay"
	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/cdc"
	"clouddrive/pkg/database"
	"clouddrive/pkg/events"
	"clouddrive/pkg/testkit"
)

// The whole change path of issue 11 on this machine: a MariaDB with the
// binlog on (its own), cdcrelay reading it into a Kafka-protocol broker
// (kfake), cachesync applying the changes to a Redis of the test's own
// (a redis-server on a free port, so the test may FLUSHALL it and stop
// it), and instances of the file service's data layer reading through the
// cache.

// redisServer is a redis-server this test started and may stop.
type redisServer struct {
	t    testing.TB
	addr string
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

func startRedis(t testing.TB) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not installed (apt-get install redis-server): %v", err)
	}
	r := &redisServer{t: t, addr: testkit.FreeAddr(t), dir: t.TempDir()}
	_ = bin
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) start() {
	r.t.Helper()
	_, port, _ := net.SplitHostPort(r.addr)
	r.cmd = exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", r.dir)
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	r.done = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(r.cmd, r.done)
	rdb := redis.NewClient(&redis.Options{Addr: r.addr})
	defer rdb.Close()
	waitFor(r.t, 30*time.Second, "redis-server to answer", func() error { return rdb.Ping(context.Background()).Err() })
}

func (r *redisServer) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
	r.cmd = nil
}

// waitFor polls fn until it returns nil; fails the test after bound (a
// generous bound: the test never asserts how fast).
func waitFor(t testing.TB, bound time.Duration, what string, fn func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < bound {
		if err = fn(); err == nil {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waited %v for %s: %v", bound, what, err)
	return 0
}

type pipeline struct {
	t       testing.TB
	ctx     context.Context
	dsn     string
	db      *gorm.DB
	brokers []string
	redis   *redisServer
	rdb     *redis.Client // the checker's own connection
	layout  *cdc.Cache
	posFile string

	relay     *cdcrelay.Relay
	relayConf *cdcrelay.Config
	consumer  *events.KafkaConsumer
	syncConf  *cachesync.Config
	stopped   []chan struct{}
}

func newPipeline(t testing.TB) *pipeline {
	t.Helper()
	addr := testkit.BinlogMariaDB(t)
	admin, err := sql.Open("mysql", "root@tcp("+addr+")/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE DATABASE clouddrive_file CHARACTER SET utf8mb4"); err != nil {
		t.Fatal(err)
	}
	_ = admin.Close()
	p := &pipeline{t: t, ctx: context.Background(), dsn: "root@tcp(" + addr + ")/clouddrive_file?charset=utf8mb4&parseTime=true&loc=UTC",
		posFile: filepath.Join(t.TempDir(), "position.json")}
	p.db = p.openDB()

	k, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(3))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	p.brokers = k.ListenAddrs()

	p.redis = startRedis(t)
	p.rdb = redis.NewClient(&redis.Options{Addr: p.redis.addr})
	t.Cleanup(func() { _ = p.rdb.Close() })
	p.layout = cdc.NewCache(p.rdb, "cd:cache:", cdc.DefaultTTLs())

	p.startRelay()
	p.startSync()
	t.Cleanup(p.stopAll)
	return p
}

func (p *pipeline) openDB() *gorm.DB {
	db, err := database.Open(database.Config{Driver: "mysql", Source: p.dsn})
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() {
		if s, err := db.DB(); err == nil {
			_ = s.Close()
		}
	})
	if err := Migrate(db); err != nil {
		p.t.Fatal(err)
	}
	return db
}

func (p *pipeline) configFile(name, yaml string) string {
	f := filepath.Join(p.t.TempDir(), name+".yaml")
	if err := os.WriteFile(f, []byte(yaml), 0o644); err != nil {
		p.t.Fatal(err)
	}
	return f
}

func (p *pipeline) brokerList() string { return `["` + strings.Join(p.brokers, `","`) + `"]` }

func (p *pipeline) startRelay() {
	addr := strings.TrimSuffix(strings.TrimPrefix(p.dsn, "root@tcp("), ")/clouddrive_file?charset=utf8mb4&parseTime=true&loc=UTC")
	c, err := cdcrelay.LoadConfig(p.configFile("cdcrelay", fmt.Sprintf(`
binlog: {addr: %q, user: root, flavor: mariadb, server_id: 4201, database: clouddrive_file, position_file: %q}
events: {brokers: %s}
`, addr, p.posFile, p.brokerList())))
	if err != nil {
		p.t.Fatal(err)
	}
	p.relayConf = c
	r, err := cdcrelay.NewRelay(c, log.DefaultLogger)
	if err != nil {
		p.t.Fatal(err)
	}
	p.relay = r
	p.run(r.Start)
	waitFor(p.t, 60*time.Second, "the relay to read the binlog", func() error { return r.Ready(p.ctx) })
}

func (p *pipeline) startSync() {
	c, err := cachesync.LoadConfig(p.configFile("cachesync", fmt.Sprintf(`
data: {redis: {addr: %q}}
events: {brokers: %s, group: cachesync}
cache: {prefix: "cd:cache:"}
`, p.redis.addr, p.brokerList())))
	if err != nil {
		p.t.Fatal(err)
	}
	p.syncConf = c
	rdb := redis.NewClient(&redis.Options{Addr: p.redis.addr})
	p.t.Cleanup(func() { _ = rdb.Close() })
	k, err := cachesync.NewConsumer(c, cachesync.CacheOf(c, rdb), log.DefaultLogger)
	if err != nil {
		p.t.Fatal(err)
	}
	p.consumer = k
	p.run(k.Start)
}

func (p *pipeline) run(start func(context.Context) error) {
	done := make(chan struct{})
	p.stopped = append(p.stopped, done)
	go func() { defer close(done); _ = start(context.Background()) }()
}

func (p *pipeline) stopRelay() {
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if p.relay != nil {
		_ = p.relay.Stop(ctx)
		p.relay = nil
	}
}

func (p *pipeline) stopSync() {
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if p.consumer != nil {
		_ = p.consumer.Stop(ctx)
		p.consumer = nil
	}
}

func (p *pipeline) stopAll() {
	p.stopRelay()
	p.stopSync()
	for _, d := range p.stopped {
		<-d
	}
}

// instance is one file service instance's data layer with the cache on:
// its own pool and its own Redis client and singleflight.
type instance struct {
	nodes    biz.NodeRepo
	quotas   biz.QuotaRepo
	versions biz.VersionRepo
	tx       biz.Transaction
	plain    biz.NodeRepo
	cache    *Cache
}

// plainInstance writes without the cache (another writer, or the cache
// off): only the binlog can tell the cache about its changes.
func (p *pipeline) plainInstance() *instance {
	d := &Data{DB: p.openDB()}
	return &instance{nodes: NewNodeRepo(d), quotas: NewQuotaRepo(d), versions: NewVersionRepo(d), tx: NewTransaction(d),
		plain: NewNodeRepo(d)}
}

func (p *pipeline) instance(inner func(biz.NodeRepo) biz.NodeRepo) *instance {
	d := &Data{DB: p.openDB()}
	rdb := redis.NewClient(&redis.Options{Addr: p.redis.addr, DialTimeout: redisTimeout, ReadTimeout: redisTimeout,
		WriteTimeout: redisTimeout, MaxRetries: -1})
	p.t.Cleanup(func() { _ = rdb.Close() })
	c := NewCacheOn(cdc.NewCache(rdb, "cd:cache:", cdc.DefaultTTLs()), log.DefaultLogger)
	var nodes biz.NodeRepo = NewNodeRepo(d)
	if inner != nil {
		nodes = inner(nodes)
	}
	return &instance{nodes: &cachedNodes{NodeRepo: nodes, c: c}, quotas: ProvideQuotaRepo(d, c),
		versions: ProvideVersionRepo(d, c), tx: ProvideTransaction(d, c), plain: NewNodeRepo(d), cache: c}
}

// The operations below are what the use cases do in their transactions,
// on the repos alone (the use cases' own tests cover their rules).

func (in *instance) mkdir(ctx context.Context, owner, parent int64, name string) (*biz.Node, error) {
	now := time.Now().UTC()
	n := &biz.Node{OwnerID: owner, ParentID: parent, Name: name, Kind: biz.KindFolder, CreatedAt: now, UpdatedAt: now}
	return n, in.tx.InTx(ctx, func(ctx context.Context) error {
		if parent != 0 {
			if _, err := in.nodes.GetForUpdate(ctx, owner, parent); err != nil {
				return err
			}
		}
		return in.nodes.Create(ctx, n)
	})
}

func (in *instance) upload(ctx context.Context, owner, parent int64, name string, size int64) (*biz.Node, error) {
	now := time.Now().UTC()
	n := &biz.Node{OwnerID: owner, ParentID: parent, Name: name, Kind: biz.KindFile, Size: size, CreatedAt: now,
		UpdatedAt: now, ContentHash: fmt.Sprintf("%064x", size), Mime: "text/plain"}
	return n, in.tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := in.quotas.Charge(ctx, owner, size, 1<<40); err != nil {
			return err
		}
		return in.nodes.Create(ctx, n)
	})
}

func (in *instance) rename(ctx context.Context, owner, id int64, name string) error {
	return in.tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := in.nodes.GetForUpdate(ctx, owner, id); err != nil {
			return err
		}
		return in.nodes.Update(ctx, owner, id, biz.NodeChange{Name: &name}, time.Now().UTC())
	})
}

func (in *instance) move(ctx context.Context, owner, id, parent int64) error {
	return in.tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := in.nodes.GetForUpdate(ctx, owner, id); err != nil {
			return err
		}
		return in.nodes.Update(ctx, owner, id, biz.NodeChange{ParentID: &parent}, time.Now().UTC())
	})
}

func (in *instance) trash(ctx context.Context, owner, id int64) error {
	return in.tx.InTx(ctx, func(ctx context.Context) error {
		ns, err := in.nodes.LiveSubtree(ctx, owner, id)
		if err != nil || len(ns) == 0 {
			return err
		}
		ids := make([]int64, len(ns))
		for i, n := range ns {
			ids[i] = n.ID
		}
		return in.nodes.Trash(ctx, owner, ids, id, time.Now().UTC())
	})
}

func (in *instance) restore(ctx context.Context, owner, root int64, name string) error {
	return in.tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := in.nodes.TrashedSubtree(ctx, owner, root); err != nil {
			return err
		}
		return in.nodes.Restore(ctx, owner, root, 0, name, time.Now().UTC())
	})
}

func (in *instance) purge(ctx context.Context, owner, root int64) error {
	return in.tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := in.nodes.TrashedSubtree(ctx, owner, root); err != nil {
			return err
		}
		_, bytes, err := in.nodes.Purge(ctx, owner, root)
		if err != nil {
			return err
		}
		return in.quotas.Release(ctx, owner, bytes)
	})
}

func (in *instance) list(ctx context.Context, owner, parent int64, order string, desc bool, limit int) ([]*biz.Node, error) {
	return in.nodes.List(ctx, biz.ListQuery{Owner: owner, Parent: parent, OrderBy: order, Desc: desc, Limit: limit})
}

// converged checks every key under the cache's prefix against MySQL: a
// cached row equals the row in MySQL, a "missing" answer is still true, a
// tombstone is not older than the row, a quota equals its row; and every
// listing page a reader can reach (under its folder's current stamp)
// equals what MySQL lists. nil when all agree. Reads are batched, so that
// one check of a few thousand keys takes well under a second.
func (p *pipeline) converged(queries []biz.ListQuery, plain biz.NodeRepo, reader *instance) error {
	ctx := p.ctx
	keys, err := p.rdb.Keys(ctx, "cd:cache:*").Result()
	if err != nil {
		return err
	}
	var nodeKeys, quotaKeys []string
	var nodeIDs, quotaOwners []int64
	for _, k := range keys {
		rest := strings.TrimPrefix(k, "cd:cache:")
		var id int64
		switch {
		case strings.HasPrefix(rest, "n:"):
			fmt.Sscan(rest[2:], &id)
			nodeKeys, nodeIDs = append(nodeKeys, k), append(nodeIDs, id)
		case strings.HasPrefix(rest, "q:"):
			fmt.Sscan(rest[2:], &id)
			quotaKeys, quotaOwners = append(quotaKeys, k), append(quotaOwners, id)
		}
	}
	entries := func(keys []string) ([]*cdc.Entry, error) {
		pipe := p.rdb.Pipeline()
		cmds := make([]*redis.MapStringStringCmd, len(keys))
		for i, k := range keys {
			cmds[i] = pipe.HGetAll(ctx, k)
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
		out := make([]*cdc.Entry, len(keys))
		for i, c := range cmds {
			m := c.Val()
			if len(m) == 0 {
				continue // expired meanwhile
			}
			e := &cdc.Entry{Kind: m["k"], Data: []byte(m["d"])}
			fmt.Sscan(m["v"], &e.Version)
			fmt.Sscan(m["o"], &e.Owner)
			out[i] = e
		}
		return out, nil
	}
	checked := 0
	es, err := entries(nodeKeys)
	if err != nil {
		return err
	}
	rows := map[int64]*nodeModel{}
	for _, part := range chunks(nodeIDs, 500) {
		var ms []nodeModel
		if err := p.db.Where("id IN ?", part).Find(&ms).Error; err != nil {
			return err
		}
		for i := range ms {
			rows[ms[i].ID] = &ms[i]
		}
	}
	for i, e := range es {
		if e == nil {
			continue
		}
		k, m := nodeKeys[i], rows[nodeIDs[i]]
		switch e.Kind {
		case cdc.KindRow:
			if m == nil {
				return fmt.Errorf("%s: cached row v%d, none in MySQL", k, e.Version)
			}
			var got cdc.NodeRow
			if err := json.Unmarshal(e.Data, &got); err != nil {
				return fmt.Errorf("%s: %v", k, err)
			}
			if want := rowOf(toNode(m)); !sameRow(got, want) {
				return fmt.Errorf("%s: cached %+v\nMySQL %+v", k, got, want)
			}
			checked++
		case cdc.KindMiss:
			if m != nil && m.OwnerID == e.Owner {
				return fmt.Errorf("%s: cached as missing for owner %d, in MySQL at v%d", k, e.Owner, m.Version)
			}
		case cdc.KindTomb:
			if m != nil && m.Version > e.Version {
				return fmt.Errorf("%s: tombstone at v%d, MySQL has v%d", k, e.Version, m.Version)
			}
		case cdc.KindSoft:
			// A writer's fence is never served, but the stream must have
			// shown it the row's last version: else a change is still on
			// its way, or lost.
			if f := shownOf(p, k); m != nil && f < m.Version {
				return fmt.Errorf("%s: fenced, the binlog showed v%d, MySQL has v%d", k, f, m.Version)
			}
		}
	}
	es, err = entries(quotaKeys)
	if err != nil {
		return err
	}
	for i, e := range es {
		if e == nil {
			continue
		}
		var m quotaModel
		err := p.db.Where("owner_id = ?", quotaOwners[i]).Take(&m).Error
		if e.Kind == cdc.KindRow {
			var got cdc.QuotaRow
			_ = json.Unmarshal(e.Data, &got)
			if err != nil || got.UsedBytes != m.UsedBytes || got.LimitBytes != m.LimitBytes || got.Version != m.Version {
				return fmt.Errorf("%s: cached %+v, MySQL %+v (%v)", quotaKeys[i], got, m, err)
			}
			checked++
		} else if e.Kind == cdc.KindMiss && err == nil {
			return fmt.Errorf("%s: cached as missing, MySQL has %+v", quotaKeys[i], m)
		} else if f := shownOf(p, quotaKeys[i]); e.Kind == cdc.KindSoft && err == nil && f < m.Version {
			return fmt.Errorf("%s: fenced, the binlog showed v%d, MySQL has v%d", quotaKeys[i], f, m.Version)
		}
	}
	if err := sameListings(ctx, queries, plain, reader); err != nil {
		return err
	}
	if checked == 0 && len(queries) == 0 {
		return errors.New("nothing cached to check")
	}
	return nil
}

// sameListings checks that every page of the listings the load made that
// a reader can reach (cached under its folder's current stamp) equals what
// MySQL lists; a reader that reaches none reads MySQL. It reads the pages
// as a reader would but fills none, and compares eight at a time: passes
// that read (and filled) every listing through the reader took seconds
// after a 30 s load (thousands of listings, two queries each), and the
// convergence figure measured the check more than the cache.
func sameListings(ctx context.Context, queries []biz.ListQuery, plain biz.NodeRepo, reader *instance) error {
	if len(queries) == 0 {
		return nil
	}
	layout := reader.cache.c
	rdb := layout.Client()
	pipe := rdb.Pipeline()
	stamps := make([]*redis.StringCmd, len(queries))
	for i, q := range queries {
		stamps[i] = pipe.Get(ctx, layout.StampKey(q.Owner, q.Parent))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	pipe = rdb.Pipeline()
	pages := make([]*redis.StringCmd, len(queries))
	for i, q := range queries {
		if stamp, err := stamps[i].Result(); err == nil {
			pages[i] = pipe.Get(ctx, layout.PageKey(q.Owner, q.Parent, stamp, pageQuery(q)))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	// The pages of one folder, order and cursor are prefixes of one MySQL
	// listing (ordered by the column, then id: a total order): one query,
	// at the largest limit, serves them all.
	type page struct {
		q    biz.ListQuery
		data []byte
	}
	type listing struct {
		q     biz.ListQuery
		pages []page
	}
	var listings []*listing
	byListing := map[string]*listing{}
	for i, q := range queries {
		if pages[i] == nil || pages[i].Err() != nil {
			continue // no page to reach: a reader lists from MySQL
		}
		unlimited := q
		unlimited.Limit = 0
		k := fmt.Sprint(q.Owner, q.Parent, pageQuery(unlimited))
		l := byListing[k]
		if l == nil {
			l = &listing{q: q}
			byListing[k] = l
			listings = append(listings, l)
		}
		l.q.Limit = max(l.q.Limit, q.Limit)
		l.pages = append(l.pages, page{q, []byte(pages[i].Val())})
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan *listing)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range next {
				want, err := plain.List(ctx, l.q)
				for _, pg := range l.pages {
					if err == nil {
						err = samePage(pg.q, pg.data, want[:min(len(want), pg.q.Limit)])
					}
				}
				if err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
feed:
	for _, l := range listings {
		select {
		case next <- l:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	return <-errs // nil when none failed
}

func samePage(q biz.ListQuery, data []byte, want []*biz.Node) error {
	got, err := decodePage(data)
	if err != nil {
		return fmt.Errorf("listing %+v: %v", q, err)
	}
	if len(got) != len(want) {
		return fmt.Errorf("listing %+v: cached %d entries, MySQL %d", q, len(got), len(want))
	}
	for i := range got {
		if !sameRow(rowOf(got[i]), rowOf(want[i])) {
			return fmt.Errorf("listing %+v entry %d: cached %+v, MySQL %+v", q, i, got[i], want[i])
		}
	}
	return nil
}

func sameRow(a, b cdc.NodeRow) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb) && reflect.DeepEqual(a.NameKey, b.NameKey)
}

// shownOf is the newest row version the stream has shown a fenced key.
func shownOf(p *pipeline, key string) int64 {
	f, _ := strconv.ParseInt(p.rdb.HGet(p.ctx, key, "c").Val(), 10, 64)
	return f
}
