// Command clouddrive is the whole drive in one process on embedded defaults.
// `make run` builds and starts it.
package main

import (
	"context"
	"flag"
	"os"

	"github.com/go-kratos/kratos/v2/log"

	"clouddrive/app/standalone"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/config"
)

func main() {
	o := standalone.Options{}
	flag.StringVar(&o.DataDir, "data", "./data", "folder for the databases, blobs and keys")
	flag.StringVar(&o.HTTPAddr, "http", "127.0.0.1:8000", "HTTP API (and web app) address")
	flag.StringVar(&o.GRPCAddr, "grpc", "127.0.0.1:9000", "gRPC address")
	flag.StringVar(&o.DebugAddr, "debug", "", "profiling (net/http/pprof) address, e.g. 127.0.0.1:6060; off when empty")
	flag.Parse()
	o.Logger = apiserver.Logger(os.Stdout, "clouddrive")
	log.SetLogger(config.QuietWatcherStops(o.Logger))
	if err := standalone.Run(context.Background(), o); err != nil {
		log.NewHelper(o.Logger).Errorw("msg", "clouddrive stopped", "err", err)
		os.Exit(1)
	}
}
