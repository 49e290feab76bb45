// Command clouddrive is the whole drive in one process on embedded defaults.
// `make run` builds and starts it.
package main

import (
	"context"
	"flag"
	"os"
	"strings"

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
	level := flag.String("log-level", "info", "debug, info, warn or error; debug logs every call served")
	flag.Parse()
	// At info a call that succeeds writes no line: a line per small file
	// or listing was a write to stdout on every request.
	o.Logger = log.NewFilter(apiserver.Logger(os.Stdout, "clouddrive"), log.FilterLevel(log.ParseLevel(strings.ToUpper(*level))))
	log.SetLogger(config.QuietWatcherStops(o.Logger))
	if err := standalone.Run(context.Background(), o); err != nil {
		log.NewHelper(o.Logger).Errorw("msg", "clouddrive stopped", "err", err)
		os.Exit(1)
	}
}
