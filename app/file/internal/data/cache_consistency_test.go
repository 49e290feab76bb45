package data

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"clouddrive/app/file/internal/biz"
	"clouddrive/pkg/cdc"
)

// world is what the workload knows exists: ids per owner, to pick from.
type world struct {
	mu      sync.Mutex
	nodes   map[int64][]int64
	folders map[int64][]int64
	queries map[string]biz.ListQuery
	// lastWrite is when the last write was acknowledged (Unix ns): where
	// the convergence figure starts.
	lastWrite atomic.Int64
}

func newWorld() *world {
	return &world{nodes: map[int64][]int64{}, folders: map[int64][]int64{}, queries: map[string]biz.ListQuery{}}
}

func (w *world) add(n *biz.Node) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nodes[n.OwnerID] = append(w.nodes[n.OwnerID], n.ID)
	if n.Kind == biz.KindFolder {
		w.folders[n.OwnerID] = append(w.folders[n.OwnerID], n.ID)
	}
}

func (w *world) pick(r *rand.Rand, owner int64, folders bool) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.nodes[owner]
	if folders {
		s = append([]int64{0}, w.folders[owner]...)
	}
	if len(s) == 0 {
		return 0
	}
	return s[r.IntN(len(s))]
}

func (w *world) listed(q biz.ListQuery) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.queries[pageQuery(q)+fmt.Sprint(q.Owner, q.Parent)] = q
}

func (w *world) allQueries() []biz.ListQuery {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]biz.ListQuery, 0, len(w.queries))
	for _, q := range w.queries {
		out = append(out, q)
	}
	return out
}

var owners = []int64{101, 102, 103}

// expected errors of a random workload: a name taken, a node gone.
func expected(err error) bool {
	return err == nil || errors.Is(err, biz.ErrNotFound) || errors.Is(err, biz.ErrDuplicate)
}

// write does one random change through in.
func write(ctx context.Context, r *rand.Rand, in *instance, w *world) error {
	owner := owners[r.IntN(len(owners))]
	name := fmt.Sprintf("n%d", r.IntN(400))
	switch op := r.IntN(10); {
	case op < 3:
		n, err := in.mkdir(ctx, owner, w.pick(r, owner, true), name)
		if err == nil {
			w.add(n)
		}
		return err
	case op < 5:
		n, err := in.upload(ctx, owner, w.pick(r, owner, true), name+".txt", int64(1+r.IntN(1000)))
		if err == nil {
			w.add(n)
		}
		return err
	case op < 7:
		return in.rename(ctx, owner, w.pick(r, owner, false), name)
	case op < 8:
		// Moves only files (a folder into its own subtree is the use
		// case's to refuse, not the repo's).
		id := w.pick(r, owner, false)
		if n, err := in.plain.Get(ctx, owner, id); err != nil || n.Kind != biz.KindFile {
			return nil
		}
		return in.move(ctx, owner, id, w.pick(r, owner, true))
	case op < 9:
		return in.trash(ctx, owner, w.pick(r, owner, false))
	default:
		id := w.pick(r, owner, false)
		if r.IntN(2) == 0 {
			return in.restore(ctx, owner, id, fmt.Sprintf("r%d-%d", id, r.IntN(1000)))
		}
		return in.purge(ctx, owner, id)
	}
}

// read does one random read through in, as a client would.
func read(ctx context.Context, r *rand.Rand, in *instance, w *world) error {
	owner := owners[r.IntN(len(owners))]
	switch r.IntN(3) {
	case 0:
		asker := owner
		if r.IntN(10) == 0 {
			asker = owners[r.IntN(len(owners))] // someone else's id
		}
		_, err := in.nodes.Get(ctx, asker, w.pick(r, owner, false)+int64(r.IntN(2))) // sometimes an unknown id
		return err
	case 1:
		orders := []string{biz.OrderName, biz.OrderSize, biz.OrderUpdated}
		q := biz.ListQuery{Owner: owner, Parent: w.pick(r, owner, true), OrderBy: orders[r.IntN(3)], Desc: r.IntN(2) == 0,
			Limit: []int{5, 50}[r.IntN(2)]}
		_, err := in.nodes.List(ctx, q)
		if err == nil {
			w.listed(q)
		}
		return err
	default:
		_, err := in.quotas.Get(ctx, owner, 1<<40)
		return err
	}
}

