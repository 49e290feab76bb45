package server

import (
	"github.com/go-kratos/kratos/v2/transport/http"
	"google.golang.org/grpc"

	v1 "clouddrive/api/storage/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/service"
)

// RegisterThumbnailsGRPC adds the Thumbnails API to s.
func RegisterThumbnailsGRPC(s grpc.ServiceRegistrar, t *service.ThumbnailService) {
	v1.RegisterThumbnailsServer(s, t)
}

// RegisterThumbnailsHTTP adds the Thumbnails API and the signed thumbnail
// route to s (after RegisterHTTP, which gives the byte routes their auth).
func RegisterThumbnailsHTTP(s *http.Server, t *service.ThumbnailService) {
	v1.RegisterThumbnailsHTTPServer(s, t)
	s.HandleFunc(biz.ThumbnailPath, t.Serve)
}
