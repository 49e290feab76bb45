// Package profiling serves Go's runtime profiles (net/http/pprof) on an
// address of their own, off by default: never on the API's port, where the
// gateway would expose them.
package profiling

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the profiling endpoint, a kratos transport.Server. With no
// address it does nothing.
type Server struct {
	addr string
	srv  *http.Server
	ln   atomic.Pointer[net.Listener]
	stop chan struct{}
	once sync.Once
}

// New serves /debug/pprof/ on addr ("" for off). Bind it to loopback or an
// operator network: profiles show the code and the heap.
func New(addr string) *Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &Server{addr: addr, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, stop: make(chan struct{})}
}

// Addr is where it listens once started ("" when off).
func (s *Server) Addr() string {
	ln := s.ln.Load()
	if ln == nil {
		return ""
	}
	return (*ln).Addr().String()
}

// Start serves until Stop.
func (s *Server) Start(ctx context.Context) error {
	if s.addr == "" {
		// kratos stops servers with Stop, not by ending ctx.
		select {
		case <-ctx.Done():
		case <-s.stop:
		}
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	s.ln.Store(&ln)
	if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Stop ends Start.
func (s *Server) Stop(ctx context.Context) error {
	s.once.Do(func() { close(s.stop) })
	if s.addr == "" {
		return nil
	}
	return s.srv.Shutdown(ctx)
}
