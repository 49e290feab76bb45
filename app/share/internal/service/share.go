package service

import (
	"context"
	"time"

	filev1 "clouddrive/api/file/v1"
	v1 "clouddrive/api/share/v1"
	storagev1 "clouddrive/api/storage/v1"
	"clouddrive/app/share/internal/biz"
	"clouddrive/pkg/apimsg"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

// ShareService implements the Share API.
type ShareService struct {
	v1.UnimplementedShareServer
	shares *biz.ShareUsecase
	access *biz.AccessUsecase
	policy *biz.Policy
}

var _ v1.ShareHTTPServer = (*ShareService)(nil)

// NewShareService builds the service.
func NewShareService(shares *biz.ShareUsecase, access *biz.AccessUsecase, p *biz.Policy) *ShareService {
	return &ShareService{shares: shares, access: access, policy: p}
}

func (s *ShareService) toInfo(v *biz.ShareView) *v1.ShareInfo {
	out := &v1.ShareInfo{Token: v.Token, Url: s.policy.URL(v.Token), Code: v.Code, ExpiresAt: optTimestamp(v.ExpiresAt),
		MaxDownloads: v.MaxDownloads, NodeId: apimsg.FormatID(v.NodeID), Name: v.Name, Kind: kind(v.Folder), Size: v.Size,
		Recipient: v.RecipientName, Views: v.Views, Downloads: v.Downloads, Saves: v.Saves, Revoked: v.RevokedAt != nil,
		CreatedAt: apimsg.Timestamp(v.CreatedAt), OwnerNickname: v.OwnerNickname, State: string(v.State)}
	return out
}

func (s *ShareService) toList(p *biz.Page) *v1.ListSharesReply {
	out := &v1.ListSharesReply{Items: make([]*v1.ShareInfo, len(p.Items)), NextPageToken: encodePage(p.Next)}
	for i, v := range p.Items {
		out.Items[i] = s.toInfo(v)
	}
	return out
}

func (s *ShareService) CreateShare(ctx context.Context, req *v1.CreateShareRequest) (*v1.ShareInfo, error) {
	uid, err := apimsg.Owner(ctx)
	if err != nil {
		return nil, err
	}
	node, ok := apimsg.ParseID(req.GetNodeId())
	if !ok {
		return nil, filev1.ErrorNodeNotFound("no such file or folder")
	}
	v, err := s.shares.Create(ctx, uid, biz.NewShare{NodeID: node, Code: req.GetCode(), GenerateCode: req.GetGenerateCode(),
		ExpiresIn: time.Duration(req.GetExpiresInSeconds()) * time.Second, MaxDownloads: req.GetMaxDownloads(),
		Recipient: req.GetRecipient()})
	if err != nil {
		return nil, err
	}
	return s.toInfo(v), nil
}

func (s *ShareService) ListShares(ctx context.Context, req *v1.ListSharesRequest) (*v1.ListSharesReply, error) {
	uid, err := apimsg.Owner(ctx)
	if err != nil {
		return nil, err
	}
	before, err := decodePage(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	p, err := s.shares.List(ctx, uid, before, int(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return s.toList(p), nil
}

func (s *ShareService) ReceivedShares(ctx context.Context, req *v1.ReceivedSharesRequest) (*v1.ListSharesReply, error) {
	uid, err := apimsg.Owner(ctx)
	if err != nil {
		return nil, err
	}
	before, err := decodePage(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	p, err := s.shares.Received(ctx, uid, before, int(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	return s.toList(p), nil
}

func (s *ShareService) RevokeShare(ctx context.Context, req *v1.RevokeShareRequest) (*v1.RevokeShareReply, error) {
	uid, err := apimsg.Owner(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.shares.Revoke(ctx, uid, req.GetToken()); err != nil {
		return nil, err
	}
	return &v1.RevokeShareReply{}, nil
}

func (s *ShareService) OpenShare(ctx context.Context, req *v1.OpenShareRequest) (*v1.OpenShareReply, error) {
	v := biz.Visitor{IP: apiserver.ClientFrom(ctx).IP}
	if c, ok := auth.FromContext(ctx); ok {
		v.UserID = c.UserID
	}
	o, err := s.access.Open(ctx, req.GetToken(), req.GetCode(), v)
	if err != nil {
		return nil, err
	}
	info := s.toInfo(o.View)
	info.Code, info.Recipient = "", "" // the owner's to see, never a visitor's
	return &v1.OpenShareReply{AccessToken: o.AccessToken, ExpiresIn: int64(o.ExpiresIn / time.Second), Share: info}, nil
}

func (s *ShareService) BrowseShare(ctx context.Context, req *v1.BrowseShareRequest) (*v1.BrowseShareReply, error) {
	parent, err := nodeInShare(req.GetParentId())
	if err != nil {
		return nil, err
	}
	p, err := s.access.Browse(ctx, shareToken(ctx), parent, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &v1.BrowseShareReply{Items: toNodes(p.Items), NextPageToken: p.Next}, nil
}

func (s *ShareService) DownloadShare(ctx context.Context, req *v1.DownloadShareRequest) (*v1.DownloadShareReply, error) {
	var u *biz.SignedURL
	if picked := req.GetNodeIds(); len(picked) > 0 {
		ids := make([]int64, 0, len(picked))
		for _, raw := range picked {
			id, err := nodeInShare(raw)
			if err != nil {
				return nil, err
			}
			if id == 0 {
				return nil, v1.ErrorNotInShare("no such item in this share")
			}
			ids = append(ids, id)
		}
		var err error
		if u, err = s.access.DownloadSelection(ctx, shareToken(ctx), ids); err != nil {
			return nil, err
		}
		return &v1.DownloadShareReply{Url: u.URL, ExpiresAt: apimsg.Timestamp(u.ExpiresAt)}, nil
	}
	node, err := nodeInShare(req.GetNodeId())
	if err != nil {
		return nil, err
	}
	u, err = s.access.Download(ctx, shareToken(ctx), node)
	if err != nil {
		return nil, err
	}
	return &v1.DownloadShareReply{Url: u.URL, ExpiresAt: apimsg.Timestamp(u.ExpiresAt)}, nil
}

func (s *ShareService) ShareThumbnails(ctx context.Context, req *v1.ShareThumbnailsRequest) (*storagev1.ThumbnailURLsReply, error) {
	ids := make([]int64, 0, len(req.GetIds()))
	for _, raw := range req.GetIds() {
		id, ok := apimsg.ParseID(raw)
		if !ok {
			return nil, v1.ErrorNotInShare("no such item in this share")
		}
		ids = append(ids, id)
	}
	ts, err := s.access.Thumbnails(ctx, shareToken(ctx), ids, int(req.GetSize()))
	if err != nil {
		return nil, err
	}
	out := &storagev1.ThumbnailURLsReply{Thumbnails: make([]*storagev1.ThumbnailURL, len(ts))}
	for i, t := range ts {
		out.Thumbnails[i] = &storagev1.ThumbnailURL{Id: apimsg.FormatID(t.ID), Url: t.URL,
			ExpiresAt: apimsg.Timestamp(t.ExpiresAt), ContentHash: t.ContentHash}
	}
	return out, nil
}

func (s *ShareService) SaveShare(ctx context.Context, req *v1.SaveShareRequest) (*v1.SaveShareReply, error) {
	uid, err := apimsg.Owner(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(req.GetNodeIds()))
	for i, raw := range req.GetNodeIds() {
		id, ok := apimsg.ParseID(raw)
		if !ok {
			return nil, v1.ErrorNotInShare("no such item in this share")
		}
		ids[i] = id
	}
	parent := int64(0)
	if p := req.GetParentId(); p != "" {
		var ok bool
		if parent, ok = apimsg.ParseID(p); !ok {
			return nil, filev1.ErrorParentNotFound("the destination folder does not exist")
		}
	}
	nodes, err := s.access.Save(ctx, shareToken(ctx), uid, ids, parent)
	if err != nil {
		return nil, err
	}
	return &v1.SaveShareReply{Items: toNodes(nodes)}, nil
}
