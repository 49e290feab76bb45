// Command file runs the file service alone: gRPC and HTTP on its own ports,
// MySQL from its configuration, events to Kafka.
package main

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"

	"clouddrive/app/file"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/events"
)

func main() { apiserver.Main("file", run) }

func run(confPath string, logger log.Logger) error {
	c, err := file.LoadConfig(confPath)
	if err != nil {
		return err
	}
	key, err := auth.LoadPublicKey(c.GetAuth().GetPublicKeyFile())
	if err != nil {
		return err
	}
	s, r := c.GetServer(), c.GetData().GetRedis()
	b := apiserver.Binary{Name: "file", Logger: logger,
		HTTPAddr: s.GetHttp().GetAddr(), HTTPTimeout: s.GetHttp().GetTimeout().AsDuration(),
		GRPCAddr: s.GetGrpc().GetAddr(), GRPCTimeout: s.GetGrpc().GetTimeout().AsDuration(),
		TrustedProxies: s.GetTrustedProxies(), Verifier: auth.NewVerifier(key), InternalSecret: c.GetAuth().GetInternalSecret(),
		RedisAddr: r.GetAddr(), RedisPassword: r.GetPassword(), RedisDB: int(r.GetDb()), RedisPrefix: r.GetPrefix()}
	rev, closeRev := b.Revocations()
	defer closeRev()
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
	return b.Serve(rev, func(gs *grpc.Server, hs *http.Server, _ auth.Options) {
		m.RegisterGRPC(gs)
		m.RegisterHTTP(hs)
	}, m.Servers()...)
}
