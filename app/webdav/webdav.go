// Package webdav assembles the WebDAV service (mounted at /dav/) for the
// binaries that run it: its own (cmd/webdav) and the standalone drive. It
// is a gRPC client of the user, file and storage services and keeps no
// data of its own but locks and dead properties.
package webdav

import (
	_ "embed"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	grpcx "google.golang.org/grpc"

	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/app/webdav/internal/biz"
	"clouddrive/app/webdav/internal/conf"
	"clouddrive/app/webdav/internal/data"
	"clouddrive/app/webdav/internal/service"
	"clouddrive/pkg/config"
	"clouddrive/pkg/ratelimit"
)

// Prefix is where WebDAV is mounted, on the standalone binary's HTTP port
// and on the gateway (a plain HTTP route, tools/apisixgen).
const Prefix = "/dav/"

// Config is the service's configuration (app/webdav/internal/conf/conf.proto).
type Config = conf.Bootstrap

//go:embed configs/config.yaml
var defaults []byte

// LoadConfig reads the defaults, overlaid by the file at path when given.
func LoadConfig(path string) (*Config, error) {
	c := &Config{}
	return c, config.Load(c, defaults, path)
}

// Clients are the APIs the service calls: the user service's internal one
// (app-password sign-in), and the file and storage services' public ones,
// called as the signed-in user.
type Clients struct {
	Users   userv1.UserInternalClient
	Files   filev1.FileClient
	Storage storagev1.StorageClient
}

// Dial connects to the services the configuration names.
func Dial(c *Config) (Clients, func(), error) {
	s := c.GetServices()
	if s.GetFile() == "" || s.GetStorage() == "" || s.GetUser() == "" {
		return Clients{}, nil, errors.New("webdav: services.file, services.storage and services.user must be set")
	}
	var conns []*grpcx.ClientConn
	cleanup := func() {
		for _, cc := range conns {
			_ = cc.Close()
		}
	}
	for _, addr := range []string{s.GetUser(), s.GetFile(), s.GetStorage()} {
		cc, err := data.Dial(addr)
		if err != nil {
			cleanup()
			return Clients{}, nil, err
		}
		conns = append(conns, cc)
	}
	return Clients{Users: userv1.NewUserInternalClient(conns[0]), Files: filev1.NewFileClient(conns[1]),
		Storage: storagev1.NewStorageClient(conns[2])}, cleanup, nil
}

// Module is the WebDAV handler.
type Module struct {
	h *service.Handler
}

func rule(r *conf.Limits_Rule) ratelimit.Rule {
	return ratelimit.Rule{Limit: int(r.GetLimit()), Window: r.GetWindow().AsDuration()}
}

// New builds the service on its configuration.
func New(c *Config, cl Clients, logger log.Logger) (*Module, func(), error) {
	if cl.Users == nil || cl.Files == nil || cl.Storage == nil {
		return nil, nil, errors.New("webdav: the user, file and storage clients are required")
	}
	r := c.GetData().GetRedis()
	d, cleanup := data.NewData(r.GetAddr(), r.GetPassword(), int(r.GetDb()), r.GetPrefix())
	remember := c.GetWebdav().GetRemember().AsDuration()
	if remember <= 0 {
		remember = time.Minute
	}
	signin := biz.NewSignInUsecase(data.NewAccountClient(cl.Users, c.GetAuth().GetInternalSecret()), data.NewLimiter(d),
		&biz.SignInPolicy{PerIP: rule(c.GetLimits().GetSigninPerIp()), PerAccount: rule(c.GetLimits().GetSigninPerAccount()), Remember: remember})
	tree := biz.NewTreeUsecase(data.NewFileClient(cl.Files), data.NewBlobClient(cl.Storage), data.NewPropRepo(d))
	locks := biz.NewLockUsecase(data.NewLockRepo(d))
	prefix := c.GetWebdav().GetPrefix()
	if prefix == "" {
		prefix = Prefix
	}
	h := service.NewHandler(service.Options{Prefix: prefix, TempDir: c.GetWebdav().GetTempDir(),
		TrustedProxies: c.GetServer().GetTrustedProxies()}, signin, tree, locks, logger)
	return &Module{h: h}, cleanup, nil
}

// Handler serves WebDAV under the prefix.
func (m *Module) Handler() http.Handler { return m.h }

// Mount puts WebDAV in front of next: requests under the prefix go to
// WebDAV, before next's router could clean (and redirect) their paths,
// everything else to next.
func (m *Module) Mount(next http.Handler) http.Handler {
	p := m.h.Prefix()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == p || strings.HasPrefix(r.URL.Path, p+"/") {
			m.h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
