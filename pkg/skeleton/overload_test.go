package skeleton

import (
	"context"
	nethttp "net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport/http"
	"google.golang.org/protobuf/types/known/emptypb"

	confv1 "clouddrive/api/conf/v1"
	_ "clouddrive/api/file/v1" // its FileInternal RPCs are ACCESS_INTERNAL
	"clouddrive/pkg/apierror"
)

// saturated is a server behind an adaptive limiter whose one route, named
// operation op, holds every admitted call until gate closes.
type saturated struct {
	host    string
	entered atomic.Int64
	gate    chan struct{}
	codes   chan int
	wg      sync.WaitGroup
}

func newSaturated(t *testing.T, op string, limit middleware.Middleware) *saturated {
	s := &saturated{gate: make(chan struct{})}
	hs := http.NewServer(http.Address("127.0.0.1:0"),
		http.Middleware(limit),
		http.ErrorEncoder(apierror.HTTPErrorEncoder(nil)))
	hs.Route("/").POST("/call", func(ctx http.Context) error {
		http.SetOperation(ctx, op)
		h := ctx.Middleware(func(context.Context, any) (any, error) {
			s.entered.Add(1)
			<-s.gate
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
	t.Cleanup(func() { _ = hs.Stop(context.Background()) })
	s.host = u.Host
	return s
}

// call sends n calls at once; their statuses arrive on s.codes.
func (s *saturated) call(n int) {
	s.codes = make(chan int, n)
	for i := 0; i < n; i++ {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			resp, err := nethttp.Post("http://"+s.host+"/call", "application/json", nil)
			if err != nil {
				s.codes <- -1
				return
			}
			resp.Body.Close()
			s.codes <- resp.StatusCode
		}()
	}
}

// release lets the held calls end and checks each ended with 200.
func (s *saturated) release(t *testing.T) {
	close(s.gate)
	s.wg.Wait()
	close(s.codes)
	for c := range s.codes {
		if c != nethttp.StatusOK {
			t.Fatalf("an admitted call ended with %d", c)
		}
	}
}

// onSaturatedMachine is the limiter of a machine whose CPU is past any
// threshold: a threshold of -1, so in-flight capacity alone decides.
func onSaturatedMachine(t *testing.T) middleware.Middleware {
	a, err := NewAdaptive("overload-test", &confv1.Overload{CpuThreshold: -1})
	if err != nil {
		t.Fatal(err)
	}
	return a.Middleware()
}

// held waits until each of the n calls sent is held inside or answered, and
// returns the answers.
func (s *saturated) held(n int) []int {
	var early []int
	for int64(len(early))+s.entered.Load() < int64(n) {
		select {
		case c := <-s.codes:
			early = append(early, c)
		case <-time.After(10 * time.Millisecond): // poll entered again
		}
	}
	return early
}

// Under overload the adaptive limiter answers 429 at once instead of
// queueing: while admitted calls are still held, every other call has
// already come back refused.
func TestAdaptiveLimiterRefusesInsteadOfQueueing(t *testing.T) {
	s := newSaturated(t, "/test.Slow/Call", onSaturatedMachine(t))
	const n = 40
	s.call(n)
	// Every call is either held inside (entered) or already answered.
	early := s.held(n)
	admitted := s.entered.Load()
	for _, c := range early {
		if c != nethttp.StatusTooManyRequests {
			t.Fatalf("a call came back with %d while the admitted ones were held", c)
		}
	}
	if admitted < 1 || admitted > 4 || len(early) < n-4 {
		t.Fatalf("admitted %d, refused %d of %d: the limiter let the queue grow", admitted, len(early), n)
	}
	s.release(t)
}

// Calls between services are never shed: they belong to operations already
// admitted at the edge (an upload's complete creating its node). On the
// same saturated limiter, every internal call gets in.
func TestAdaptiveLimiterAdmitsInternalCalls(t *testing.T) {
	s := newSaturated(t, "/clouddrive.file.v1.FileInternal/CreateFile", onSaturatedMachine(t))
	const n = 40
	s.call(n)
	for s.entered.Load() < n {
		select {
		case c := <-s.codes:
			t.Fatalf("an internal call came back with %d while others were held: it was shed", c)
		case <-time.After(10 * time.Millisecond):
		}
	}
	s.release(t)
}
