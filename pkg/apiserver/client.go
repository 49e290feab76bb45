package apiserver

import (
	"context"
	"net"
	"net/netip"
	"strings"

	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/go-kratos/kratos/v2/transport/http"
	"google.golang.org/grpc/peer"
)

// Client is what is known of the machine that sent a request.
type Client struct {
	IP        string
	UserAgent string
}

type clientKey struct{}

// ClientFrom returns the client the middleware recorded.
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// WithClient returns ctx carrying c (raw HTTP routes and tests).
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ParseProxies parses CIDRs or single addresses; bad entries are skipped.
func ParseProxies(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p)
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

// ClientInfo records the client's IP (from X-Forwarded-For only when the
// direct peer is a trusted proxy) and user agent.
func ClientInfo(trusted []netip.Prefix) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			var remote, ua, xff string
			if tr, ok := transport.FromServerContext(ctx); ok {
				ua = tr.RequestHeader().Get("User-Agent")
				xff = tr.RequestHeader().Get("X-Forwarded-For")
			}
			if r, ok := http.RequestFromServerContext(ctx); ok {
				remote = r.RemoteAddr
			} else if p, ok := peer.FromContext(ctx); ok {
				remote = p.Addr.String()
			}
			return next(WithClient(ctx, Client{IP: RealIP(remote, xff, trusted), UserAgent: ua}), req)
		}
	}
}

// RealIP walks X-Forwarded-For from the right while the hop is trusted.
func RealIP(remote, xff string, trusted []netip.Prefix) string {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	hops := strings.Split(xff, ",")
	for i := len(hops) - 1; i >= 0 && isTrusted(ip, trusted); i-- {
		next, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		ip = next
	}
	return ip.Unmap().String()
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}
