// Package server registers the share service's handlers on a gRPC and an
// HTTP server.
package server

import (
	"github.com/go-kratos/kratos/v2/transport/http"
	"google.golang.org/grpc"

	v1 "clouddrive/api/share/v1"
	"clouddrive/app/share/internal/service"
)

// RegisterGRPC adds the share service, and its internal API for other
// services, to s.
func RegisterGRPC(s grpc.ServiceRegistrar, sh *service.ShareService, in *service.ShareInternalService) {
	v1.RegisterShareServer(s, sh)
	v1.RegisterShareInternalServer(s, in)
}

// RegisterHTTP adds the transcoded routes to s.
func RegisterHTTP(s *http.Server, sh *service.ShareService) { v1.RegisterShareHTTPServer(s, sh) }
