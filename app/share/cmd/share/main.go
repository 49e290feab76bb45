// Command share runs the share service alone: gRPC and HTTP on its own
// ports, MySQL and Redis from its configuration, events to Kafka, and the
// file, storage and user services over gRPC.
package main

import (
	"flag"
	"os"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/redis/go-redis/v9"

	"clouddrive/app/share"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/events"
)

func main() {
	confPath := flag.String("conf", "", "config file overlaying the defaults (app/share/configs/config.yaml)")
	flag.Parse()
	logger := apiserver.Logger(os.Stdout, "share")
	log.SetLogger(logger)
	if err := run(*confPath, logger); err != nil {
		log.NewHelper(logger).Fatalw("msg", "share service stopped", "err", err)
	}
}

func run(confPath string, logger log.Logger) error {
	c, err := share.LoadConfig(confPath)
	if err != nil {
		return err
	}
	key, err := auth.LoadPublicKey(c.GetAuth().GetPublicKeyFile())
	if err != nil {
		return err
	}
	var revocations auth.Revocations
	if r := c.GetData().GetRedis(); r.GetAddr() != "" {
		rdb := redis.NewClient(&redis.Options{Addr: r.GetAddr(), Password: r.GetPassword(), DB: int(r.GetDb())})
		defer rdb.Close()
		revocations = auth.NewRedisRevocations(rdb, r.GetPrefix())
	}
	pub, err := events.NewKafkaPublisher(c.GetEvents().GetBrokers(), events.KafkaConfig("share"))
	if err != nil {
		return err
	}
	defer pub.Close()
	clients, closeClients, err := share.Dial(c)
	if err != nil {
		return err
	}
	defer closeClients()
	m, cleanup, err := share.New(c, pub, clients, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	mw := apiserver.Config{
		Logger:         logger,
		Auth:           auth.Options{Verifier: auth.NewVerifier(key), Revocations: revocations, InternalSecret: c.GetAuth().GetInternalSecret(), Logger: logger},
		TrustedProxies: c.GetServer().GetTrustedProxies(),
	}
	gs := apiserver.NewGRPCServer(c.GetServer().GetGrpc().GetAddr(), c.GetServer().GetGrpc().GetTimeout().AsDuration(), mw)
	hs := apiserver.NewHTTPServer(c.GetServer().GetHttp().GetAddr(), c.GetServer().GetHttp().GetTimeout().AsDuration(), mw)
	m.RegisterGRPC(gs)
	m.RegisterHTTP(hs)
	app := kratos.New(kratos.Name("share"), kratos.Logger(logger), kratos.Server(append([]transport.Server{gs, hs}, m.Servers()...)...))
	return app.Run()
}
