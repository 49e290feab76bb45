package apiserver

import (
	"flag"
	"os"
	"time"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	"github.com/redis/go-redis/v9"

	"clouddrive/pkg/auth"
)

// Main is the main of a service binary (cmd/<svc>): it reads -conf, makes
// the logger, and runs run until it returns.
func Main(name string, run func(confPath string, logger log.Logger) error) {
	confPath := flag.String("conf", "", "config file overlaying the defaults (app/"+name+"/configs/config.yaml)")
	flag.Parse()
	logger := Logger(os.Stdout, name)
	log.SetLogger(logger)
	if err := run(*confPath, logger); err != nil {
		log.NewHelper(logger).Fatalw("msg", name+" service stopped", "err", err)
	}
}

// Binary is one service running alone: the settings every service's
// configuration has, whatever its own conf.proto names them.
type Binary struct {
	Name           string
	HTTPAddr       string
	HTTPTimeout    time.Duration
	GRPCAddr       string
	GRPCTimeout    time.Duration
	TrustedProxies []string
	// Verifier checks access tokens (the user service's public key).
	Verifier       *auth.Verifier
	InternalSecret string
	// Redis, when RedisAddr is set, holds the token revocations that every
	// service of a deployment must see.
	RedisAddr     string
	RedisPassword string
	RedisDB       int
	RedisPrefix   string
	Logger        log.Logger
}

// Revocations are the deployment's token revocations: in Redis when
// configured, else in this process only.
func (b *Binary) Revocations() (auth.Revocations, func()) {
	if b.RedisAddr == "" {
		return auth.NewMemoryRevocations(), func() {}
	}
	rdb := redis.NewClient(&redis.Options{Addr: b.RedisAddr, Password: b.RedisPassword, DB: b.RedisDB})
	return auth.NewRedisRevocations(rdb, b.RedisPrefix), func() { _ = rdb.Close() }
}

// Serve builds the gRPC and HTTP servers with the shared chain, lets
// register add the service's handlers (with the auth options, which raw
// byte routes need), and runs them and the workers until a signal.
func (b *Binary) Serve(rev auth.Revocations, register func(gs *grpc.Server, hs *http.Server, o auth.Options), workers ...transport.Server) error {
	o := auth.Options{Verifier: b.Verifier, Revocations: rev, InternalSecret: b.InternalSecret, Logger: b.Logger}
	mw := Config{Logger: b.Logger, Auth: o, TrustedProxies: b.TrustedProxies}
	gs := NewGRPCServer(b.GRPCAddr, b.GRPCTimeout, mw)
	hs := NewHTTPServer(b.HTTPAddr, b.HTTPTimeout, mw)
	register(gs, hs, o)
	app := kratos.New(kratos.Name(b.Name), kratos.Logger(b.Logger), kratos.Server(append([]transport.Server{gs, hs}, workers...)...))
	return app.Run()
}
