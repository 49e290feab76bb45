package skeleton

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2"
	kconfig "github.com/go-kratos/kratos/v2/config"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/middleware/tracing"
	"github.com/go-kratos/kratos/v2/registry"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	"github.com/redis/go-redis/v9"
	grpcgo "google.golang.org/grpc"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/config"
	"clouddrive/pkg/database"
	"clouddrive/pkg/discovery"
	"clouddrive/pkg/ratelimit"
	"clouddrive/pkg/telemetry"
)

// Process is one service running alone, as its module sees it while it is
// built: the shared configuration and what the skeleton made of it.
type Process struct {
	Name     string
	Common   *confv1.Common
	Logger   log.Logger
	Config   *config.Source
	Registry *discovery.Registry // nil without registry.endpoints
	// Verifier checks access tokens; loaded from auth.public_key_file unless
	// the module (the user service, which signs them) sets it.
	Verifier    *auth.Verifier
	Revocations auth.Revocations
	// Ready holds the checks of /readyz; modules may add theirs.
	Ready Checks

	level    *levelLogger
	rate     *ClientRate
	adaptive *Adaptive
	closers  []func()
}

// New prepares a process: configuration (Nacos and live keys included),
// logger, tracing, registry, revocations and readiness checks.
func New(name string, src *config.Source, out io.Writer) (*Process, error) {
	p := &Process{Name: name, Config: src, Common: &confv1.Common{}}
	if err := src.Scan(p.Common); err != nil {
		return nil, err
	}
	c := p.Common
	p.level = newLevelLogger(apiserver.Logger(out, name), c.GetLog().GetLevel())
	p.Logger = log.With(p.level, "trace", tracing.TraceID())
	p.rate = NewClientRate(name, ratelimit.NewMemory())
	p.rate.Set(c.GetRateLimit().GetPerClient(), c.GetRateLimit().GetWindow().AsDuration())
	var err error
	if p.adaptive, err = NewAdaptive(name, c.GetOverload()); err != nil {
		return nil, err
	}
	// Live keys: a change in Nacos applies without a restart.
	if err := p.watch(); err != nil {
		return nil, err
	}
	shutdown, err := telemetry.SetupTracing(context.Background(), telemetry.TracingConfig{Service: name,
		Endpoint: c.GetTracing().GetOtlpEndpoint(), Ratio: c.GetTracing().GetRatio()})
	if err != nil {
		return nil, err
	}
	p.closers = append(p.closers, func() { _ = shutdown(context.Background()) })
	r := c.GetRegistry()
	if p.Registry, err = discovery.Open(discovery.Config{Endpoints: r.GetEndpoints(), Namespace: r.GetNamespace(),
		TTL: r.GetTtl().AsDuration()}); err != nil {
		return nil, err
	}
	if p.Registry != nil {
		p.closers = append(p.closers, func() { _ = p.Registry.Close() })
		p.Ready.Add("etcd", func(ctx context.Context) error {
			_, err := p.Registry.Client.Get(ctx, "health")
			return err
		})
	}
	p.Revocations = auth.NewMemoryRevocations()
	if rc := c.GetData().GetRedis(); rc.GetAddr() != "" {
		rdb := redis.NewClient(&redis.Options{Addr: rc.GetAddr(), Password: rc.GetPassword(), DB: int(rc.GetDb())})
		p.closers = append(p.closers, func() { _ = rdb.Close() })
		p.Revocations = auth.NewRedisRevocations(rdb, rc.GetPrefix())
		p.Ready.Add("redis", func(ctx context.Context) error { return rdb.Ping(ctx).Err() })
	}
	if d := c.GetData().GetDatabase(); d.GetDriver() != "" {
		p.Ready.Add("database", p.databasePing(d))
	}
	return p, nil
}

// watch applies changes of the live keys. A key must be present to be
// watched: every service's defaults name log.level, rate_limit and overload.
func (p *Process) watch() error {
	err := p.Config.Watch("log.level", func(v kconfig.Value) {
		if s, err := v.String(); err == nil {
			p.level.Set(s)
		}
	})
	if err != nil && !errors.Is(err, kconfig.ErrNotFound) {
		return err
	}
	err = p.Config.Watch("rate_limit", func(kconfig.Value) {
		var c confv1.Common
		if err := p.Config.Scan(&c); err == nil {
			p.rate.Set(c.GetRateLimit().GetPerClient(), c.GetRateLimit().GetWindow().AsDuration())
		}
	})
	if err != nil && !errors.Is(err, kconfig.ErrNotFound) {
		return err
	}
	err = p.Config.Watch("overload", func(kconfig.Value) {
		var c confv1.Common
		if err := p.Config.Scan(&c); err != nil {
			return
		}
		if err := p.adaptive.Set(c.GetOverload()); err != nil {
			log.NewHelper(p.Logger).Errorw("msg", "overload setting refused; the previous one stays", "err", err)
		}
	})
	if err != nil && !errors.Is(err, kconfig.ErrNotFound) {
		return err
	}
	return nil
}

