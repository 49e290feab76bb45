package discovery

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"go.etcd.io/etcd/server/v3/embed"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// startEtcd runs an embedded etcd on free ports and returns its client URL.
func startEtcd(t *testing.T) string {
	t.Helper()
	cfg := embed.NewConfig()
	cfg.Dir = t.TempDir()
	cfg.LogLevel = "error"
	cu, pu := freeURL(t), freeURL(t)
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
	cfg.InitialCluster = cfg.Name + "=" + pu.String()
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		t.Fatal("etcd did not start")
	}
	return cu.String()
}

func freeURL(t *testing.T) url.URL {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}
}

// countingHealth answers Check and counts the calls it served.
type countingHealth struct {
	*health.Server
	calls atomic.Int64
}

func (h *countingHealth) Check(ctx context.Context, r *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	h.calls.Add(1)
	return h.Server.Check(ctx, r)
}

// instance is one copy of the "echo" service, registered with its own etcd
// client so that killing it also stops its lease's keep-alive.
type instance struct {
	id     string
	reg    *Registry
	gs     *kgrpc.Server
	app    *kratos.App
	health *countingHealth
	done   chan error
}

func startInstance(t *testing.T, etcd, id string) *instance {
	t.Helper()
	reg, err := Open(Config{Endpoints: []string{etcd}, TTL: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{id: id, reg: reg, health: &countingHealth{Server: health.NewServer()}, done: make(chan error, 1)}
	in.gs = kgrpc.NewServer(kgrpc.Address("127.0.0.1:0"), kgrpc.CustomHealth())
	healthpb.RegisterHealthServer(in.gs, in.health)
	in.app = kratos.New(kratos.ID(id), kratos.Name("echo"), kratos.Server(in.gs), kratos.Registrar(reg))
	go func() { in.done <- in.app.Run() }()
	t.Cleanup(func() { _ = in.app.Stop(); _ = reg.Close() })
	return in
}

// kill stops the instance as SIGKILL would: connections drop, nothing is
// deregistered (the lease expires later, on its own).
func (in *instance) kill() {
	_ = in.reg.Client.Close()
	in.gs.Server.Stop()
}

func waitInstances(t *testing.T, r *Registry, want int) {
	t.Helper()
	for i := 0; i < 500; i++ {
		got, err := r.GetService(context.Background(), "echo")
		if err == nil && len(got) == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("never saw %d instances of echo", want)
}

func TestEtcdSpreadsCallsSurvivesAKillAndDeregistersOnStop(t *testing.T) {
	etcd := startEtcd(t)
	a, b := startInstance(t, etcd, "echo-a"), startInstance(t, etcd, "echo-b")
	client, err := Open(Config{Endpoints: []string{etcd}})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	waitInstances(t, client, 2)

	conn, err := Dial(context.Background(), DialConfig{Target: "discovery:///echo"}, client)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hc := healthpb.NewHealthClient(conn)
	call := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if _, err := hc.Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
	}
	// The balancer may see the second instance a moment after the first:
	// call until both have served, then demand that they share the load.
	for i := 0; i < 100 && (a.health.calls.Load() == 0 || b.health.calls.Load() == 0); i++ {
		call(1)
	}
	a.health.calls.Store(0)
	b.health.calls.Store(0)
	call(100)
	if na, nb := a.health.calls.Load(), b.health.calls.Load(); na < 20 || nb < 20 {
		t.Fatalf("calls not spread: a=%d b=%d of 100", na, nb)
	}

	// SIGKILL-like: a vanishes without deregistering; every call still
	// succeeds (an idempotent call is retried on b).
	a.kill()
	before := b.health.calls.Load()
	call(50)
	if got := b.health.calls.Load() - before; got != 50 {
		t.Fatalf("b served %d of 50 calls after a was killed", got)
	}
	// a is still registered: its lease has not expired.
	if got, _ := client.GetService(context.Background(), "echo"); len(got) != 2 {
		t.Fatalf("a killed instance is expected to stay registered until its lease ends; got %d", len(got))
	}

	// A clean stop deregisters at once.
	if err := b.app.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := <-b.done; err != nil {
		t.Fatal(err)
	}
	got, err := client.GetService(context.Background(), "echo")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		if s.ID == "echo-b" {
			t.Fatalf("echo-b still registered after a clean stop: %v", fmt.Sprint(got))
		}
	}
}

func TestFixedEndpointNeedsNoRegistry(t *testing.T) {
	h := &countingHealth{Server: health.NewServer()}
	gs := kgrpc.NewServer(kgrpc.Address("127.0.0.1:0"), kgrpc.CustomHealth())
	healthpb.RegisterHealthServer(gs, h)
	// Endpoint listens: before Start, or both would make a listener.
	u, err := gs.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Start(context.Background()) }()
	defer gs.Stop(context.Background())
	conn, err := Dial(context.Background(), DialConfig{Target: u.Host}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if h.calls.Load() != 1 {
		t.Fatalf("calls = %d", h.calls.Load())
	}
	if _, err := Dial(context.Background(), DialConfig{Target: "discovery:///echo"}, nil); err == nil {
		t.Fatal("a discovery target without a registry must be refused")
	}
}

func TestOnlyReadsAreRetried(t *testing.T) {
	for m, want := range map[string]bool{
		"/clouddrive.file.v1.FileInternal/GetNode":      true,
		"/grpc.health.v1.Health/Check":                  true,
		"/clouddrive.file.v1.FileInternal/CreateFile":   false,
		"/clouddrive.storage.v1.Storage/CompleteUpload": false,
		"/clouddrive.share.v1.Share/SaveShare":          false,
	} {
		if Idempotent(m) != want {
			t.Errorf("Idempotent(%s) = %v", m, !want)
		}
	}
}
