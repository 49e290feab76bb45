// Command user runs the user service alone: gRPC and HTTP on its own ports,
// MySQL and Redis from its configuration.
package main

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"

	"clouddrive/app/user"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

func main() { apiserver.Main("user", run) }

func run(confPath string, logger log.Logger) error {
	c, err := user.LoadConfig(confPath)
	if err != nil {
		return err
	}
	keys, err := user.LoadKeys(c)
	if err != nil {
		return err
	}
	s, r := c.GetServer(), c.GetData().GetRedis()
	b := apiserver.Binary{Name: "user", Logger: logger,
		HTTPAddr: s.GetHttp().GetAddr(), HTTPTimeout: s.GetHttp().GetTimeout().AsDuration(),
		GRPCAddr: s.GetGrpc().GetAddr(), GRPCTimeout: s.GetGrpc().GetTimeout().AsDuration(),
		TrustedProxies: s.GetTrustedProxies(), Verifier: keys.Verifier, InternalSecret: c.GetAuth().GetInternalSecret(),
		RedisAddr: r.GetAddr(), RedisPassword: r.GetPassword(), RedisDB: int(r.GetDb()), RedisPrefix: r.GetPrefix()}
	rev, closeRev := b.Revocations()
	defer closeRev()
	m, cleanup, err := user.New(c, keys, rev, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	return b.Serve(rev, func(gs *grpc.Server, hs *http.Server, _ auth.Options) {
		m.RegisterGRPC(gs)
		m.RegisterHTTP(hs)
	})
}
