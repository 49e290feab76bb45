package skeleton

import (
	"flag"
	"os"

	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/protobuf/proto"

	"clouddrive/pkg/config"
)

// Build makes a service's module in p once its configuration is read; the
// function it returns releases what the module holds.
type Build func(p *Process) (Module, func(), error)

// Main is the main of a service binary: it reads -conf (overlaid by Nacos
// and the environment) into conf and the shared Common, builds the module
// and serves it until a signal.
func Main(name string, defaults []byte, conf proto.Message, build Build) {
	path := flag.String("conf", "", "config file overlaying the defaults (app/"+name+"/configs/config.yaml)")
	flag.Parse()
	if err := Run(name, defaults, *path, conf, build); err != nil {
		log.NewHelper(log.GetLogger()).Fatalw("msg", name+" service stopped", "err", err)
	}
}

// Run is Main without the flags.
func Run(name string, defaults []byte, path string, conf proto.Message, build Build) error {
	src, err := config.Open(name, defaults, path)
	if err != nil {
		return err
	}
	if err := src.Scan(conf); err != nil {
		_ = src.Close()
		return err
	}
	p, err := New(name, src, os.Stdout)
	if err != nil {
		_ = src.Close()
		return err
	}
	defer p.Close()
	log.SetLogger(config.QuietWatcherStops(p.Logger))
	m, cleanup, err := build(p)
	if err != nil {
		return err
	}
	defer cleanup()
	return p.Run(m)
}
