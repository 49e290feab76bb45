package service

import (
	"context"
	"testing"

	"github.com/go-kratos/kratos/v2/log"

	v1 "clouddrive/api/user/v1"
	"clouddrive/app/user/internal/biz"
	"clouddrive/app/user/internal/conf"
	"clouddrive/app/user/internal/data"
)

// The sign-in page offers GitHub only when the deployment configured it
// (a GitHub client id and secret), through the real provider's own check.
func TestSignInProvidersNameGitHubOnlyWhenConfigured(t *testing.T) {
	for _, tc := range []struct {
		name   string
		github *conf.OAuth_GitHub
		want   bool
	}{
		{"not configured", nil, false},
		{"client id without a secret", &conf.OAuth_GitHub{ClientId: "id"}, false},
		{"configured", &conf.OAuth_GitHub{ClientId: "id", ClientSecret: "secret"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			provider := data.NewGitHubProvider(&conf.OAuth{Github: tc.github})
			oauth := biz.NewOAuthUsecase(provider, nil, nil, nil, &biz.Policy{}, nil, log.DefaultLogger)
			s := NewUserService(nil, nil, nil, oauth, nil)
			got, err := s.SignInProviders(context.Background(), &v1.SignInProvidersRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if got.GetGithub() != tc.want || !got.GetPassword() || !got.GetCode() {
				t.Fatalf("SignInProviders = %+v, want github=%v with password and code", got, tc.want)
			}
		})
	}
}
