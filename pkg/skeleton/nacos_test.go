package skeleton

import (
	"context"
	"crypto/ed25519"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"clouddrive/pkg/auth"
	"clouddrive/pkg/config"
	"clouddrive/pkg/testkit"
)

var testDefaults = []byte(`
server:
  grpc: {addr: "127.0.0.1:0"}
  http: {addr: "127.0.0.1:0"}
log: {level: info}
rate_limit: {per_client: 0, window: 3600s}
`)

// A rate limit changed in Nacos (a local fake of its HTTP API) applies to
// the running servers without a restart.
func TestRateLimitChangesLiveWithFakeNacos(t *testing.T) {
	nacos := testkit.NewFakeNacos(t)
	nacos.Publish("ratetest.yaml", "DEFAULT_GROUP", "rate_limit:\n  per_client: 1000\n  window: 3600s\n")
	t.Setenv("NACOS_ADDR", nacos.Addr())
	src, err := config.Open("ratetest", testDefaults, "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := New("ratetest", src, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pub, _, _ := ed25519.GenerateKey(nil)
	p.Verifier = auth.NewVerifier(pub)
	gs, _, err := p.Servers()
	if err != nil {
		t.Fatal(err)
	}
	// Endpoint listens: before Start, or both would make a listener.
	u, err := gs.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Start(context.Background()) }()
	defer gs.Stop(context.Background())
	conn, err := grpc.NewClient(u.Host, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hc := healthpb.NewHealthClient(conn)
	check := func() codes.Code {
		_, err := hc.Check(context.Background(), &healthpb.HealthCheckRequest{})
		return status.Code(err)
	}
	for i := 0; i < 3; i++ {
		if c := check(); c != codes.OK {
			t.Fatalf("call %d under a cap of 1000: %v", i, c)
		}
	}
	// Lower the cap below what this client has already spent: once the
	// change arrives, its next call is refused.
	nacos.Publish("ratetest.yaml", "DEFAULT_GROUP", "rate_limit:\n  per_client: 2\n  window: 3600s\n")
	for i := 0; ; i++ {
		c := check()
		if c == codes.ResourceExhausted {
			break // 429 RATELIMIT
		}
		if c != codes.OK || i == 500 {
			t.Fatalf("the lowered cap never applied (last: %v after %d calls)", c, i)
		}
		time.Sleep(10 * time.Millisecond) // waiting for the watch, not timing it
	}
	// And raised again: calls pass.
	nacos.Publish("ratetest.yaml", "DEFAULT_GROUP", "rate_limit:\n  per_client: 0\n")
	for i := 0; check() != codes.OK; i++ {
		if i == 500 {
			t.Fatal("removing the cap never applied")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
