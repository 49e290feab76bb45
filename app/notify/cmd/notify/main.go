// Command notify runs the notify service alone: gRPC and HTTP on its own
// ports, MySQL from its configuration, and a member of the Kafka consumer
// group that turns file and share events into notifications.
package main

import (
	"flag"
	"os"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/redis/go-redis/v9"

	"clouddrive/app/notify"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

func main() {
	confPath := flag.String("conf", "", "config file overlaying the defaults (app/notify/configs/config.yaml)")
	flag.Parse()
	logger := apiserver.Logger(os.Stdout, "notify")
	log.SetLogger(logger)
	if err := run(*confPath, logger); err != nil {
		log.NewHelper(logger).Fatalw("msg", "notify service stopped", "err", err)
	}
}

func run(confPath string, logger log.Logger) error {
	c, err := notify.LoadConfig(confPath)
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
	users, closeUsers, err := notify.DialUsers(c)
	if err != nil {
		return err
	}
	defer closeUsers()
	m, cleanup, err := notify.New(c, users, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	consumer, err := notify.NewConsumer(c, m, logger)
	if err != nil {
		return err
	}
	mw := apiserver.Config{
		Logger:         logger,
		Auth:           auth.Options{Verifier: auth.NewVerifier(pub), Revocations: revocations, InternalSecret: c.GetAuth().GetInternalSecret(), Logger: logger},
		TrustedProxies: c.GetServer().GetTrustedProxies(),
	}
	gs := apiserver.NewGRPCServer(c.GetServer().GetGrpc().GetAddr(), c.GetServer().GetGrpc().GetTimeout().AsDuration(), mw)
	hs := apiserver.NewHTTPServer(c.GetServer().GetHttp().GetAddr(), c.GetServer().GetHttp().GetTimeout().AsDuration(), mw)
	m.RegisterGRPC(gs)
	m.RegisterHTTP(hs)
	servers := append([]transport.Server{gs, hs, consumer}, m.Servers()...)
	app := kratos.New(kratos.Name("notify"), kratos.Logger(logger), kratos.Server(servers...))
	return app.Run()
}
