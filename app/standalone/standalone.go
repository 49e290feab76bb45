// Package standalone runs every service in one process on embedded defaults:
// SQLite and blobs under one data folder, events in-process, no Redis, the
// HTTP API (the very routes APISIX serves) on one port and gRPC on another.
package standalone

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/go-kratos/kratos/v2/transport/http"
	grpcgo "google.golang.org/grpc"

	filev1 "clouddrive/api/file/v1"
	sharev1 "clouddrive/api/share/v1"
	storagev1 "clouddrive/api/storage/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/app/notify"
	"clouddrive/app/share"

	"clouddrive/app/file"
	"clouddrive/app/standalone/docs"
	"clouddrive/app/storage"
	"clouddrive/app/user"
	"clouddrive/app/web/webapp"
	"clouddrive/app/webdav"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/discovery"
	"clouddrive/pkg/events"
	"clouddrive/pkg/profiling"
	"clouddrive/pkg/skeleton"
)

// callTimeout bounds one API call (not a transfer: byte routes and streams
// are not bound by it).
const callTimeout = 60 * time.Second

// Options say where the drive keeps its data and listens.
type Options struct {
	DataDir  string
	HTTPAddr string
	GRPCAddr string
	// DebugAddr serves /debug/pprof/ (off when empty).
	DebugAddr string
	Logger    log.Logger
}

// Run serves until ctx is done or a signal asks it to stop.
func Run(ctx context.Context, o Options) error {
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return err
	}
	logger := o.Logger
	// One process: revocations are shared in memory by every service.
	revocations := auth.NewMemoryRevocations()

	uc, err := userConfig(o.DataDir)
	if err != nil {
		return err
	}
	keys, err := user.LoadKeys(uc)
	if err != nil {
		return err
	}
	users, cleanup, err := user.New(uc, keys, revocations, logger)
	if err != nil {
		return err
	}
	defer cleanup()

	fc, err := fileConfig(o.DataDir)
	if err != nil {
		return err
	}
	// One process: events travel on an in-process bus, through the same
	// outbox and relay as to Kafka, to the same handlers.
	bus := events.NewBus()
	files, cleanupFiles, err := file.New(fc, bus, logger)
	if err != nil {
		return err
	}
	defer cleanupFiles()
	// WaitChanges wakes from the file events, here on the bus.
	bus.SubscribeAs("file-changes", events.TopicFile, files.ChangeHandler())

	// Services call each other's internal APIs as in production, with the
	// internal secret, through the same server middleware, but in process
	// (apiserver.InProc): no loopback marshalling, HTTP/2 and syscalls.
	// Streams still go over this process's own gRPC port.
	internalSecret, err := randomSecret()
	if err != nil {
		return err
	}
	loop, err := discovery.Dial(ctx, discovery.DialConfig{Target: loopback(o.GRPCAddr)}, nil)
	if err != nil {
		return err
	}
	defer loop.Close()
	authOpts := auth.Options{Verifier: keys.Verifier, Revocations: revocations, InternalSecret: internalSecret, Logger: logger}
	// Tracing and metrics, as on every service; no shedding by CPU (see
	// skeleton.Observed): the per-route throttles still apply.
	mw := apiserver.Config{Logger: logger, Auth: authOpts, Guard: skeleton.Observed("clouddrive"),
		StreamGuard: skeleton.StreamObserved("clouddrive")}
	self := apiserver.NewInProc(callTimeout, mw, discovery.ClientMiddleware(), discovery.DefaultTimeout, loop)

	sc, err := storageConfig(o.DataDir)
	if err != nil {
		return err
	}
	sc.Auth.InternalSecret = internalSecret
	blobs, cleanupStorage, err := storage.New(sc, filev1.NewFileInternalClient(self), sharev1.NewShareInternalClient(self), authOpts, logger)
	if err != nil {
		return err
	}
	defer cleanupStorage()

	shc, err := shareConfig(o.DataDir, internalSecret)
	if err != nil {
		return err
	}
	shares, cleanupShares, err := share.New(shc, bus, share.Clients{
		Files:   filev1.NewFileInternalClient(self),
		Storage: storagev1.NewStorageInternalClient(self),
		Users:   userv1.NewUserInternalClient(self),
	}, logger)
	if err != nil {
		return err
	}
	defer cleanupShares()

	nc, err := notifyConfig(o.DataDir, internalSecret)
	if err != nil {
		return err
	}
	notes, cleanupNotify, err := notify.New(nc, userv1.NewUserInternalClient(self), logger)
	if err != nil {
		return err
	}
	defer cleanupNotify()
	notes.Subscribe(bus)

	dc, err := webdav.LoadConfig("")
	if err != nil {
		return err
	}
	dc.Data.Redis.Addr, dc.Auth.InternalSecret, dc.Server.TrustedProxies = "", internalSecret, nil
	dav, cleanupDAV, err := webdav.New(dc, webdav.Clients{Users: userv1.NewUserInternalClient(self),
		Files: filev1.NewFileClient(self), Storage: storagev1.NewStorageClient(self)}, logger)
	if err != nil {
		return err
	}
	defer cleanupDAV()

	hs := apiserver.NewHTTPServer(o.HTTPAddr, callTimeout, mw)
	gs := apiserver.NewGRPCServer(o.GRPCAddr, callTimeout, mw)
	for _, m := range []interface {
		RegisterServices(grpcgo.ServiceRegistrar)
		RegisterHTTP(*http.Server)
	}{users, files, shares, notes, blobs} {
		m.RegisterServices(apiserver.Registrars(gs, self))
		m.RegisterHTTP(hs)
	}
	docs.Register(hs) // /docs and /openapi.yaml
	// /healthz, /readyz (no outside dependency here) and /metrics.
	skeleton.Observe(hs, "clouddrive", &skeleton.Checks{}, true)
	// Last, so every route above wins: the web app (index.html for client-side
	// routes such as /drive/42 and /s/<token>; JSON 404 for unknown /v1/ paths).
	hs.HandlePrefix("/", webapp.Handler())
	hs.Handler = dav.Mount(hs.Handler) // /dav/, ahead of the router's path cleaning

	srvs := []transport.Server{hs, gs, blobs.Collector(), blobs.Scrubber(), profiling.New(o.DebugAddr)}
	srvs = append(srvs, files.Servers()...)
	srvs = append(srvs, shares.Servers()...)
	srvs = append(srvs, notes.Servers()...)
	app := kratos.New(kratos.Name("clouddrive"), kratos.Context(ctx), kratos.Logger(logger), kratos.Server(srvs...))
	log.NewHelper(logger).Infow("msg", "clouddrive standalone", "http", o.HTTPAddr, "grpc", o.GRPCAddr, "data", o.DataDir)
	return app.Run()
}

