package apiserver_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

// A panic in a stream handler (server or client stream) is INTERNAL for that
// stream and the server keeps serving. Before stream recovery existed the
// panic ended the test process.
func TestStreamPanicIsInternal(t *testing.T) {
	f := newGRPC(t, apiserver.Limits{})
	ctx := f.as(context.Background(), 1, auth.RoleUser)
	for _, m := range []struct {
		name   string
		server bool
	}{{"Panic", true}, {"PanicUpload", false}} {
		cs, err := f.open(ctx, m.name, m.server)
		if err == nil {
			err = cs.RecvMsg(&wrapperspb.BytesValue{})
		}
		wantReason(t, m.name, err, 500, "INTERNAL")
		if status.Code(err) != codes.Internal {
			t.Fatalf("%s: gRPC code %v, want Internal", m.name, status.Code(err))
		}
	}
	// Still serving, on the same connection.
	cs, err := f.open(ctx, "Flood", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.RecvMsg(&wrapperspb.BytesValue{}); err != nil {
		t.Fatalf("after the panics: %v", err)
	}
}

// One account cannot hold more than StreamsPerUser streams: of 200 unread
// floods only the cap is admitted, the rest are refused with RATE_LIMITED
// (RESOURCE_EXHAUSTED), and another account is not affected.
func TestStreamsPerUserCapped(t *testing.T) {
	const limit, tries = 4, 200
	f := newGRPC(t, apiserver.Limits{StreamsPerUser: limit})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := f.as(ctx, 1, auth.RoleUser)
	var (
		mu                sync.Mutex
		admitted, refused int
		others            []error
		wg                sync.WaitGroup
	)
	for i := 0; i < tries; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cs, err := f.open(alice, "Flood", true)
			if err == nil {
				// One message says the stream was admitted; then it is
				// never read again.
				err = cs.RecvMsg(&wrapperspb.BytesValue{})
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				admitted++
			case status.Code(err) == codes.ResourceExhausted:
				wantReason(t, "refused", err, 429, "RATE_LIMITED")
				refused++
			default:
				others = append(others, err)
			}
		}()
	}
	wg.Wait()
	if admitted != limit || refused != tries-limit || len(others) > 0 {
		t.Fatalf("admitted %d, refused %d, other errors %v; want %d admitted, %d refused", admitted, refused, others, limit, tries-limit)
	}
	// Bob is counted apart.
	cs, err := f.open(f.as(ctx, 2, auth.RoleUser), "Flood", true)
	if err == nil {
		err = cs.RecvMsg(&wrapperspb.BytesValue{})
	}
	if err != nil {
		t.Fatalf("bob's stream: %v", err)
	}
	// Alice's streams end: their slots come back.
	cancel()
	for i := 0; i < limit+1; i++ {
		<-f.probe.exited
	}
	cs, err = f.open(f.as(context.Background(), 1, auth.RoleUser), "Flood", true)
	if err == nil {
		err = cs.RecvMsg(&wrapperspb.BytesValue{})
	}
	if err != nil {
		t.Fatalf("alice after her streams ended: %v", err)
	}
}

// A server stream whose client stops reading is ended after Stall: the
// handler's blocked send returns and the handler exits (before, it stayed
// blocked, holding its buffers, for as long as the connection lived).
func TestStalledSendIsCut(t *testing.T) {
	f := newGRPC(t, apiserver.Limits{Stall: 100 * time.Millisecond})
	cs, err := f.open(f.as(context.Background(), 1, auth.RoleUser), "Flood", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.RecvMsg(&wrapperspb.BytesValue{}); err != nil {
		t.Fatal(err)
	}
	// The client reads nothing more; the handler must come back on its own.
	select {
	case <-f.probe.exited:
	case <-time.After(time.Minute): // only so a regression fails instead of hanging
		t.Fatal("the handler of a stream nobody reads never returned")
	}
	// What the client had buffered drains, then the stream's end says why.
	for {
		if err = cs.RecvMsg(&wrapperspb.BytesValue{}); err != nil {
			break
		}
	}
	wantReason(t, "stalled stream", err, 504, "STREAM_STALLED")
}
