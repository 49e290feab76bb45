package profiling

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestProfilesOnTheirOwnAddress(t *testing.T) {
	s := New("127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for s.Addr() == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := http.Get("http://" + s.Addr() + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "goroutine profile") {
		t.Fatalf("%d %.200s", resp.StatusCode, b)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Off, it listens nowhere and still stops when kratos calls Stop (kratos
// never ends Start's context on shutdown).
func TestOffByDefault(t *testing.T) {
	s := New("")
	done := make(chan error, 1)
	go func() { done <- s.Start(context.Background()) }()
	if s.Addr() != "" {
		t.Fatal("listening with no address")
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Start did not return after Stop")
	}
}