// databasePing pings the database on a pool of its own (one connection),
// opened on the first probe: the check does not wait behind the module's.
func (p *Process) databasePing(d *confv1.Data_Database) func(context.Context) error {
	var (
		mu    sync.Mutex
		sqlDB *sql.DB
	)
	p.closers = append(p.closers, func() {
		mu.Lock()
		defer mu.Unlock()
		if sqlDB != nil {
			_ = sqlDB.Close()
		}
	})
	return func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if sqlDB == nil {
			db, err := database.Open(database.Config{Driver: d.GetDriver(), Source: d.GetSource()})
			if err != nil {
				return err
			}
			if sqlDB, err = db.DB(); err != nil {
				return err
			}
			sqlDB.SetMaxOpenConns(1)
		}
		return sqlDB.PingContext(ctx)
	}
}

// Dial connects to another service at target ("discovery:///file" or
// "host:port"), through the registry when there is one; closed with the
// process.
func (p *Process) Dial(target string) (*grpcgo.ClientConn, error) {
	if target == "" {
		return nil, fmt.Errorf("%s: no address configured for a service it calls", p.Name)
	}
	var disc registry.Discovery
	if p.Registry != nil { // a nil *Registry in the interface would not be nil
		disc = p.Registry
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := discovery.Dial(ctx, discovery.DialConfig{Target: target}, disc)
	if err != nil {
		return nil, err
	}
	p.closers = append(p.closers, func() { _ = conn.Close() })
	return conn, nil
}

// Auth is the options of the auth middleware and the byte routes.
func (p *Process) Auth() (auth.Options, error) {
	if p.Verifier == nil {
		key, err := auth.LoadPublicKey(p.Common.GetAuth().GetPublicKeyFile())
		if err != nil {
			return auth.Options{}, err
		}
		p.Verifier = auth.NewVerifier(key)
	}
	return auth.Options{Verifier: p.Verifier, Revocations: p.Revocations,
		InternalSecret: p.Common.GetAuth().GetInternalSecret(), Logger: p.Logger}, nil
}

// Middleware is what the skeleton adds to the shared chain of a server:
// tracing, metrics, the adaptive limiter and the per-client rate.
func (p *Process) Middleware() []middleware.Middleware {
	return append(Observed(p.Name), p.adaptive.Middleware(), p.rate.Middleware())
}

// StreamObserved is what gRPC streams add to Observed: the bytes of the
// upload and download streams, counted like the HTTP byte routes.
func StreamObserved(service string) []grpcgo.StreamServerInterceptor {
	return []grpcgo.StreamServerInterceptor{telemetry.StreamBytes(service)}
}

// Observed is tracing and metrics without the adaptive limiter: the
// standalone binary's chain. One process on a laptop serves one person,
// whose own upload is what keeps the CPU busy; shedding by CPU there refused
// the page's own listing calls (429) mid-upload.
func Observed(service string) []middleware.Middleware {
	return []middleware.Middleware{tracing.Server(), telemetry.Server(service)}
}

// Servers builds the gRPC and HTTP servers with the shared chain and the
// skeleton's middleware. Without server.grpc.addr there is no gRPC server
// (nil): WebDAV serves HTTP only.
func (p *Process) Servers() (*grpc.Server, *http.Server, error) {
	o, err := p.Auth()
	if err != nil {
		return nil, nil, err
	}
	s := p.Common.GetServer()
	mw := apiserver.Config{Logger: p.Logger, Auth: o, TrustedProxies: s.GetTrustedProxies(), Guard: p.Middleware(),
		StreamGuard: StreamObserved(p.Name)}
	var gs *grpc.Server
	if s.GetGrpc().GetAddr() != "" {
		gs = apiserver.NewGRPCServer(s.GetGrpc().GetAddr(), s.GetGrpc().GetTimeout().AsDuration(), mw)
	}
	hs := apiserver.NewHTTPServer(s.GetHttp().GetAddr(), s.GetHttp().GetTimeout().AsDuration(), mw)
	return gs, hs, nil
}

// Observe adds /healthz, /readyz and (when metrics) /metrics to hs, and
// counts the bytes of its upload and download routes. Public: no token.
func Observe(hs *http.Server, service string, ready *Checks, metrics bool) {
	hs.HandleFunc("/healthz", Healthz)
	hs.HandleFunc("/readyz", ready.Readyz)
	if metrics {
		hs.Handle("/metrics", telemetry.Handler())
	}
	hs.Handler = telemetry.CountBytes(service, hs.Handler)
}

// Run serves the module until a signal, registered in etcd meanwhile.
func (p *Process) Run(m Module) error {
	gs, hs, err := p.Servers()
	if err != nil {
		return err
	}
	srvs := []transport.Server{hs}
	if gs != nil {
		m.RegisterGRPC(gs)
		srvs = append(srvs, gs)
	}
	m.RegisterHTTP(hs)
	// After the module, so that /healthz, /readyz and /metrics stay public
	// and byte counting sees every route, however the module wrapped them.
	Observe(hs, p.Name, &p.Ready, !p.Common.GetMetrics().GetDisabled())
	opts := []kratos.Option{kratos.Name(p.Name), kratos.Logger(p.Logger),
		kratos.Server(append(srvs, m.Servers()...)...)}
	if p.Registry != nil {
		opts = append(opts, kratos.Registrar(p.Registry))
	}
	return kratos.New(opts...).Run()
}

// Close releases what New and Dial opened, last first.
func (p *Process) Close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
	_ = p.Config.Close()
}
