package data

import (
	"context"
	"strconv"

	sharev1 "clouddrive/api/share/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/pkg/auth"
)

// ShareClient asks the share service, at each request for a share's
// bytes, whether the share still allows it.
type ShareClient struct {
	c sharev1.ShareInternalClient
	auth.InternalClient
}

var _ biz.ShareService = (*ShareClient)(nil)

// NewShareClient wraps a ShareInternal client; secret is the internal secret.
func NewShareClient(c sharev1.ShareInternalClient, secret string) *ShareClient {
	return &ShareClient{c: c, InternalClient: auth.InternalClient{Secret: secret}}
}

// CheckDownload implements biz.ShareService. The share's reasons (revoked,
// expired, limit reached, gone) reach the client unchanged.
func (s *ShareClient) CheckDownload(ctx context.Context, share string, owner int64, ids []int64, count bool) error {
	nodes := make([]string, len(ids))
	for i, n := range ids {
		nodes[i] = strconv.FormatInt(n, 10)
	}
	_, err := s.c.CheckDownload(s.Sign(ctx),
		&sharev1.CheckDownloadRequest{Token: share, OwnerId: strconv.FormatInt(owner, 10), NodeIds: nodes, Count: count})
	return errOf(err)
}
