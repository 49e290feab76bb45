//go:build wireinject

package storage

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/conf"
	"clouddrive/app/storage/internal/data"
	"clouddrive/app/storage/internal/service"
	"clouddrive/pkg/auth"
)

func wireModule(*confv1.Data, *conf.Backend, *conf.Upload, *conf.Thumbnail, *biz.Policy, *data.FileClient, *data.ShareClient, *auth.URLSigner, log.Logger) (*Module, func(), error) {
	panic(wire.Build(data.ProviderSet, biz.ProviderSet, biz.NewClock, service.ProviderSet, newModule,
		wire.Bind(new(biz.FileService), new(*data.FileClient)),
		wire.Bind(new(biz.ShareService), new(*data.ShareClient)),
		wire.Bind(new(biz.URLSigner), new(*auth.URLSigner))))
}
