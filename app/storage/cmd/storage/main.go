// Command storage runs the storage service alone: gRPC and HTTP on its own
// ports, MySQL, the configured backend, and the file service over gRPC.
package main

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"

	"clouddrive/app/storage"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

func main() { apiserver.Main("storage", run) }

func run(confPath string, logger log.Logger) error {
	c, err := storage.LoadConfig(confPath)
	if err != nil {
		return err
	}
	key, err := auth.LoadPublicKey(c.GetAuth().GetPublicKeyFile())
	if err != nil {
		return err
	}
	s, r := c.GetServer(), c.GetData().GetRedis()
	b := apiserver.Binary{Name: "storage", Logger: logger,
		HTTPAddr: s.GetHttp().GetAddr(), HTTPTimeout: s.GetHttp().GetTimeout().AsDuration(),
		GRPCAddr: s.GetGrpc().GetAddr(), GRPCTimeout: s.GetGrpc().GetTimeout().AsDuration(),
		TrustedProxies: s.GetTrustedProxies(), Verifier: auth.NewVerifier(key), InternalSecret: c.GetAuth().GetInternalSecret(),
		RedisAddr: r.GetAddr(), RedisPassword: r.GetPassword(), RedisDB: int(r.GetDb()), RedisPrefix: r.GetPrefix()}
	rev, closeRev := b.Revocations()
	defer closeRev()
	files, closeFiles, err := storage.DialFiles(c)
	if err != nil {
		return err
	}
	defer closeFiles()
	shares, closeShares, err := storage.DialShares(c)
	if err != nil {
		return err
	}
	defer closeShares()
	m, cleanup, err := storage.New(c, files, shares, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	return b.Serve(rev, func(gs *grpc.Server, hs *http.Server, o auth.Options) {
		m.RegisterGRPC(gs)
		m.RegisterHTTP(hs, o)
	}, m.Collector(), m.Scrubber())
}
