// Package server registers the user service's handlers on a gRPC and an HTTP
// server: its own (cmd/user) or the shared ones of the standalone binary.
package server

import (
	"github.com/go-kratos/kratos/v2/transport/http"
	"google.golang.org/grpc"

	v1 "clouddrive/api/user/v1"
	"clouddrive/app/user/internal/service"
)

// RegisterGRPC adds the user service's gRPC services to s, with the
// internal API of other services (which has no HTTP route).
func RegisterGRPC(s grpc.ServiceRegistrar, user *service.UserService, admin *service.AdminService, internal *service.UserInternalService) {
	v1.RegisterUserServer(s, user)
	v1.RegisterAdminServer(s, admin)
	v1.RegisterUserInternalServer(s, internal)
}

// RegisterHTTP adds the transcoded routes and the GitHub browser routes to s.
func RegisterHTTP(s *http.Server, user *service.UserService, admin *service.AdminService, oauth *service.OAuthHandler) {
	v1.RegisterUserHTTPServer(s, user)
	v1.RegisterAdminHTTPServer(s, admin)
	s.HandleFunc(service.GitHubBeginPath, oauth.Begin)
	s.HandleFunc(service.GitHubCallbackPath, oauth.Callback)
}
