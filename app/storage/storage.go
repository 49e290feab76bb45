// Package storage assembles the storage service for the binaries that run
// it: its own (cmd/storage) and the standalone drive.
package storage

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"os"
	"strings"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	grpcgo "google.golang.org/grpc"

	filev1 "clouddrive/api/file/v1"
	sharev1 "clouddrive/api/share/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/conf"
	"clouddrive/app/storage/internal/data"
	"clouddrive/app/storage/internal/server"
	"clouddrive/app/storage/internal/service"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/config"
	"clouddrive/pkg/durable"
)

// Config is the service's configuration (app/storage/internal/conf/conf.proto).
type Config = conf.Bootstrap

//go:embed configs/config.yaml
var defaults []byte

// LoadConfig reads the defaults, overlaid by the file at path when given.
func LoadConfig(path string) (*Config, error) {
	c := &Config{}
	return c, config.Load(c, defaults, path)
}

// Module is the storage service's handlers and background jobs.
type Module struct {
	storage   *service.StorageService
	admin     *service.StorageAdminService
	internal  *service.StorageInternalService
	bytes     *service.ByteRoutes
	thumbs    *service.ThumbnailService
	collector *server.Job
	scrubber  *server.Job
	auth      auth.Options
	uploads   *biz.UploadUsecase
}

func newModule(st *service.StorageService, admin *service.StorageAdminService, internal *service.StorageInternalService,
	b *service.ByteRoutes, thumbs *service.ThumbnailService, uploads *biz.UploadUsecase, gc *biz.GCUsecase, scrub *biz.ScrubUsecase, c *conf.Upload, logger log.Logger) *Module {
	return &Module{storage: st, admin: admin, internal: internal, bytes: b, thumbs: thumbs, uploads: uploads,
		collector: server.NewCollector(gc, c.GetGcInterval().AsDuration(), logger),
		scrubber:  server.NewScrubber(scrub, c.GetScrubInterval().AsDuration(), logger)}
}

// RegisterGRPC adds the service, and its internal API for other services,
// to a gRPC server.
func (m *Module) RegisterGRPC(s *kgrpc.Server) { m.RegisterServices(s) }

// RegisterServices adds the same services to any registrar (the
// standalone binary's in-process connection too).
func (m *Module) RegisterServices(s grpcgo.ServiceRegistrar) {
	server.RegisterGRPC(s, m.storage, m.admin, m.internal)
	server.RegisterThumbnailsGRPC(s, m.thumbs)
}

// RegisterHTTP adds the service's routes; the byte routes check tokens
// with the auth options the module was built with.
func (m *Module) RegisterHTTP(s *http.Server) {
	server.RegisterHTTP(s, m.storage, m.admin, m.bytes, m.auth)
	server.RegisterThumbnailsHTTP(s, m.thumbs)
}

// Servers are the background jobs: the collector and the scrubber.
func (m *Module) Servers() []transport.Server { return []transport.Server{m.collector, m.scrubber} }

// Collector is the background garbage collector (a kratos server).
func (m *Module) Collector() *server.Job { return m.collector }

// Scrubber is the background integrity check of every blob (a kratos server).
func (m *Module) Scrubber() *server.Job { return m.scrubber }

// CollectGarbage runs the collector once (tests, admin tools).
func (m *Module) CollectGarbage(ctx context.Context) { m.collector.RunOnce(ctx) }

// proofKey keys the proof-of-possession challenges: derived from the URL
// secret, which every instance shares, under its own label.
func proofKey(urlSecret []byte) []byte {
	m := hmac.New(sha256.New, urlSecret)
	m.Write([]byte("clouddrive proof-of-possession key"))
	return m.Sum(nil)
}

func policyOf(c *Config) *biz.Policy {
	u := c.GetUpload()
	return &biz.Policy{ChunkSize: u.GetChunkSize(), MaxFileSize: u.GetMaxFileSize(), UploadTTL: u.GetUploadTtl().AsDuration(),
		ProveAttempts: int(u.GetProveAttempts()), ProofPeriod: u.GetProofPeriod().AsDuration(), URLTTL: u.GetUrlTtl().AsDuration(), ZipMaxBytes: u.GetZipMaxBytes(),
		ZipMaxEntries: int(u.GetZipMaxEntries()), BlobGrace: u.GetBlobGrace().AsDuration()}
}

// URLSecret is the configured secret of download URLs, or the one kept in
// url_secret_file (made on first start).
func URLSecret(c *Config) ([]byte, error) {
	if s := c.GetAuth().GetUrlSecret(); s != "" {
		return []byte(s), nil
	}
	path := c.GetAuth().GetUrlSecretFile()
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

// New builds the service on its configuration. files and shares are the
// file and share services' internal APIs: gRPC clients (of this very
// process in the standalone binary).
// o checks the tokens of the byte routes.
func New(c *Config, files filev1.FileInternalClient, shares sharev1.ShareInternalClient, o auth.Options, logger log.Logger) (*Module, func(), error) {
	secret, err := URLSecret(c)
	if err != nil {
		return nil, nil, err
	}
	fc := data.NewFileClient(files, c.GetAuth().GetInternalSecret())
	sc := data.NewShareClient(shares, c.GetAuth().GetInternalSecret())
	p := policyOf(c)
	p.ProofKey = proofKey(secret)
	m, cleanup, err := wireModule(c.GetData(), c.GetBackend(), c.GetUpload(), c.GetThumbnail(), p, fc, sc, auth.NewURLSigner(secret), logger)
	if err != nil {
		return nil, nil, err
	}
	m.auth = o
	if c.GetUpload().GetSoleInstance() {
		if err := m.uploads.RecoverSoleInstance(context.Background()); err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	return m, cleanup, nil
}
