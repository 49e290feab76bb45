// Package notify assembles the notify service for the binaries that run it:
// its own (cmd/notify, consuming Kafka) and the standalone drive (its
// in-process bus).
package notify

import (
	"context"
	_ "embed"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	grpcgo "google.golang.org/grpc"

	userv1 "clouddrive/api/user/v1"
	"clouddrive/app/notify/internal/biz"
	"clouddrive/app/notify/internal/conf"
	"clouddrive/app/notify/internal/data"
	"clouddrive/app/notify/internal/server"
	"clouddrive/app/notify/internal/service"
	"clouddrive/pkg/config"
	"clouddrive/pkg/events"
)

// Config is the service's configuration (app/notify/internal/conf/conf.proto).
type Config = conf.Bootstrap

//go:embed configs/config.yaml
var defaults []byte

// LoadConfig reads the defaults, overlaid by the file at path when given.
func LoadConfig(path string) (*Config, error) {
	c := &Config{}
	return c, config.Load(c, defaults, path)
}

// Topics are the topics notify consumes (file and share events).
var Topics = service.Topics

// Group is the default Kafka consumer group.
const Group = "notify"

// Module is the notify service's API, event handler and email sender.
type Module struct {
	notify *service.NotifyService
	events *service.EventHandler
	mailer *server.MailWorker
}

func newModule(n *service.NotifyService, e *service.EventHandler, mail *biz.MailUsecase, c *conf.Mail, logger log.Logger) *Module {
	return &Module{notify: n, events: e, mailer: server.NewMailWorker(mail, c.GetPollInterval().AsDuration(), logger)}
}

// RegisterGRPC adds the service to a gRPC server.
func (m *Module) RegisterGRPC(s *kgrpc.Server) { m.RegisterServices(s) }

// RegisterServices adds the same services to any registrar (the
// standalone binary's in-process connection too).
func (m *Module) RegisterServices(s grpcgo.ServiceRegistrar) { server.RegisterGRPC(s, m.notify) }

// RegisterHTTP adds the service's routes to an HTTP server.
func (m *Module) RegisterHTTP(s *http.Server) { server.RegisterHTTP(s, m.notify) }

// Handler is the idempotent handler of Topics: give it to a Kafka consumer
// (NewConsumer) or subscribe it on a bus (Subscribe).
func (m *Module) Handler() events.Handler { return m.events.Handle }

// Subscribe adds the handler to bus for every topic notify consumes (the
// standalone binary).
func (m *Module) Subscribe(bus *events.Bus) {
	for _, t := range Topics {
		bus.SubscribeAs(Group, t, m.Handler())
	}
}

// Servers are the module's background workers for the app to run: the
// email sender (idle when no SMTP is configured).
func (m *Module) Servers() []transport.Server { return []transport.Server{m.mailer} }

// SendDueMail runs the email sender once (tests, admin tools).
func (m *Module) SendDueMail(ctx context.Context) { m.mailer.RunOnce(ctx) }

// NewConsumer joins the configured consumer group on the configured brokers
// with the module's handler. It is a kratos transport.Server.
func NewConsumer(c *Config, m *Module, logger log.Logger) (*events.KafkaConsumer, error) {
	group := c.GetEvents().GetGroup()
	if group == "" {
		group = Group
	}
	return events.NewKafkaConsumer(c.GetEvents().GetBrokers(), group, Topics, m.Handler(), events.KafkaConfig("notify"), logger)
}

func mailPolicyOf(c *Config) *biz.MailPolicy {
	m := c.GetMail()
	return &biz.MailPolicy{MaxAttempts: int(m.GetMaxAttempts()), RetryBackoff: m.GetRetryBackoff().AsDuration(),
		SiteURL: m.GetSiteUrl()}
}

// New builds the service on its configuration. users is the user service's
// internal API: a gRPC client (DialUsers), or this process's own port in
// the standalone binary.
func New(c *Config, users userv1.UserInternalClient, logger log.Logger) (*Module, func(), error) {
	uc := data.NewUserClient(users, c.GetAuth().GetInternalSecret())
	return wireModule(c.GetData(), c.GetMail(), mailPolicyOf(c), uc, logger)
}
