// Package service turns the share API's messages into calls on the use
// cases: the owner from the bearer token, the visitor's share access token
// from the X-Share-Token header, the client IP the limiters count by.
package service

import (
	"context"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/go-kratos/kratos/v2/transport"
	"github.com/google/wire"

	filev1 "clouddrive/api/file/v1"
	v1 "clouddrive/api/share/v1"
	"clouddrive/app/share/internal/biz"
	"clouddrive/pkg/apierror"
	"clouddrive/pkg/apimsg"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewShareService, NewShareInternalService)

// ShareTokenHeader carries the share access token OpenShare returns.
const ShareTokenHeader = "X-Share-Token"

// shareToken reads X-Share-Token from the request (an HTTP header, or gRPC
// metadata).
func shareToken(ctx context.Context) string {
	if tr, ok := transport.FromServerContext(ctx); ok {
		return tr.RequestHeader().Get(ShareTokenHeader)
	}
	return ""
}

func optTimestamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return apimsg.Timestamp(*t)
}

func kind(folder bool) string {
	if folder {
		return "folder"
	}
	return "file"
}

func toNode(n *biz.Node) *filev1.Node {
	return &filev1.Node{Id: apimsg.FormatID(n.ID), ParentId: apimsg.FormatID(n.ParentID), Name: n.Name, Kind: kind(n.Folder),
		Size: n.Size, ContentHash: n.ContentHash, Mime: n.Mime, CreatedAt: apimsg.Timestamp(n.CreatedAt),
		UpdatedAt: apimsg.Timestamp(n.UpdatedAt), Version: n.Version}
}

func toNodes(ns []*biz.Node) []*filev1.Node {
	out := make([]*filev1.Node, len(ns))
	for i, n := range ns {
		out[i] = toNode(n)
	}
	return out
}

// nodeInShare reads a node id a visitor sent ("" is the shared item).
func nodeInShare(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	id, ok := apimsg.ParseID(s)
	if !ok {
		return 0, v1.ErrorNotInShare("no such item in this share")
	}
	return id, nil
}

// A page token of a share listing is the id to continue below.
func encodePage(before int64) string {
	if before == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(before, 10)))
}

func decodePage(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var id int64
	if err == nil {
		id, err = strconv.ParseInt(string(b), 10, 64)
	}
	if err != nil || id <= 0 {
		return 0, apierror.Invalid("page_token", "malformed page token")
	}
	return id, nil
}
