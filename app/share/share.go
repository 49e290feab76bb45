// Package share assembles the share service for the binaries that run it:
// its own (cmd/share) and the standalone drive.
package share

import (
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	grpcgo "google.golang.org/grpc"

	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/app/share/internal/biz"
	"clouddrive/app/share/internal/conf"
	"clouddrive/app/share/internal/data"
	"clouddrive/app/share/internal/server"
	"clouddrive/app/share/internal/service"
	"clouddrive/pkg/config"
	"clouddrive/pkg/durable"
	"clouddrive/pkg/events"
	"clouddrive/pkg/ratelimit"
)

// Config is the service's configuration (app/share/internal/conf/conf.proto).
type Config = conf.Bootstrap

//go:embed configs/config.yaml
var defaults []byte

// LoadConfig reads the defaults, overlaid by the file at path when given.
func LoadConfig(path string) (*Config, error) {
	c := &Config{}
	return c, config.Load(c, defaults, path)
}

// Module is the share service's handlers and outbox relay.
type Module struct {
	shares   *service.ShareService
	internal *service.ShareInternalService
	relay    *events.Relay
}

func newModule(shares *service.ShareService, internal *service.ShareInternalService, relay *events.Relay) *Module {
	return &Module{shares: shares, internal: internal, relay: relay}
}

// Servers are the module's background workers for the app to run: the
// outbox relay.
func (m *Module) Servers() []transport.Server { return []transport.Server{m.relay} }

// RegisterGRPC adds the service, and its internal API for other services,
// to a gRPC server.
func (m *Module) RegisterGRPC(s *kgrpc.Server) { m.RegisterServices(s) }

// RegisterServices adds the same services to any registrar (the
// standalone binary's in-process connection too).
func (m *Module) RegisterServices(s grpcgo.ServiceRegistrar) {
	server.RegisterGRPC(s, m.shares, m.internal)
}

// RegisterHTTP adds the service's routes to an HTTP server.
func (m *Module) RegisterHTTP(s *http.Server) { server.RegisterHTTP(s, m.shares) }

// Clients are the internal APIs of the services a share calls: gRPC
// clients, of other processes or (standalone) of this one.
type Clients struct {
	Files   filev1.FileInternalClient
	Storage storagev1.StorageInternalClient
	Users   userv1.UserInternalClient
}

// Secret is the configured secret, or the one kept in secret_file (made on
// first start).
func Secret(c *Config) ([]byte, error) {
	if s := c.GetAuth().GetSecret(); s != "" {
		return []byte(s), nil
	}
	path := c.GetAuth().GetSecretFile()
	if path == "" {
		return nil, errors.New("share: auth.secret or auth.secret_file must be set")
	}
	if b, err := os.ReadFile(path); err == nil {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	s := hex.EncodeToString(b)
	// Durably: a secret lost or cut short in a power cut would stop the
	// start (or silently change every signature made with it).
	return []byte(s), durable.WriteFile(path, []byte(s+"\n"), 0o600)
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// policyOf turns the configuration into the use cases' tunables.
func policyOf(c *Config) *biz.Policy {
	rule := func(r *conf.Limits_Rule) ratelimit.Rule {
		return ratelimit.Rule{Limit: int(r.GetLimit()), Window: r.GetWindow().AsDuration()}
	}
	s := c.GetShare()
	p := &biz.Policy{
		AccessTTL:     orDefault(s.GetAccessTtl().AsDuration(), 30*time.Minute),
		MaxWrongCodes: int(s.GetMaxWrongCodes()),
		Cooldown:      orDefault(s.GetCooldown().AsDuration(), 15*time.Minute),
		OpenPerIP:     rule(c.GetLimits().GetOpenPerIp()),
		OpenPerShare:  rule(c.GetLimits().GetOpenPerShare()),
		URLPrefix:     s.GetUrlPrefix(),
	}
	if p.MaxWrongCodes <= 0 {
		p.MaxWrongCodes = 10
	}
	if p.URLPrefix == "" {
		p.URLPrefix = "/s/"
	}
	return p
}

// New builds the service on its configuration; its events go to pub
// (Kafka, or the standalone binary's in-process bus), and it reaches the
// other services through cl.
func New(c *Config, pub events.Publisher, cl Clients, logger log.Logger) (*Module, func(), error) {
	return build(c, pub, cl, biz.NewClock(), logger)
}

func build(c *Config, pub events.Publisher, cl Clients, clock biz.Clock, logger log.Logger) (*Module, func(), error) {
	if cl.Files == nil || cl.Storage == nil || cl.Users == nil {
		return nil, nil, errors.New("share: the file, storage and user clients are required")
	}
	secret, err := Secret(c)
	if err != nil {
		return nil, nil, err
	}
	keys, err := biz.NewKeys(secret)
	if err != nil {
		return nil, nil, err
	}
	is := c.GetAuth().GetInternalSecret()
	return wireModule(c.GetData(), policyOf(c), keys, clock, pub,
		data.NewFileClient(cl.Files, is), data.NewStorageClient(cl.Storage, is), data.NewUserClient(cl.Users, is), logger)
}
