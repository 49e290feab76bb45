// Command gateway is the local cluster's one HTTP entry point, standing in
// for APISIX (which cannot be installed here): it routes the paths of the
// gateway's generated routes (apisix/routes.json) to the HTTP servers of
// the services registered in etcd, gRPC calls (/clouddrive.<svc>.v1.*) to
// their gRPC servers, and serves the web app on every other path. It does
// no transcoding, authentication or rate limiting: the services do those
// themselves, as they do behind APISIX's plain HTTP routes.
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"clouddrive/app/standalone/docs"
	"clouddrive/app/web/webapp"
	"clouddrive/pkg/discovery"
)

func main() {
	httpAddr := flag.String("http", "127.0.0.1:8080", "address of the HTTP entry point (API and web app)")
	grpcAddr := flag.String("grpc", "127.0.0.1:9090", "address of the gRPC entry point")
	etcd := flag.String("etcd", "127.0.0.1:2379", "etcd endpoints, comma-separated")
	namespace := flag.String("namespace", "/clouddrive", "key prefix the services register under")
	routesFile := flag.String("routes", "apisix/routes.json", "the gateway's generated routes")
	fixed := map[string][]string{}
	flag.Func("fixed", "svc=URL,URL...: instances of a service used while etcd lists none of it (http://h:p, grpc://h:p)", func(v string) error {
		svc, urls, ok := strings.Cut(v, "=")
		if !ok {
			return errors.New("want svc=URL,URL")
		}
		fixed[svc] = append(fixed[svc], strings.Split(urls, ",")...)
		return nil
	})
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stdout, nil)))
	if err := run(*httpAddr, *grpcAddr, strings.Split(*etcd, ","), *namespace, *routesFile, fixed); err != nil {
		slog.Error("gateway stopped", "err", err)
		os.Exit(1)
	}
}

func run(httpAddr, grpcAddr string, etcd []string, namespace, routesFile string, fixed map[string][]string) error {
	rs, err := loadRoutes(routesFile)
	if err != nil {
		return err
	}
	reg, err := discovery.Open(discovery.Config{Endpoints: etcd, Namespace: namespace})
	if err != nil {
		return err
	}
	defer reg.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	g := &gateway{routes: rs, ups: map[string]*upstream{}, web: webapp.Handler(), docs: map[string]http.Handler{}}
	for _, p := range docs.Paths() {
		g.docs[p] = docs.Handler()
	}
	for _, s := range rs.services() {
		u := &upstream{name: s, fixed: fixed[s]}
		u.set(nil)
		g.ups[s] = u
		go u.watch(ctx, reg)
	}
	h1 := http.DefaultTransport.(*http.Transport).Clone()
	h1.Proxy = nil
	h1.MaxIdleConnsPerHost = 64
	h2c := &http.Transport{Proxy: nil, Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	g.h1, g.h2c = h1, h2c

	hs := &http.Server{Addr: httpAddr, Handler: http.HandlerFunc(g.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	gs := &http.Server{Addr: grpcAddr, Handler: http.HandlerFunc(g.serveGRPC), ReadHeaderTimeout: 10 * time.Second,
		Protocols: new(http.Protocols)}
	gs.Protocols.SetUnencryptedHTTP2(true)

	errc := make(chan error, 2)
	for _, s := range []*http.Server{hs, gs} {
		go func() { errc <- s.ListenAndServe() }()
	}
	slog.Info("gateway listening", "http", httpAddr, "grpc", grpcAddr, "etcd", etcd, "routes", routesFile)
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	_ = gs.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
