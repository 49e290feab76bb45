// Package file assembles the file service for the binaries that run it: its
// own (cmd/file) and the standalone drive.
package file

import (
	"context"
	_ "embed"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	grpcgo "google.golang.org/grpc"

	"clouddrive/app/file/internal/biz"
	"clouddrive/app/file/internal/conf"
	"clouddrive/app/file/internal/data"
	"clouddrive/app/file/internal/server"
	"clouddrive/app/file/internal/service"
	"clouddrive/pkg/config"
	"clouddrive/pkg/events"
)

// Config is the service's configuration (app/file/internal/conf/conf.proto).
type Config = conf.Bootstrap

//go:embed configs/config.yaml
var defaults []byte

// LoadConfig reads the defaults, overlaid by the file at path when given.
func LoadConfig(path string) (*Config, error) {
	c := &Config{}
	return c, config.Load(c, defaults, path)
}

// Module is the file service's handlers and janitor.
type Module struct {
	files    *service.FileService
	admin    *service.FileAdminService
	internal *service.FileInternalService
	janitor  *server.Janitor
	relay    *events.Relay
	hub      *data.ChangeHub
	// extra are workers added after New (the change consumer of cmd/file).
	extra []transport.Server
}

func newModule(files *service.FileService, admin *service.FileAdminService, internal *service.FileInternalService, trash *biz.TrashUsecase,
	nodes *biz.NodeUsecase, changes *biz.ChangeUsecase, hub *data.ChangeHub, relay *events.Relay, c *conf.Tree, logger log.Logger) *Module {
	return &Module{files: files, admin: admin, internal: internal, relay: relay, hub: hub,
		janitor: server.NewJanitor(trash, nodes, changes, c.GetJanitorInterval().AsDuration(), logger)}
}

// Servers are the module's background workers for the app to run: the
// janitor and the outbox relay (and the change consumer when there is one).
func (m *Module) Servers() []transport.Server {
	return append([]transport.Server{m.janitor, m.relay}, m.extra...)
}

// ChangeHandler wakes this module's WaitChanges calls from the file
// events: subscribe it to the file topic (the standalone bus, or a Kafka
// consumer group of this instance's own).
func (m *Module) ChangeHandler() events.Handler { return m.hub.Handle }

// RegisterGRPC adds the service to a gRPC server.
func (m *Module) RegisterGRPC(s *kgrpc.Server) { m.RegisterServices(s) }

// RegisterServices adds the same services to any registrar (the
// standalone binary's in-process connection too).
func (m *Module) RegisterServices(s grpcgo.ServiceRegistrar) {
	server.RegisterGRPC(s, m.files, m.admin, m.internal)
}

// RegisterHTTP adds the service's routes to an HTTP server.
func (m *Module) RegisterHTTP(s *http.Server) { server.RegisterHTTP(s, m.files, m.admin) }

// PurgeExpiredTrash runs the janitor once (tests, admin tools).
func (m *Module) PurgeExpiredTrash(ctx context.Context) { m.janitor.RunOnce(ctx) }

func policyOf(c *Config) *biz.Policy {
	t := c.GetTree()
	return &biz.Policy{DefaultQuota: t.GetDefaultQuotaBytes(), TrashRetention: t.GetTrashRetention().AsDuration(),
		QuotaWarnRatio: t.GetQuotaWarnRatio(), VersionKeepCount: int(t.GetVersionKeepCount()),
		VersionKeepAge: t.GetVersionKeepAge().AsDuration(), ChangeRetention: t.GetChangeRetention().AsDuration(),
		ChangesPollInterval: t.GetChangesPollInterval().AsDuration()}
}

// New builds the service on its configuration; its events go to pub
// (Kafka, or the standalone binary's in-process bus).
func New(c *Config, pub events.Publisher, logger log.Logger) (*Module, func(), error) {
	return NewCached(c, nil, pub, logger)
}

// CacheConfig is the cache section of the configuration file
// (internal/conf/cache.proto), read beside Config.
type CacheConfig = conf.CacheBootstrap

// NewCached is New reading node lookups, listing pages and usage through
// Redis when cache.enabled: a deployment's choice (nil: MySQL only, as the
// standalone binary runs).
func NewCached(c *Config, cache *CacheConfig, pub events.Publisher, logger log.Logger) (*Module, func(), error) {
	return wireModule(c.GetData(), c.GetTree(), cache.GetCache(), policyOf(c), pub, logger)
}
