// Package server registers the notify service's handlers on a gRPC and an
// HTTP server, and runs the background sender of emails.
package server

import (
	"github.com/go-kratos/kratos/v2/transport/http"
	"google.golang.org/grpc"

	v1 "clouddrive/api/notify/v1"
	"clouddrive/app/notify/internal/service"
)

// RegisterGRPC adds the Notify service to s.
func RegisterGRPC(s grpc.ServiceRegistrar, n *service.NotifyService) { v1.RegisterNotifyServer(s, n) }

// RegisterHTTP adds the transcoded routes to s.
func RegisterHTTP(s *http.Server, n *service.NotifyService) { v1.RegisterNotifyHTTPServer(s, n) }