// load runs writers and readers until stop is closed; the first unexpected
// error fails the test.
func load(t testing.TB, writers, readers []*instance, w *world, stop <-chan struct{}) (wait func() int64) {
	var wg sync.WaitGroup
	var ops atomic.Int64
	run := func(in *instance, seed uint64, do func(context.Context, *rand.Rand, *instance, *world) error, writes bool) {
		defer wg.Done()
		r := rand.New(rand.NewPCG(seed, seed*7+1))
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := do(context.Background(), r, in, w); !expected(err) {
				t.Errorf("%v", err)
				return
			}
			ops.Add(1)
			if writes {
				w.lastWrite.Store(time.Now().UnixNano())
			}
		}
	}
	for i, in := range writers {
		wg.Add(1)
		go run(in, uint64(i+1), write, true)
	}
	for i, in := range readers {
		wg.Add(1)
		go run(in, uint64(100+i), read, false)
	}
	return func() int64 { wg.Wait(); return ops.Load() }
}

// gateRepo holds a node load between reading MySQL and returning, so a
// test can commit and apply a newer change while a read-through is in
// flight with the old row.
type gateRepo struct {
	biz.NodeRepo
	armed   atomic.Bool
	loaded  chan struct{}
	release chan struct{}
}

func (g *gateRepo) Get(ctx context.Context, owner, id int64) (*biz.Node, error) {
	n, err := g.NodeRepo.Get(ctx, owner, id)
	if g.armed.CompareAndSwap(true, false) {
		close(g.loaded)
		<-g.release
	}
	return n, err
}

