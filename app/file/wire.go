//go:build wireinject

package file

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"

	"clouddrive/app/file/internal/biz"
	"clouddrive/app/file/internal/conf"
	"clouddrive/app/file/internal/data"
	"clouddrive/app/file/internal/service"
	"clouddrive/pkg/events"
)

func wireModule(*conf.Data, *conf.Tree, *biz.Policy, events.Publisher, log.Logger) (*Module, func(), error) {
	panic(wire.Build(data.ProviderSet, biz.ProviderSet, biz.NewClock, service.ProviderSet, newModule))
}
