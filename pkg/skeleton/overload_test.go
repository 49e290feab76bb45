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

	"clouddrive/pkg/apierror"
)

// Under overload the adaptive limiter answers 429 at once instead of
// queueing: while admitted calls are still held, every other call has
// already come back refused.
func TestAdaptiveLimiterRefusesInsteadOfQueueing(t *testing.T) {
	gate := make(chan struct{})
	var entered atomic.Int64
	// A CPU threshold of -1: the process counts as past its CPU limit,
	// as on a saturated machine, so only in-flight capacity decides.
	hs := http.NewServer(http.Address("127.0.0.1:0"),
		http.Middleware(Adaptive("overload-test", bbr.WithCPUThreshold(-1))),
		http.ErrorEncoder(apierror.HTTPErrorEncoder(nil)))
	hs.Route("/").POST("/slow", func(ctx http.Context) error {
		http.SetOperation(ctx, "/test.Slow/Call")
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
	// Endpoint listens: before Start, or both would make a listener.
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
			resp, err := nethttp.Post("http://"+u.Host+"/slow", "application/json", nil)
			if err != nil {
				codes <- -1
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	// Every call is either held inside (entered) or already answered.
	var early []int
	for int64(len(early))+entered.Load() < n {
		select {
		case c := <-codes:
			early = append(early, c)
		case <-time.After(10 * time.Millisecond): // poll entered again
		}
	}
	admitted := entered.Load()
	for _, c := range early {
		if c != nethttp.StatusTooManyRequests {
			t.Fatalf("a call came back with %d while the admitted ones were held", c)
		}
	}
	if admitted < 1 || admitted > 4 || len(early) < n-4 {
		t.Fatalf("admitted %d, refused %d of %d: the limiter let the queue grow", admitted, len(early), n)
	}
	close(gate)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != nethttp.StatusOK {
			t.Fatalf("an admitted call ended with %d", c)
		}
	}
}
