// Package user assembles the user service for the binaries that run it: its
// own (cmd/user) and the standalone drive. It is the service's only public
// face; everything else stays under internal/.
package user

import (
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	grpcgo "google.golang.org/grpc"

	"clouddrive/app/user/internal/biz"
	"clouddrive/app/user/internal/conf"
	"clouddrive/app/user/internal/server"
	"clouddrive/app/user/internal/service"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/config"
	"clouddrive/pkg/durable"
	"clouddrive/pkg/ratelimit"
)

// Config is the service's configuration (app/user/internal/conf/conf.proto).
type Config = conf.Bootstrap

//go:embed configs/config.yaml
var defaults []byte

// LoadConfig reads the defaults, overlaid by the file at path when given.
func LoadConfig(path string) (*Config, error) {
	c := &Config{}
	return c, config.Load(c, defaults, path)
}

// Module is the user service's handlers, ready to be registered.
type Module struct {
	user     *service.UserService
	admin    *service.AdminService
	internal *service.UserInternalService
	oauth    *service.OAuthHandler
	apps     *biz.AppPasswordUsecase
}

func newModule(user *service.UserService, admin *service.AdminService, internal *service.UserInternalService,
	oauth *service.OAuthHandler, apps *biz.AppPasswordUsecase) *Module {
	return &Module{user: user, admin: admin, internal: internal, oauth: oauth, apps: apps}
}

// RegisterGRPC adds the service, and its internal API for other services,
// to a gRPC server.
func (m *Module) RegisterGRPC(s *kgrpc.Server) { m.RegisterServices(s) }

// RegisterServices adds the same services to any registrar (the
// standalone binary's in-process connection too).
func (m *Module) RegisterServices(s grpcgo.ServiceRegistrar) {
	server.RegisterGRPC(s, m.user, m.admin, m.internal)
}

// RegisterHTTP adds the service's routes to an HTTP server.
func (m *Module) RegisterHTTP(s *http.Server) { server.RegisterHTTP(s, m.user, m.admin, m.oauth) }

// Keys are what the user service signs with and others verify with.
type Keys struct {
	Issuer   *auth.Issuer
	Verifier *auth.Verifier
	Secret   []byte
}

// LoadKeys reads (or, when the config allows, first creates) the signing
// key pair and the HMAC secret.
func LoadKeys(c *Config) (*Keys, error) {
	a := c.GetAuth()
	if a.GetGenerateKeys() {
		if err := auth.EnsureKeyPair(a.GetPrivateKeyFile(), a.GetPublicKeyFile()); err != nil {
			return nil, err
		}
	}
	priv, err := auth.LoadPrivateKey(a.GetPrivateKeyFile())
	if err != nil {
		return nil, err
	}
	pub, err := auth.LoadPublicKey(a.GetPublicKeyFile())
	if err != nil {
		return nil, err
	}
	secret := []byte(a.GetSecret())
	if len(secret) == 0 && a.GetGenerateKeys() {
		if secret, err = ensureSecret(filepath.Join(filepath.Dir(a.GetPrivateKeyFile()), "secret")); err != nil {
			return nil, err
		}
	}
	if len(secret) < 16 {
		return nil, fmt.Errorf("user: auth.secret must hold at least 16 bytes")
	}
	return &Keys{Issuer: auth.NewIssuer(priv, a.GetAccessTtl().AsDuration()), Verifier: auth.NewVerifier(pub), Secret: secret}, nil
}

func ensureSecret(path string) ([]byte, error) {
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

// policyOf turns the configuration into the use cases' tunables.
func policyOf(c *Config, k *Keys) *biz.Policy {
	rule := func(r *conf.Limits_Rule) ratelimit.Rule {
		return ratelimit.Rule{Limit: int(r.GetLimit()), Window: r.GetWindow().AsDuration()}
	}
	orDefault := func(d, def time.Duration) time.Duration {
		if d <= 0 {
			return def
		}
		return d
	}
	return &biz.Policy{
		AccessTTL:             c.GetAuth().GetAccessTtl().AsDuration(),
		RefreshTTL:            orDefault(c.GetAuth().GetRefreshTtl().AsDuration(), 30*24*time.Hour),
		BcryptCost:            int(c.GetAuth().GetBcryptCost()),
		AdminUsernames:        c.GetAuth().GetAdminUsernames(),
		Secret:                k.Secret,
		CodeTTL:               orDefault(c.GetCode().GetTtl().AsDuration(), 5*time.Minute),
		CodeMaxAttempts:       int(c.GetCode().GetMaxAttempts()),
		CodeResendInterval:    c.GetCode().GetResendInterval().AsDuration(),
		LoginPerIP:            rule(c.GetLimits().GetLoginPerIp()),
		LoginPerAccount:       rule(c.GetLimits().GetLoginPerAccount()),
		LoginPerAccountSource: rule(c.GetLimits().GetLoginPerAccountSource()),
		LoginBackoff:          c.GetLimits().GetLoginBackoff().AsDuration(),
		PasswordPerUser:       rule(c.GetLimits().GetPasswordPerUser()),
		RegisterPerIP:         rule(c.GetLimits().GetRegisterPerIp()),
		CodePerIP:             rule(c.GetLimits().GetCodePerIp()),
		CodePerTarget:         rule(c.GetLimits().GetCodePerTarget()),
		OAuthTicketTTL:        orDefault(c.GetOauth().GetTicketTtl().AsDuration(), time.Minute),
		SPACallbackURL:        c.GetOauth().GetSpaCallbackUrl(),
	}
}

// New builds the service's handlers on its configuration. Revocations are
// passed in because every service of a deployment must share them.
func New(c *Config, k *Keys, revocations auth.Revocations, logger log.Logger) (*Module, func(), error) {
	return wireModule(c.GetData(), c.GetCode(), c.GetOauth(), policyOf(c, k), k.Issuer, revocations, logger)
}
