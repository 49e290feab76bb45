//go:build wireinject

package notify

import (
	"github.com/go-kratos/kratos/v2/log"
	"github.com/google/wire"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/notify/internal/biz"
	"clouddrive/app/notify/internal/conf"
	"clouddrive/app/notify/internal/data"
	"clouddrive/app/notify/internal/service"
)

func wireModule(*confv1.Data, *conf.Mail, *biz.MailPolicy, biz.UserService, log.Logger) (*Module, func(), error) {
	panic(wire.Build(data.ProviderSet, biz.ProviderSet, biz.NewClock, service.ProviderSet, newModule))
}
