// Command storage runs the storage service alone: gRPC and HTTP on its own
// ports, MySQL, the configured backend, and the file service over gRPC.
package main

import (
	"flag"
	"os"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/redis/go-redis/v9"

	"clouddrive/app/storage"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

func main() {
	confPath := flag.String("conf", "", "config file overlaying the defaults (app/storage/configs/config.yaml)")
	flag.Parse()
	logger := apiserver.Logger(os.Stdout, "storage")
	log.SetLogger(logger)
	if err := run(*confPath, logger); err != nil {
		log.NewHelper(logger).Fatalw("msg", "storage service stopped", "err", err)
	}
}

func run(confPath string, logger log.Logger) error {
	c, err := storage.LoadConfig(confPath)
	if err != nil {
		return err
	}
	pub, err := auth.LoadPublicKey(c.GetAuth().GetPublicKeyFile())
	if err != nil {
		return err
	}
	var revocations auth.Revocations
	if r := c.GetData().GetRedis(); r.GetAddr() != "" {
		rdb := redis.NewClient(&redis.Options{Addr: r.GetAddr(), Password: r.GetPassword(), DB: int(r.GetDb())})
		defer rdb.Close()
		revocations = auth.NewRedisRevocations(rdb, r.GetPrefix())
	}
	files, closeFiles, err := storage.DialFiles(c)
	if err != nil {
		return err
	}
	defer closeFiles()
	m, cleanup, err := storage.New(c, files, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	authOpts := auth.Options{Verifier: auth.NewVerifier(pub), Revocations: revocations, InternalSecret: c.GetAuth().GetInternalSecret(), Logger: logger}
	mw := apiserver.Config{Logger: logger, Auth: authOpts, TrustedProxies: c.GetServer().GetTrustedProxies()}
	gs := apiserver.NewGRPCServer(c.GetServer().GetGrpc().GetAddr(), c.GetServer().GetGrpc().GetTimeout().AsDuration(), mw)
	hs := apiserver.NewHTTPServer(c.GetServer().GetHttp().GetAddr(), c.GetServer().GetHttp().GetTimeout().AsDuration(), mw)
	m.RegisterGRPC(gs)
	m.RegisterHTTP(hs, authOpts)
	app := kratos.New(kratos.Name("storage"), kratos.Logger(logger), kratos.Server(gs, hs, m.Collector()))
	return app.Run()
}
