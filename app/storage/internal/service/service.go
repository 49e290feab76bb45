// Package service turns the storage API (transcoded RPCs, gRPC streams and
// the raw byte routes) into calls on the use cases.
package service

import (
	"github.com/google/wire"

	filev1 "clouddrive/api/file/v1"
	v1 "clouddrive/api/storage/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/pkg/apimsg"
)

// ProviderSet is service providers.
var ProviderSet = wire.NewSet(NewStorageService, NewStorageAdminService, NewStorageInternalService, NewByteRoutes, NewThumbnailService)

// The helpers every service layer shares (pkg/apimsg).
var (
	owner     = apimsg.Owner
	timestamp = apimsg.Timestamp
	formatID  = apimsg.FormatID
	parseID   = apimsg.ParseID
)

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
	out := &v1.UploadSession{UploadId: u.ID, ChunkSize: u.ChunkSize, ChunkCount: u.Layout().Count(),
		UploadedChunks: s.Held, ExpiresAt: timestamp(u.ExpiresAt), Name: u.Name, Size: u.Size, ContentHash: u.ContentHash}
	if !u.Hashless { // nothing to prove without a hash
		out.Challenge = &v1.Challenge{Nonce: hexOf(u.Nonce), Ranges: toRanges(s.Challenge)}
	}
	return out
}

func toRanges(rs []biz.Range) []*v1.ChallengeRange {
	out := make([]*v1.ChallengeRange, len(rs))
	for i, r := range rs {
		out[i] = &v1.ChallengeRange{Offset: r.Offset, Length: r.Length}
	}
	return out
}
