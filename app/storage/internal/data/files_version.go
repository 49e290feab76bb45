package data

import (
	"context"
	"strconv"
	"time"

	filev1 "clouddrive/api/file/v1"
	"clouddrive/app/storage/internal/biz"
)

var _ biz.FileVersions = (*FileClient)(nil)

// GetVersion implements biz.FileVersions.
func (f *FileClient) GetVersion(ctx context.Context, owner, node, version int64) (*biz.FileVersion, error) {
	out, err := f.c.GetVersion(f.ctx(ctx), &filev1.GetVersionRequest{OwnerId: strconv.FormatInt(owner, 10),
		NodeId: strconv.FormatInt(node, 10), VersionId: strconv.FormatInt(version, 10)})
	if err != nil {
		return nil, errOf(err)
	}
	v := &biz.FileVersion{ContentHash: out.GetContentHash(), Size: out.GetSize(), Mime: out.GetMime()}
	v.ID, _ = strconv.ParseInt(out.GetId(), 10, 64)
	v.NodeID, _ = strconv.ParseInt(out.GetNodeId(), 10, 64)
	v.ReplacedAt, _ = time.Parse(time.RFC3339Nano, out.GetReplacedAt())
	return v, nil
}