// userConfig is the user service's defaults moved onto SQLite and the data folder.
func userConfig(dir string) (*user.Config, error) {
	c, err := user.LoadConfig("")
	if err != nil {
		return nil, err
	}
	c.Data.Database.Driver = "sqlite"
	c.Data.Database.Source = filepath.Join(dir, "user.db")
	c.Data.Redis.Addr = ""
	c.Auth.PrivateKeyFile = filepath.Join(dir, "keys", "access_ed25519.pem")
	c.Auth.PublicKeyFile = filepath.Join(dir, "keys", "access_ed25519.pub.pem")
	c.Auth.GenerateKeys = true
	c.Code.Sender = "log"
	c.Code.LogFile = filepath.Join(dir, "codes.log")
	c.Server.TrustedProxies = nil
	if c.Data.Database.Source == "" {
		return nil, fmt.Errorf("standalone: no data folder")
	}
	return c, nil
}

// fileConfig is the file service's defaults moved onto SQLite.
func fileConfig(dir string) (*file.Config, error) {
	c, err := file.LoadConfig("")
	if err != nil {
		return nil, err
	}
	c.Data.Database.Driver = "sqlite"
	c.Data.Database.Source = filepath.Join(dir, "file.db")
	c.Data.Redis.Addr = ""
	return c, nil
}

// storageConfig is the storage service's defaults moved onto SQLite and
// local disk under the data folder.
func storageConfig(dir string) (*storage.Config, error) {
	c, err := storage.LoadConfig("")
	if err != nil {
		return nil, err
	}
	// One process writes every upload: what a crash left is dead at start.
	c.Upload.SoleInstance = true
	c.Data.Database.Driver = "sqlite"
	c.Data.Database.Source = filepath.Join(dir, "storage.db")
	c.Data.Redis.Addr = ""
	c.Auth.UrlSecretFile = filepath.Join(dir, "keys", "url_secret")
	c.Backend.Kind = "local"
	c.Backend.Local.Root = filepath.Join(dir, "blobs")
	c.Thumbnail.CacheDir = filepath.Join(dir, "thumbs")
	return c, nil
}

func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// loopback is where this process reaches its own listener.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// shareConfig is the share service's defaults moved onto SQLite.
func shareConfig(dir, internalSecret string) (*share.Config, error) {
	c, err := share.LoadConfig("")
	if err != nil {
		return nil, err
	}
	c.Data.Database.Driver = "sqlite"
	c.Data.Database.Source = filepath.Join(dir, "share.db")
	c.Data.Redis.Addr = ""
	c.Auth.SecretFile = filepath.Join(dir, "keys", "share_secret")
	c.Auth.InternalSecret = internalSecret
	return c, nil
}

// notifyConfig is the notify service's defaults moved onto SQLite (in-app
// notifications only: no SMTP on one machine unless configured).
func notifyConfig(dir, internalSecret string) (*notify.Config, error) {
	c, err := notify.LoadConfig("")
	if err != nil {
		return nil, err
	}
	c.Data.Database.Driver = "sqlite"
	c.Data.Database.Source = filepath.Join(dir, "notify.db")
	c.Data.Redis.Addr = ""
	c.Auth.InternalSecret = internalSecret
	return c, nil
}
