package main

import (
	"context"
	"log/slog"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kratos/kratos/v2/registry"
)

// downFor is how long an instance that refused a connection is skipped:
// APISIX's passive health check does the same until etcd drops the key.
const downFor = 10 * time.Second

// upstream is the live instances of one service, as etcd lists them.
type upstream struct {
	name string
	// fixed are the instances used while the registry lists none: the
	// services that do not register yet.
	fixed []string
	mu    sync.Mutex
	// by scheme ("http", "grpc"): the instances' base URLs, sorted.
	nodes map[string][]*url.URL
	down  map[string]time.Time // host → skipped until
	next  atomic.Uint64
}

// watch keeps u's instances in step with the registry until ctx ends.
func (u *upstream) watch(ctx context.Context, d registry.Discovery) {
	for ctx.Err() == nil {
		w, err := d.Watch(ctx, u.name)
		if err != nil {
			slog.Warn("watching the registry", "service", u.name, "err", err)
			sleep(ctx, time.Second)
			continue
		}
		for {
			ins, err := w.Next()
			if err != nil {
				break
			}
			u.set(ins)
		}
		_ = w.Stop()
		sleep(ctx, time.Second)
	}
}

func (u *upstream) set(ins []*registry.ServiceInstance) {
	nodes := map[string][]*url.URL{}
	eps := u.fixed
	if len(ins) > 0 {
		eps = nil
	}
	for _, in := range ins {
		eps = append(eps, in.Endpoints...)
	}
	for _, e := range eps {
		if p, err := url.Parse(e); err == nil && p.Host != "" {
			nodes[p.Scheme] = append(nodes[p.Scheme], p)
		}
	}
	for _, l := range nodes {
		sort.Slice(l, func(i, j int) bool { return l[i].Host < l[j].Host })
	}
	u.mu.Lock()
	u.nodes = nodes
	u.mu.Unlock()
	slog.Info("instances", "service", u.name, "http", hosts(nodes["http"]), "grpc", hosts(nodes["grpc"]))
}

// pick returns the instances of scheme in round-robin order, those marked
// down last (a retry may still reach them if nothing else is left).
func (u *upstream) pick(scheme string) []*url.URL {
	u.mu.Lock()
	defer u.mu.Unlock()
	l := u.nodes[scheme]
	if len(l) == 0 {
		return nil
	}
	start := int(u.next.Add(1)) % len(l)
	var up, down []*url.URL
	now := time.Now()
	for i := range l {
		n := l[(start+i)%len(l)]
		if now.Before(u.down[n.Host]) {
			down = append(down, n)
		} else {
			up = append(up, n)
		}
	}
	return append(up, down...)
}

// markDown skips host for downFor.
func (u *upstream) markDown(host string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.down == nil {
		u.down = map[string]time.Time{}
	}
	u.down[host] = time.Now().Add(downFor)
}

func hosts(l []*url.URL) []string {
	out := make([]string, len(l))
	for i, u := range l {
		out[i] = u.Host
	}
	return out
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
