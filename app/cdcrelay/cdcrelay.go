// Package cdcrelay is the binlog relay for one host without Flink: it reads
// the file service's nodes and quotas changes from the MySQL/MariaDB binlog
// (go-mysql's canal) and publishes exactly the messages the Flink CDC jobs
// of flink/jobs publish (debezium-json, keyed by primary key, same topics),
// resuming from the position it stored: at-least-once.
package cdcrelay

import (
	"crypto/ed25519"
	_ "embed"

	"github.com/go-kratos/kratos/v2/transport"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"

	"clouddrive/app/cdcrelay/internal/conf"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/config"
	"clouddrive/pkg/skeleton"
)

// Config is the relay's configuration (internal/conf/conf.proto).
type Config = conf.Bootstrap

//go:embed configs/config.yaml
var defaults []byte

// LoadConfig reads the defaults, overlaid by the file at path when given.
func LoadConfig(path string) (*Config, error) {
	c := &Config{}
	return c, config.Load(c, defaults, path)
}

// module is the relay as the skeleton runs it: no API, one worker.
type module struct{ relay *Relay }

func (module) RegisterGRPC(*grpc.Server)     {}
func (module) RegisterHTTP(*http.Server)     {}
func (m module) Servers() []transport.Server { return []transport.Server{m.relay} }

// Main runs the relay (cmd/cdcrelay) with /healthz, /readyz and /metrics.
func Main() {
	c := &Config{}
	skeleton.Main("cdcrelay", defaults, c, func(p *skeleton.Process) (skeleton.Module, func(), error) {
		// No route takes a token: a throwaway key stands in for the user
		// service's, which this process has no use for.
		pub, _, err := ed25519.GenerateKey(nil)
		if err != nil {
			return nil, nil, err
		}
		p.Verifier = auth.NewVerifier(pub)
		r, err := NewRelay(c, p.Logger)
		if err != nil {
			return nil, nil, err
		}
		p.Ready.Add("binlog", r.Ready)
		return module{r}, func() {}, nil
	})
}
