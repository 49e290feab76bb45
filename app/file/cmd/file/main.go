// Command file runs the file service alone: gRPC and HTTP on its own ports,
// MySQL from its configuration.
package main

import (
	"flag"
	"os"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/redis/go-redis/v9"

	"clouddrive/app/file"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/events"
)

func main() {
	confPath := flag.String("conf", "", "config file overlaying the defaults (app/file/configs/config.yaml)")
	flag.Parse()
	logger := apiserver.Logger(os.Stdout, "file")
	log.SetLogger(logger)
	if err := run(*confPath, logger); err != nil {
		log.NewHelper(logger).Fatalw("msg", "file service stopped", "err", err)
	}
}

func run(confPath string, logger log.Logger) error {
	c, err := file.LoadConfig(confPath)
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
	kafka, err := events.NewKafkaPublisher(c.GetEvents().GetBrokers(), events.KafkaConfig("file"))
	if err != nil {
		return err
	}
	defer kafka.Close()
	m, cleanup, err := file.New(c, kafka, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	mw := apiserver.Config{
		Logger:         logger,
		Auth:           auth.Options{Verifier: auth.NewVerifier(pub), Revocations: revocations, InternalSecret: c.GetAuth().GetInternalSecret(), Logger: logger},
		TrustedProxies: c.GetServer().GetTrustedProxies(),
	}
	gs := apiserver.NewGRPCServer(c.GetServer().GetGrpc().GetAddr(), c.GetServer().GetGrpc().GetTimeout().AsDuration(), mw)
	hs := apiserver.NewHTTPServer(c.GetServer().GetHttp().GetAddr(), c.GetServer().GetHttp().GetTimeout().AsDuration(), mw)
	m.RegisterGRPC(gs)
	m.RegisterHTTP(hs)
	app := kratos.New(kratos.Name("file"), kratos.Logger(logger), kratos.Server(append([]transport.Server{gs, hs}, m.Servers()...)...))
	return app.Run()
}
