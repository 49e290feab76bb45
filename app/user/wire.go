//go:build wireinject

package user

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/user/internal/biz"
	"clouddrive/app/user/internal/conf"
	"clouddrive/app/user/internal/data"
	"clouddrive/app/user/internal/service"
	"clouddrive/pkg/auth"
)

func wireModule(*confv1.Data, *conf.Code, *conf.OAuth, *biz.Policy, biz.TokenIssuer, auth.Revocations, log.Logger) (*Module, func(), error) {
	panic(wire.Build(data.ProviderSet, biz.ProviderSet, biz.NewClock, service.ProviderSet, newModule))
}
