package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
)

// replayLimit is the largest body kept in memory so that a request whose
// instance refused the connection can go to another one; a larger body
// (a chunk, a WebDAV PUT) is streamed and not retried.
const replayLimit = 1 << 20

// gateway routes the API to the services' HTTP servers and gRPC calls to
// their gRPC servers; every other path is the web app.
type gateway struct {
	routes *routes
	ups    map[string]*upstream
	web    http.Handler
	docs   map[string]http.Handler // /docs and /openapi.yaml, as the binary serves them
	h1     http.RoundTripper       // to the services' HTTP servers
	h2c    http.RoundTripper       // to their gRPC servers (HTTP/2 without TLS)
}

func (g *gateway) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		_, _ = io.WriteString(w, "ok\n")
		return
	}
	if h := g.docs[r.URL.Path]; h != nil {
		h.ServeHTTP(w, r)
		return
	}
	svc := g.routes.service(r.URL.Path)
	if svc == "" {
		g.web.ServeHTTP(w, r)
		return
	}
	g.forward(w, r, svc, "http", g.h1)
}

func (g *gateway) serveGRPC(w http.ResponseWriter, r *http.Request) {
	svc := grpcService(r.URL.Path)
	if g.ups[svc] == nil {
		grpcError(w, 12, "no service serves "+r.URL.Path) // UNIMPLEMENTED
		return
	}
	g.forward(w, r, svc, "grpc", g.h2c)
}

// forward proxies r to an instance of svc, trying the next one when an
// instance refuses the connection (killed, not yet dropped from etcd).
func (g *gateway) forward(w http.ResponseWriter, r *http.Request, svc, scheme string, base http.RoundTripper) {
	u := g.ups[svc]
	nodes := u.pick(scheme)
	if len(nodes) == 0 {
		g.fail(w, scheme, http.StatusServiceUnavailable, "no instance of "+svc+" is registered")
		return
	}
	rt := &failover{u: u, nodes: nodes, base: base}
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		rt.replay = true
	} else if r.ContentLength > 0 && r.ContentLength <= replayLimit {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			g.fail(w, scheme, http.StatusBadRequest, "reading the request body: "+err.Error())
			return
		}
		rt.body, rt.replay = b, true
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(&url.URL{Scheme: "http", Host: nodes[0].Host})
			pr.SetXForwarded() // the client's address, for per-IP limits
			pr.Out.Host = pr.In.Host
		},
		Transport:      rt,
		FlushInterval:  -1, // streams and downloads flow as they come
		ModifyResponse: trailersOnly,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			slog.Warn("proxy", "service", svc, "path", r.URL.Path, "err", err)
			g.fail(w, scheme, http.StatusBadGateway, svc+": "+err.Error())
		},
	}
	rp.ServeHTTP(w, r)
}

// fail answers as the services do: {code, reason, message} over HTTP, a
// grpc-status over gRPC.
func (g *gateway) fail(w http.ResponseWriter, scheme string, status int, msg string) {
	if scheme == "grpc" {
		grpcError(w, 14, msg) // UNAVAILABLE
		return
	}
	reason := "SERVICE_UNAVAILABLE"
	if status == http.StatusBadGateway {
		reason = "BAD_GATEWAY"
	} else if status == http.StatusBadRequest {
		reason = "BAD_REQUEST"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": status, "reason": reason, "message": msg, "metadata": map[string]string{}})
}

// trailersOnly moves the status of a gRPC "trailers-only" answer (an error
// before any message: grpc-status in the headers of a frame that ends the
// stream) to trailers: relayed as headers, the client would see the stream
// end without trailers and lose the error.
func trailersOnly(res *http.Response) error {
	if res.Header.Get("Grpc-Status") == "" {
		return nil
	}
	if res.Trailer == nil {
		res.Trailer = http.Header{}
	}
	for _, k := range []string{"Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin"} {
		if v, ok := res.Header[k]; ok {
			res.Trailer[k] = v
			delete(res.Header, k)
		}
	}
	return nil
}

func grpcError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/grpc")
	w.Header().Set("Grpc-Status", strconv.Itoa(code))
	w.Header().Set("Grpc-Message", url.PathEscape(msg))
	w.WriteHeader(http.StatusOK)
}

// failover sends a request to the first instance that takes the
// connection. Only a refused connection moves on: the request was not
// sent, so no change can be applied twice.
type failover struct {
	u      *upstream
	nodes  []*url.URL
	base   http.RoundTripper
	body   []byte
	replay bool
}

func (f *failover) RoundTrip(req *http.Request) (*http.Response, error) {
	var err error
	for i, n := range f.nodes {
		out := req
		if i > 0 {
			out = req.Clone(req.Context())
			if f.body != nil {
				out.Body = io.NopCloser(bytes.NewReader(f.body))
			}
		}
		out.URL.Host = n.Host
		var resp *http.Response
		resp, err = f.base.RoundTrip(out)
		if err == nil {
			return resp, nil
		}
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "dial" {
			return nil, err
		}
		f.u.markDown(n.Host)
		slog.Warn("instance refused the connection", "service", f.u.name, "instance", n.Host, "err", err)
		if !f.replay {
			return nil, err
		}
	}
	return nil, err
}
