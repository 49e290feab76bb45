package service

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	v1 "clouddrive/api/file/v1"
	"clouddrive/app/file/internal/biz"
)

// A change cursor names a position in one user's feed: "c1:<owner>:<seq>",
// base64url. The owner is in it so that a cursor of another user (or of
// nobody) is refused outright; reading a feed is by the caller's id in any
// case, so no cursor can ever show another user's change.
func encodeCursor(owner, seq int64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "c1:%d:%d", owner, seq))
}

func decodeCursor(s string, owner int64) (int64, error) {
	if s == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var who, seq int64
	if err == nil {
		var n int
		n, err = fmt.Sscanf(string(b), "c1:%d:%d", &who, &seq)
		if err == nil && (n != 2 || string(b) != fmt.Sprintf("c1:%d:%d", who, seq)) {
			err = fmt.Errorf("trailing bytes")
		}
	}
	if err != nil || who != owner || seq < 0 {
		return 0, v1.ErrorInvalidCursor("not a change cursor of yours: start from an empty cursor")
	}
	return seq, nil
}

func toChange(c *biz.Change) *v1.Change {
	return &v1.Change{Seq: c.Seq, Type: biz.ChangeTypeName(c.Type), NodeId: biz.FormatID(c.NodeID),
		ParentId: biz.FormatID(c.ParentID), Kind: c.Kind.String(), Name: c.Name, Path: c.Path, OldPath: c.OldPath,
		ContentHash: c.ContentHash, Size: c.Size, At: timestamp(c.At), NodeVersion: c.NodeVersion}
}

func (s *FileService) ListChanges(ctx context.Context, req *v1.ListChangesRequest) (*v1.ListChangesReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	after, err := decodeCursor(req.GetCursor(), uid)
	if err != nil {
		return nil, err
	}
	p, err := s.changes.List(ctx, uid, after, int(req.GetPageSize()), req.GetLatest())
	if err != nil {
		return nil, err
	}
	out := &v1.ListChangesReply{Changes: make([]*v1.Change, len(p.Changes)), Cursor: encodeCursor(uid, p.Next), HasMore: p.HasMore}
	for i, c := range p.Changes {
		out.Changes[i] = toChange(c)
	}
	return out, nil
}

func (s *FileService) WaitChanges(ctx context.Context, req *v1.WaitChangesRequest) (*v1.WaitChangesReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	after, err := decodeCursor(req.GetCursor(), uid)
	if err != nil {
		return nil, err
	}
	moved, err := s.changes.Wait(ctx, uid, after, time.Duration(req.GetTimeoutSeconds())*time.Second)
	if err != nil {
		return nil, err
	}
	return &v1.WaitChangesReply{Changes: moved}, nil
}

func versionID(s string) (int64, error) {
	id, ok := biz.ParseID(s)
	if !ok {
		return 0, v1.ErrorVersionNotFound("this file has no such version")
	}
	return id, nil
}

func toVersion(v *biz.Version) *v1.FileVersion {
	return &v1.FileVersion{Id: biz.FormatID(v.ID), NodeId: biz.FormatID(v.NodeID), Size: v.Size, ContentHash: v.ContentHash,
		Mime: v.Mime, CreatedAt: timestamp(v.CreatedAt), ReplacedAt: timestamp(v.ReplacedAt), NodeVersion: v.NodeVersion}
}

func (s *FileService) ListVersions(ctx context.Context, req *v1.ListVersionsRequest) (*v1.ListVersionsReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	id, err := nodeID(req.GetNodeId())
	if err != nil {
		return nil, err
	}
	n, vs, err := s.nodes.ListVersions(ctx, uid, id)
	if err != nil {
		return nil, err
	}
	out := &v1.ListVersionsReply{Node: toNode(n), Versions: make([]*v1.FileVersion, len(vs))}
	for i, v := range vs {
		out.Versions[i] = toVersion(v)
	}
	return out, nil
}

func (s *FileService) RestoreVersion(ctx context.Context, req *v1.RestoreVersionRequest) (*v1.Node, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	id, err := nodeID(req.GetNodeId())
	if err != nil {
		return nil, err
	}
	vid, err := versionID(req.GetVersionId())
	if err != nil {
		return nil, err
	}
	n, err := s.nodes.RestoreVersion(ctx, uid, id, vid)
	if err != nil {
		return nil, err
	}
	return toNode(n), nil
}

func (s *FileInternalService) GetVersion(ctx context.Context, req *v1.GetVersionRequest) (*v1.FileVersion, error) {
	uid, err := userID(req.GetOwnerId())
	if err != nil {
		return nil, err
	}
	id, err := nodeID(req.GetNodeId())
	if err != nil {
		return nil, err
	}
	vid, err := versionID(req.GetVersionId())
	if err != nil {
		return nil, err
	}
	_, v, err := s.nodes.GetVersion(ctx, uid, id, vid)
	if err != nil {
		return nil, err
	}
	return toVersion(v), nil
}
