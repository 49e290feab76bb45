// Command share runs the share service alone: gRPC and HTTP on its own
// ports, MySQL and Redis from its configuration, events to Kafka, and the
// file, storage and user services over gRPC.
package main

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"

	"clouddrive/app/share"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/events"
)

func main() { apiserver.Main("share", run) }

func run(confPath string, logger log.Logger) error {
	c, err := share.LoadConfig(confPath)
	if err != nil {
		return err
	}
	key, err := auth.LoadPublicKey(c.GetAuth().GetPublicKeyFile())
	if err != nil {
		return err
	}
	s, r := c.GetServer(), c.GetData().GetRedis()
	b := apiserver.Binary{Name: "share", Logger: logger,
		HTTPAddr: s.GetHttp().GetAddr(), HTTPTimeout: s.GetHttp().GetTimeout().AsDuration(),
		GRPCAddr: s.GetGrpc().GetAddr(), GRPCTimeout: s.GetGrpc().GetTimeout().AsDuration(),
		TrustedProxies: s.GetTrustedProxies(), Verifier: auth.NewVerifier(key), InternalSecret: c.GetAuth().GetInternalSecret(),
		RedisAddr: r.GetAddr(), RedisPassword: r.GetPassword(), RedisDB: int(r.GetDb()), RedisPrefix: r.GetPrefix()}
	rev, closeRev := b.Revocations()
	defer closeRev()
	kafka, err := events.NewKafkaPublisher(c.GetEvents().GetBrokers(), events.KafkaConfig("share"))
	if err != nil {
		return err
	}
	defer kafka.Close()
	clients, closeClients, err := share.Dial(c)
	if err != nil {
		return err
	}
	defer closeClients()
	m, cleanup, err := share.New(c, kafka, clients, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	return b.Serve(rev, func(gs *grpc.Server, hs *http.Server, _ auth.Options) {
		m.RegisterGRPC(gs)
		m.RegisterHTTP(hs)
	}, m.Servers()...)
}
