// Command notify runs the notify service alone: gRPC and HTTP on its own
// ports, MySQL from its configuration, events from Kafka, the user service
// over gRPC, and email through SMTP when configured.
package main

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"

	"clouddrive/app/notify"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

func main() { apiserver.Main("notify", run) }

func run(confPath string, logger log.Logger) error {
	c, err := notify.LoadConfig(confPath)
	if err != nil {
		return err
	}
	key, err := auth.LoadPublicKey(c.GetAuth().GetPublicKeyFile())
	if err != nil {
		return err
	}
	s, r := c.GetServer(), c.GetData().GetRedis()
	b := apiserver.Binary{Name: "notify", Logger: logger,
		HTTPAddr: s.GetHttp().GetAddr(), HTTPTimeout: s.GetHttp().GetTimeout().AsDuration(),
		GRPCAddr: s.GetGrpc().GetAddr(), GRPCTimeout: s.GetGrpc().GetTimeout().AsDuration(),
		TrustedProxies: s.GetTrustedProxies(), Verifier: auth.NewVerifier(key), InternalSecret: c.GetAuth().GetInternalSecret(),
		RedisAddr: r.GetAddr(), RedisPassword: r.GetPassword(), RedisDB: int(r.GetDb()), RedisPrefix: r.GetPrefix()}
	rev, closeRev := b.Revocations()
	defer closeRev()
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
	return b.Serve(rev, func(gs *grpc.Server, hs *http.Server, _ auth.Options) {
		m.RegisterGRPC(gs)
		m.RegisterHTTP(hs)
	}, append(m.Servers(), consumer)...)
}
