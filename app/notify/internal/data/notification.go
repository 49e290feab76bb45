package data

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"clouddrive/app/notify/internal/biz"
	"clouddrive/pkg/database"
)

type notificationRepo struct{ d *Data }

var _ biz.NotificationRepo = (*notificationRepo)(nil)

// NewNotificationRepo returns the gorm NotificationRepo.
func NewNotificationRepo(d *Data) biz.NotificationRepo { return &notificationRepo{d: d} }

// inChunk bounds IN lists.
const inChunk = 500

// Create inserts unless (event_id, recipient_id) exists. The unique index
// decides: a duplicate insert fails with a duplicate key (gorm translates
// the driver's error on MySQL and SQLite alike) and is reported as "not
// created", never as an error. (gorm's "on conflict do nothing" is not
// used: on MariaDB it becomes ON DUPLICATE KEY UPDATE id = id RETURNING id,
// which returns the existing row, so a duplicate would read as new.)
func (r *notificationRepo) Create(ctx context.Context, n *biz.Notification) (bool, error) {
	m, err := toModel(n)
	if err != nil {
		return false, err
	}
	m.ID = 0
	err = database.Retry(ctx, func() error { return r.d.DB.WithContext(ctx).Create(m).Error })
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	n.ID = m.ID
	return true, nil
}

func (r *notificationRepo) List(ctx context.Context, q biz.ListQuery) ([]*biz.Notification, error) {
	db := r.d.DB.WithContext(ctx).Where("recipient_id = ?", q.Recipient)
	if q.Before > 0 {
		db = db.Where("id < ?", q.Before)
	}
	if q.UnreadOnly {
		db = db.Where("read_at IS NULL")
	}
	var ms []notificationModel
	if err := db.Order("id DESC").Limit(q.Limit).Find(&ms).Error; err != nil {
		return nil, err
	}
	out := make([]*biz.Notification, len(ms))
	for i := range ms {
		out[i] = ms[i].toBiz()
	}
	return out, nil
}

func (r *notificationRepo) UnreadCount(ctx context.Context, recipient int64) (int64, error) {
	var n int64
	err := r.d.DB.WithContext(ctx).Model(&notificationModel{}).
		Where("recipient_id = ? AND read_at IS NULL", recipient).Count(&n).Error
	return n, err
}

func (r *notificationRepo) CountOwned(ctx context.Context, recipient int64, ids []int64) (int64, error) {
	var total int64
	for _, c := range chunks(ids, inChunk) {
		var n int64
		if err := r.d.DB.WithContext(ctx).Model(&notificationModel{}).
			Where("recipient_id = ? AND id IN ?", recipient, c).Count(&n).Error; err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func (r *notificationRepo) MarkRead(ctx context.Context, recipient int64, ids []int64, at time.Time) (int64, error) {
	unread := func() *gorm.DB {
		return r.d.DB.WithContext(ctx).Model(&notificationModel{}).Where("recipient_id = ? AND read_at IS NULL", recipient)
	}
	if ids == nil {
		res := unread().Update("read_at", at.UTC())
		return res.RowsAffected, res.Error
	}
	var total int64
	for _, c := range chunks(ids, inChunk) {
		res := unread().Where("id IN ?", c).Update("read_at", at.UTC())
		if res.Error != nil {
			return total, res.Error
		}
		total += res.RowsAffected
	}
	return total, nil
}

// chunks splits ids so that IN lists stay short.
func chunks(ids []int64, n int) [][]int64 {
	var out [][]int64
	for len(ids) > n {
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}
