// Package server registers the file service's handlers on a gRPC and an
// HTTP server, and runs its background janitor.
package server

import (
	"github.com/go-kratos/kratos/v2/transport/http"
	"google.golang.org/grpc"

	v1 "clouddrive/api/file/v1"
	"clouddrive/app/file/internal/service"
)

// RegisterGRPC adds the file services to s (FileInternal only on gRPC).
func RegisterGRPC(s grpc.ServiceRegistrar, f *service.FileService, a *service.FileAdminService, i *service.FileInternalService) {
	v1.RegisterFileServer(s, f)
	v1.RegisterFileAdminServer(s, a)
	v1.RegisterFileInternalServer(s, i)
}

// RegisterHTTP adds the transcoded routes to s.
func RegisterHTTP(s *http.Server, f *service.FileService, a *service.FileAdminService) {
	v1.RegisterFileHTTPServer(s, f)
	v1.RegisterFileAdminHTTPServer(s, a)
}
