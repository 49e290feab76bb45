// Package service turns the storage API (transcoded RPCs, gRPC streams and
// the raw byte routes) into calls on the use cases.
package service

import (
	"context"
	"strconv"
	"time"

	"github.com/google/wire"

	commonv1 "clouddrive/api/common/v1"
	filev1 "clouddrive/api/file/v1"
	v1 "clouddrive/api/storage/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/pkg/auth"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewStorageService, NewStorageAdminService, NewStorageInternalService, NewByteRoutes)

func owner(ctx context.Context) (int64, error) {
	c, ok := auth.FromContext(ctx)
	if !ok {
		return 0, commonv1.ErrorUnauthenticated("a bearer access token is required")
	}
	return c.UserID, nil
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func formatID(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func parseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// nodeIDs reads the ids of a selection; one that cannot be a node is not found.
func nodeIDs(ss []string) ([]int64, error) {
	ids := make([]int64, len(ss))
	for i, s := range ss {
		var ok bool
		if ids[i], ok = parseID(s); !ok {
			return nil, v1.ErrorFileNotFound("no such file or folder")
		}
	}
	return ids, nil
}

func toSignedURL(u *biz.SignedURL) *v1.SignedURL {
	return &v1.SignedURL{Url: u.URL, ExpiresAt: timestamp(u.ExpiresAt)}
}

func toNode(n *biz.FileNode) *filev1.Node {
	kind := "file"
	if n.Folder {
		kind = "folder"
	}
	return &filev1.Node{Id: formatID(n.ID), ParentId: formatID(n.ParentID), Name: n.Name, Kind: kind, Size: n.Size,
		ContentHash: n.ContentHash, Mime: n.Mime, CreatedAt: timestamp(n.CreatedAt), UpdatedAt: timestamp(n.UpdatedAt),
		Version: n.Version}
}

func toSession(s *biz.Session) *v1.UploadSession {
	u := s.Upload
	return &v1.UploadSession{UploadId: u.ID, ChunkSize: u.ChunkSize, ChunkCount: u.Layout().Count(),
		UploadedChunks: s.Held, ExpiresAt: timestamp(u.ExpiresAt), Name: u.Name, Size: u.Size, ContentHash: u.ContentHash,
		Challenge: &v1.Challenge{Nonce: hexOf(u.Nonce), Ranges: toRanges(s.Challenge)}}
}

func toRanges(rs []biz.Range) []*v1.ChallengeRange {
	out := make([]*v1.ChallengeRange, len(rs))
	for i, r := range rs {
		out[i] = &v1.ChallengeRange{Offset: r.Offset, Length: r.Length}
	}
	return out
}
