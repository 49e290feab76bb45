//go:build wireinject

package share

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/share/internal/biz"
	"clouddrive/app/share/internal/data"
	"clouddrive/app/share/internal/service"
	"clouddrive/pkg/events"
)

func wireModule(*confv1.Data, *biz.Policy, *biz.Keys, biz.Clock, events.Publisher, *data.FileClient, *data.StorageClient, *data.UserClient, log.Logger) (*Module, func(), error) {
	panic(wire.Build(data.ProviderSet, biz.ProviderSet, service.ProviderSet, newModule,
		wire.Bind(new(biz.FileService), new(*data.FileClient)),
		wire.Bind(new(biz.StorageService), new(*data.StorageClient)),
		wire.Bind(new(biz.UserService), new(*data.UserClient))))
}
