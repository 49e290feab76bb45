package skeleton

import (
	"context"
	nethttp "net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/aegis/ratelimit/bbr"
	"github.com/go-kratos/kratos/v2/transport/http"
	"google.golang.org/protobuf/types/known/emptypb"

	_ "clouddrive/api/file/v1" // its FileInternal RPCs are ACCESS_INTERNAL
	"clouddrive/pkg/apierror"
)

// Calls between services are never shed: they belong to operations already
// admitted at the edge (an upload's complete creating its node). On the
// same saturated limiter that refuses all but a few edge calls, every
// internal call gets in.
func TestAdaptiveLimiterAdmitsInternalCalls(t *testing.T) {
	gate := make(chan struct{})
	var entered atomic.Int64
	hs := http.NewServer(http.Address("127.0.0.1:0"),
		http.Middleware(Adaptive("overload-internal-test", bbr.WithCPUThreshold(-1))),
		http.ErrorEncoder(apierror.HTTPErrorEncoder(nil)))
	hs.Route("/").POST("/internal", func(ctx http.Context) error {
		http.SetOperation(ctx, "/clouddrive.file.v1.FileInternal/CreateFile")
		h := ctx.Middleware(func(context.Context, any) (any, error) {
			entered.Add(1)
			<-gate
			return &emptypb.Empty{}, nil
		})
		out, err := h(ctx, &emptypb.Empty{})
		if err != nil {
			return err
		}
		return ctx.Result(200, out)
	})
	u, err := hs.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Start(context.Background()) }()
	defer hs.Stop(context.Background())

	const n = 40
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := nethttp.Post("http://"+u.Host+"/internal", "application/json", nil)
			if err != nil {
				codes <- -1
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for entered.Load() < n {
		select {
		case c := <-codes:
			t.Fatalf("an internal call came back with %d while others were held: it was shed", c)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d internal calls got in", entered.Load(), n)
		}
	}
	close(gate)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != nethttp.StatusOK {
			t.Fatalf("an internal call ended with %d", c)
		}
	}
}
