package service

import (
	"context"
	"strconv"

	v1 "clouddrive/api/notify/v1"
	"clouddrive/app/notify/internal/biz"
	"clouddrive/pkg/apierror"
)

// NotifyService implements the Notify API for the caller's own
// notifications.
type NotifyService struct {
	v1.UnimplementedNotifyServer
	uc *biz.NotificationUsecase
}

var _ v1.NotifyHTTPServer = (*NotifyService)(nil)

// NewNotifyService builds the service.
func NewNotifyService(uc *biz.NotificationUsecase) *NotifyService { return &NotifyService{uc: uc} }

func toNotification(n *biz.Notification, l biz.Lang) *v1.Notification {
	t := biz.Render(n.Kind, n.Data, l)
	return &v1.Notification{Id: strconv.FormatInt(n.ID, 10), Kind: string(n.Kind), Title: t.Title, Body: t.Body,
		Data: n.Data, Read: n.Read(), CreatedAt: timestamp(n.CreatedAt)}
}

func (s *NotifyService) ListNotifications(ctx context.Context, req *v1.ListNotificationsRequest) (*v1.ListNotificationsReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	before, err := decodeToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	p, err := s.uc.List(ctx, biz.ListQuery{Recipient: uid, Before: before, UnreadOnly: req.GetUnreadOnly(),
		Limit: int(req.GetPageSize())})
	if err != nil {
		return nil, err
	}
	l := lang(ctx)
	items := make([]*v1.Notification, len(p.Items))
	for i, n := range p.Items {
		items[i] = toNotification(n, l)
	}
	return &v1.ListNotificationsReply{Items: items, NextPageToken: encodeToken(p.Next)}, nil
}

func (s *NotifyService) UnreadCount(ctx context.Context, _ *v1.UnreadCountRequest) (*v1.UnreadCountReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.uc.UnreadCount(ctx, uid)
	if err != nil {
		return nil, err
	}
	return &v1.UnreadCountReply{Count: n}, nil
}

func (s *NotifyService) MarkRead(ctx context.Context, req *v1.MarkReadRequest) (*v1.MarkReadReply, error) {
	uid, err := owner(ctx)
	if err != nil {
		return nil, err
	}
	if !req.GetAll() && len(req.GetIds()) == 0 {
		return nil, apierror.Invalid("ids", "give the ids to mark, or all")
	}
	var ids []int64
	if !req.GetAll() {
		ids = make([]int64, len(req.GetIds()))
		for i, s := range req.GetIds() {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				return nil, v1.ErrorNotificationNotFound("no such notification")
			}
			ids[i] = id
		}
	}
	n, err := s.uc.MarkRead(ctx, uid, ids, req.GetAll())
	if err != nil {
		return nil, err
	}
	return &v1.MarkReadReply{Marked: n}, nil
}
