// Package server registers the storage service's handlers on a gRPC and an
// HTTP server, and runs its background jobs (collector, scrub).
package server

import (
	"github.com/go-kratos/kratos/v2/transport/http"
	"google.golang.org/grpc"

	v1 "clouddrive/api/storage/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/service"
	"clouddrive/pkg/auth"
)

// RegisterGRPC adds the storage service (with its streams) and the
// internal API of other services to s; the internal API has no HTTP route.
func RegisterGRPC(s grpc.ServiceRegistrar, st *service.StorageService, admin *service.StorageAdminService, internal *service.StorageInternalService) {
	v1.RegisterStorageServer(s, st)
	v1.RegisterStorageAdminServer(s, admin)
	v1.RegisterStorageInternalServer(s, internal)
}

// RegisterHTTP adds the transcoded routes and the byte routes to s; the
// byte routes check tokens with the same options as the middleware.
func RegisterHTTP(s *http.Server, st *service.StorageService, admin *service.StorageAdminService, b *service.ByteRoutes, o auth.Options) {
	v1.RegisterStorageHTTPServer(s, st)
	v1.RegisterStorageAdminHTTPServer(s, admin)
	b.SetAuth(o)
	s.HandleFunc(service.SmallFilePath, b.PutFile)
	s.HandleFunc(service.ChunkPrefix+"/{upload_id}/{index:[0-9]+}", b.PutChunk)
	s.HandleFunc(biz.FilePath, b.File)
	s.HandleFunc(biz.ZipPath, b.Zip)
}
