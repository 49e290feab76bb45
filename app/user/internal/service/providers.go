package service

import (
	"context"

	v1 "clouddrive/api/user/v1"
)

// SignInProviders says which ways to sign in are offered: the sign-in page
// shows GitHub only when it is configured, never a button that ends in an
// error page.
func (s *UserService) SignInProviders(context.Context, *v1.SignInProvidersRequest) (*v1.SignInProvidersReply, error) {
	return &v1.SignInProvidersReply{Password: true, Code: true, Github: s.oauth.Enabled()}, nil
}
