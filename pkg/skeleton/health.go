package skeleton

import (
	"context"
	"encoding/json"
	nethttp "net/http"
	"sort"
	"sync"
	"time"
)

// Checks are the dependencies /readyz asks about: each returns nil when
// the dependency answers.
type Checks struct {
	mu     sync.Mutex
	checks map[string]func(context.Context) error
}

// Add registers a check under name (database, redis, etcd...).
func (c *Checks) Add(name string, check func(context.Context) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.checks == nil {
		c.checks = map[string]func(context.Context) error{}
	}
	c.checks[name] = check
}

// run runs every check with a bound, and returns each one's error text.
func (c *Checks) run(ctx context.Context) (map[string]string, bool) {
	c.mu.Lock()
	names := make([]string, 0, len(c.checks))
	for n := range c.checks {
		names = append(names, n)
	}
	checks := c.checks
	c.mu.Unlock()
	sort.Strings(names)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	out, ok := map[string]string{}, true
	for _, n := range names {
		if err := checks[n](ctx); err != nil {
			out[n], ok = err.Error(), false
		} else {
			out[n] = "ok"
		}
	}
	return out, ok
}

// Healthz answers 200 while the process runs (liveness).
func Healthz(w nethttp.ResponseWriter, _ *nethttp.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ok\n"))
}

// Readyz answers 200 when every dependency answers, else 503 with which
// failed (readiness: take the instance out of rotation).
func (c *Checks) Readyz(w nethttp.ResponseWriter, r *nethttp.Request) {
	res, ok := c.run(r.Context())
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(nethttp.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ready": ok, "checks": res})
}
