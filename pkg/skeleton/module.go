package skeleton

import (
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/go-kratos/kratos/v2/transport/http"
)

// Module is the shape of every service: its handlers on the servers, and
// its background workers (relays, janitors, consumers) to run beside them.
type Module interface {
	RegisterGRPC(*grpc.Server)
	RegisterHTTP(*http.Server)
	Servers() []transport.Server
}

// WithServers is m with more background workers (a Kafka consumer that only
// the service's own binary runs).
func WithServers(m Module, more ...transport.Server) Module { return withServers{m, more} }

type withServers struct {
	Module
	more []transport.Server
}

func (w withServers) Servers() []transport.Server { return append(w.Module.Servers(), w.more...) }
