//go:build wireinject

package file

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/file/internal/biz"
	"clouddrive/app/file/internal/conf"
	"clouddrive/app/file/internal/data"
	"clouddrive/app/file/internal/service"
	"clouddrive/pkg/events"
)

func wireModule(*confv1.Data, *conf.Tree, *conf.Cache, *biz.Policy, events.Publisher, log.Logger) (*Module, func(), error) {
	panic(wire.Build(data.ProviderSet, biz.ProviderSet, biz.NewClock, service.ProviderSet, newModule))
}
