// Package service turns the notify API's messages into calls on the use
// cases, renders notifications in the caller's language, and decodes the
// domain events (api/events/v1) that the consumers deliver.
package service

import (
	"context"

	"github.com/go-kratos/kratos/v2/transport"
	"github.com/google/wire"

	"clouddrive/app/notify/internal/biz"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/apimsg"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewNotifyService, NewEventHandler)

// The helpers every service layer shares (pkg/apimsg).
var (
	owner     = apimsg.Owner
	timestamp = apimsg.Timestamp
)

// lang is the language the request asks for (Accept-Language; gRPC
// metadata "accept-language" the same).
func lang(ctx context.Context) biz.Lang {
	if tr, ok := transport.FromServerContext(ctx); ok && apierror.WantsChinese(tr.RequestHeader().Get("Accept-Language")) {
		return biz.Chinese
	}
	return biz.English
}
