// Package service turns the notify API's messages into calls on the use
// cases, renders notifications in the caller's language, and decodes the
// domain events (api/events/v1) that the consumers deliver.
package service

import (
	"context"
	"time"

	"github.com/go-kratos/kratos/v2/transport"
	"github.com/google/wire"

	commonv1 "clouddrive/api/common/v1"
	"clouddrive/app/notify/internal/biz"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/auth"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewNotifyService, NewEventHandler)

func owner(ctx context.Context) (int64, error) {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return 0, commonv1.ErrorUnauthenticated("a bearer access token is required")
	}
	return c.UserID, nil
}

// lang is the language the request asks for (Accept-Language; gRPC
// metadata "accept-language" the same).
func lang(ctx context.Context) biz.Lang {
	if tr, ok := transport.FromServerContext(ctx); ok && apierror.WantsChinese(tr.RequestHeader().Get("Accept-Language")) {
		return biz.Chinese
	}
	return biz.English
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
