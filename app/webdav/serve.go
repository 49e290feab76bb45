package webdav

import (
	"crypto/ed25519"

	"github.com/go-kratos/kratos/v2/transport"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
	grpcgo "google.golang.org/grpc"

	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/skeleton"
)

// Main runs the WebDAV service alone (cmd/webdav): HTTP only, the user,
// file and storage services over gRPC (services.*: "discovery:///file" or
// host:port).
func Main() {
	c := &Config{}
	skeleton.Main("webdav", defaults, c, func(p *skeleton.Process) (skeleton.Module, func(), error) {
		var conns [3]*grpcgo.ClientConn
		for i, target := range []string{c.GetServices().GetUser(), c.GetServices().GetFile(), c.GetServices().GetStorage()} {
			conn, err := p.Dial(target)
			if err != nil {
				return nil, nil, err
			}
			conns[i] = conn
		}
		// WebDAV signs in with app passwords and serves no bearer API: a
		// verifier of a key nobody holds refuses every access token.
		pub, _, err := ed25519.GenerateKey(nil)
		if err != nil {
			return nil, nil, err
		}
		p.Verifier = auth.NewVerifier(pub)
		m, cleanup, err := New(c, Clients{Users: userv1.NewUserInternalClient(conns[0]),
			Files: filev1.NewFileClient(conns[1]), Storage: storagev1.NewStorageClient(conns[2])}, p.Logger)
		if err != nil {
			return nil, nil, err
		}
		return mounted{m}, cleanup, nil
	})
}

// mounted is the module in the skeleton's shape: WebDAV ahead of the router.
type mounted struct{ m *Module }

func (mounted) RegisterGRPC(*grpc.Server)     {}
func (w mounted) RegisterHTTP(s *http.Server) { s.Handler = w.m.Mount(s.Handler) }
func (mounted) Servers() []transport.Server   { return nil }
