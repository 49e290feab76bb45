package data

import (
	"context"
	"time"

	"gorm.io/gorm"

	"clouddrive/app/notify/internal/biz"
	"clouddrive/pkg/database"
)

type mailRepo struct{ d *Data }

var _ biz.MailRepo = (*mailRepo)(nil)

// NewMailRepo returns the MailRepo over the notifications table.
func NewMailRepo(d *Data) biz.MailRepo { return &mailRepo{d: d} }

// ClaimMail picks due rows, then takes each with a conditional update that
// only one instance can win: an email is never handed to two senders at once.
func (r *mailRepo) ClaimMail(ctx context.Context, now, until time.Time, limit int) ([]*biz.Notification, error) {
	now, until = now.UTC(), until.UTC()
	var ms []notificationModel
	if err := r.d.DB.WithContext(ctx).Where("mail_state = ? AND mail_after <= ?", int8(biz.MailPending), now).
		Order("mail_after, id").Limit(limit).Find(&ms).Error; err != nil {
		return nil, err
	}
	out := make([]*biz.Notification, 0, len(ms))
	for i := range ms {
		m := &ms[i]
		var won bool
		err := database.Retry(ctx, func() error {
			res := r.d.DB.WithContext(ctx).Model(&notificationModel{}).
				Where("id = ? AND mail_state = ? AND mail_after <= ?", m.ID, int8(biz.MailPending), now).
				Updates(map[string]any{"mail_after": until, "mail_attempts": gorm.Expr("mail_attempts + 1")})
			won = res.RowsAffected == 1
			return res.Error
		})
		if err != nil {
			return out, err
		}
		if !won {
			continue // another sender took it
		}
		m.MailAttempts++
		m.MailAfter = &until
		out = append(out, m.toBiz())
	}
	return out, nil
}

func (r *mailRepo) FinishMail(ctx context.Context, id int64, state biz.MailState, retryAt time.Time) error {
	var after any // NULL unless it is tried again
	if state == biz.MailPending {
		after = retryAt.UTC()
	}
	return r.d.DB.WithContext(ctx).Model(&notificationModel{}).Where("id = ?", id).
		Updates(map[string]any{"mail_state": int8(state), "mail_after": after}).Error
}