func TestCacheKeptByTheBinlog(t *testing.T) {
	// Slow (30 s of load): testkit skips it under -short.
	p := newPipeline(t)
	ctx := context.Background()
	w := newWorld()
	a, b := p.instance(nil), p.instance(nil)

	t.Run("concurrent writes and reads through two instances converge", func(t *testing.T) {
		stop := make(chan struct{})
		wait := load(t, []*instance{a, b, a, b}, []*instance{a, b, a, b}, w, stop)
		time.Sleep(30 * time.Second)
		close(stop)
		ops := wait()
		took := waitFor(t, 60*time.Second, "every cached key to equal MySQL", func() error {
			return p.converged(w.allQueries(), a.plain, b)
		})
		t.Logf("%d operations in 30s; the cache equalled MySQL %v after the writes stopped", ops, took)
	})

	writer := p.plainInstance() // only the binlog tells the cache about its writes

	t.Run("a stale read-through loses to the newer row", func(t *testing.T) {
		g := &gateRepo{loaded: make(chan struct{}), release: make(chan struct{})}
		slowReader := p.instance(func(inner biz.NodeRepo) biz.NodeRepo { g.NodeRepo = inner; return g })
		n, err := writer.mkdir(ctx, 9, 0, "race")
		if err != nil {
			t.Fatal(err)
		}
		key := p.layout.NodeKey(n.ID)
		waitFor(t, 60*time.Second, "the create to reach the cache", func() error { return hasRow(p, key, 1) })
		p.rdb.Del(ctx, key) // evicted: the next read loads from MySQL
		g.armed.Store(true)
		done := make(chan *biz.Node)
		go func() { n, _ := slowReader.nodes.Get(ctx, 9, n.ID); done <- n }()
		<-g.loaded // the reader holds version 1
		if err := writer.rename(ctx, 9, n.ID, "race-2"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 60*time.Second, "the rename to reach the cache", func() error { return hasRow(p, key, 2) })
		close(g.release)
		if stale := <-done; stale.Version != 1 {
			t.Fatalf("the slow reader loaded v%d, want the old v1", stale.Version)
		}
		if err := hasRow(p, key, 2); err != nil {
			t.Fatalf("after the stale write: %v", err)
		}
		got, err := b.nodes.Get(ctx, 9, n.ID)
		if err != nil || got.Name != "race-2" || got.Version != 2 {
			t.Fatalf("read after the race: %+v, %v; want race-2 v2", got, err)
		}
	})

	t.Run("a stale read-through loses to a delete", func(t *testing.T) {
		g := &gateRepo{loaded: make(chan struct{}), release: make(chan struct{})}
		slowReader := p.instance(func(inner biz.NodeRepo) biz.NodeRepo { g.NodeRepo = inner; return g })
		n, err := writer.mkdir(ctx, 9, 0, "doomed")
		if err != nil {
			t.Fatal(err)
		}
		if err := writer.trash(ctx, 9, n.ID); err != nil {
			t.Fatal(err)
		}
		key := p.layout.NodeKey(n.ID)
		waitFor(t, 60*time.Second, "the trash to reach the cache", func() error { return hasRow(p, key, 2) })
		p.rdb.Del(ctx, key)
		g.armed.Store(true)
		done := make(chan *biz.Node)
		go func() { n, _ := slowReader.nodes.Get(ctx, 9, n.ID); done <- n }()
		<-g.loaded // the reader holds the trashed row, version 2
		if err := writer.purge(ctx, 9, n.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 60*time.Second, "the purge to reach the cache", func() error {
			e, err := p.layout.Get(ctx, key)
			if err != nil || e == nil || e.Kind != cdc.KindTomb {
				return fmt.Errorf("entry %+v, %v; want a tombstone", e, err)
			}
			return nil
		})
		close(g.release)
		if stale := <-done; stale == nil || stale.Version != 2 {
			t.Fatalf("the slow reader loaded %+v, want the trashed v2", stale)
		}
		if e, err := p.layout.Get(ctx, key); err != nil || e == nil || e.Kind != cdc.KindTomb {
			t.Fatalf("after the stale write: %+v, %v; want the tombstone still", e, err)
		}
		if got, err := b.nodes.Get(ctx, 9, n.ID); !errors.Is(err, biz.ErrNotFound) {
			t.Fatalf("read after the purge: %+v, %v; want not found", got, err)
		}
	})

	// The writes from here on go around the cache: only the binlog can
	// bring them to the keys the readers keep warm.
	t.Run("restarting cdcrelay and cachesync mid-stream loses nothing", func(t *testing.T) {
		stop := make(chan struct{})
		wait := load(t, []*instance{writer}, []*instance{a, b}, w, stop)
		time.Sleep(time.Second)
		p.stopRelay()
		time.Sleep(time.Second) // changes pile up in the binlog
		p.startRelay()
		time.Sleep(time.Second)
		p.stopSync()
		time.Sleep(time.Second) // changes pile up in Kafka
		p.startSync()
		time.Sleep(time.Second)
		close(stop)
		wait()
		waitFor(t, 90*time.Second, "every cached key to equal MySQL", func() error {
			return p.converged(w.allQueries(), a.plain, a)
		})
	})

	t.Run("FLUSHALL mid-stream heals", func(t *testing.T) {
		stop := make(chan struct{})
		wait := load(t, []*instance{writer}, []*instance{a, b}, w, stop)
		time.Sleep(time.Second)
		if err := p.rdb.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		close(stop)
		wait()
		waitFor(t, 60*time.Second, "every cached key to equal MySQL", func() error {
			return p.converged(w.allQueries(), a.plain, b)
		})
	})

	t.Run("Redis stopped keeps every call working", func(t *testing.T) {
		stop := make(chan struct{})
		// a writes through its cache (marking keys after commits), b reads.
		wait := load(t, []*instance{a, writer}, []*instance{a, b}, w, stop)
		time.Sleep(500 * time.Millisecond)
		p.redis.stop()
		time.Sleep(3 * time.Second) // every call meanwhile must succeed: load fails the test otherwise
		p.redis.start()
		time.Sleep(time.Second)
		close(stop)
		wait()
		waitFor(t, 90*time.Second, "every cached key to equal MySQL", func() error {
			return p.converged(w.allQueries(), a.plain, b)
		})
	})
}

func hasRow(p *pipeline, key string, version int64) error {
	e, err := p.layout.Get(context.Background(), key)
	if err != nil {
		return err
	}
	if e == nil || e.Kind != cdc.KindRow || e.Version != version {
		return fmt.Errorf("%s holds %+v, want the row at v%d", key, e, version)
	}
	return nil
}
