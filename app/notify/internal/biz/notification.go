package biz

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/go-kratos/kratos/v2/log"
)

// Kind is what a notification is about; the text is rendered from it and
// its data in the reader's language (Render).
type Kind string

// Kinds of notifications.
const (
	KindShareReceived Kind = "share_received"
	KindShareSaved    Kind = "share_saved"
	KindQuotaWarning  Kind = "quota_warning"
)

// Keys of Notification.Data.
const (
	DataShareToken    = "share_token"
	DataOwnerID       = "owner_id"
	DataOwnerNickname = "owner_nickname"
	DataActorID       = "actor_id"
	DataActorNickname = "actor_nickname"
	DataName          = "name"
	DataUsedBytes     = "used_bytes"
	DataLimitBytes    = "limit_bytes"
)

// MailState is where a notification's email is.
type MailState int8

// Mail states.
const (
	// MailNone: no email wanted (no address, email off, or no SMTP).
	MailNone MailState = iota
	// MailPending: to be sent at MailAfter.
	MailPending
	MailSent
	// MailFailed: every attempt failed.
	MailFailed
	// MailSkipped: by the time it was due, the user no longer wanted it
	// (disabled, address removed, email turned off).
	MailSkipped
)

// Notification is one message to one user. Its text is not stored: the
// kind and data are, and each reader gets them rendered in their language.
type Notification struct {
	ID        int64
	Recipient int64
	// EventID is the event it was made from: (EventID, Recipient) is unique,
	// so a duplicate delivery makes no second notification.
	EventID      string
	Kind         Kind
	Data         map[string]string
	ReadAt       *time.Time
	CreatedAt    time.Time
	MailState    MailState
	MailAttempts int
	MailAfter    *time.Time
}

// Read reports whether the recipient has read it.
func (n *Notification) Read() bool { return n.ReadAt != nil }

// ListQuery is one page of a user's notifications, newest first.
type ListQuery struct {
	Recipient int64
	// Before is the cursor: only ids below it (0: from the newest).
	Before     int64
	UnreadOnly bool
	Limit      int
}

// Page is a page of notifications; Next is the cursor of the next page (0: none).
type Page struct {
	Items []*Notification
	Next  int64
}

// NotificationRepo stores notifications. Every method that a request can
// reach takes the recipient and filters by it.
type NotificationRepo interface {
	// Create inserts n unless a notification of the same event for the
	// same recipient exists; created reports whether n was inserted (and
	// n.ID set).
	Create(ctx context.Context, n *Notification) (created bool, err error)
	// List returns up to q.Limit notifications of q.Recipient with ids
	// below q.Before (when set), newest first.
	List(ctx context.Context, q ListQuery) ([]*Notification, error)
	UnreadCount(ctx context.Context, recipient int64) (int64, error)
	// CountOwned counts how many of ids are notifications of recipient.
	CountOwned(ctx context.Context, recipient int64, ids []int64) (int64, error)
	// MarkRead marks unread notifications of recipient read at `at`: those
	// of ids, or all of them when ids is nil. It returns how many changed.
	MarkRead(ctx context.Context, recipient int64, ids []int64, at time.Time) (int64, error)
}

// User is what notify needs to know of a user.
type User struct {
	ID                 int64
	Nickname           string
	Email              string
	EmailNotifications bool
	Disabled           bool
}

// WantsEmail reports whether notifications should also go by email.
func (u *User) WantsEmail() bool { return !u.Disabled && u.Email != "" && u.EmailNotifications }

// UserService is the user service (its internal API).
type UserService interface {
	// GetUser returns ErrUserNotFound for an unknown id; other errors are
	// worth retrying.
	GetUser(ctx context.Context, id int64) (*User, error)
}

// Page sizes of List.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// maxEventID is the width of the event_id column.
const maxEventID = 64

// NotificationUsecase makes notifications from events and serves them.
type NotificationUsecase struct {
	repo  NotificationRepo
	users UserService
	mail  *MailUsecase
	now   Clock
	log   *log.Helper
}

// NewNotificationUsecase builds the use case; mail queues emails (it may
// have no mailer: then notifications stay in-app).
func NewNotificationUsecase(repo NotificationRepo, users UserService, mail *MailUsecase, now Clock, logger log.Logger) *NotificationUsecase {
	return &NotificationUsecase{repo: repo, users: users, mail: mail, now: now,
		log: log.NewHelper(log.With(logger, "module", "biz/notification"))}
}

// draft is the notification an event makes, before the recipient is known
// to want it.
func draft(e *Event) *Notification {
	switch e.Type {
	case EventQuotaWarning:
		if e.Owner <= 0 || e.LimitBytes <= 0 {
			return nil
		}
		return &Notification{Recipient: e.Owner, Kind: KindQuotaWarning, Data: map[string]string{
			DataUsedBytes: strconv.FormatInt(e.UsedBytes, 10), DataLimitBytes: strconv.FormatInt(e.LimitBytes, 10)}}
	case EventShareCreated:
		// Only a share sent to someone by name tells anybody; sending one
		// to oneself tells nobody.
		if e.Recipient <= 0 || e.Recipient == e.Owner {
			return nil
		}
		return &Notification{Recipient: e.Recipient, Kind: KindShareReceived, Data: map[string]string{
			DataShareToken: e.ShareToken, DataOwnerID: strconv.FormatInt(e.Owner, 10),
			DataOwnerNickname: e.OwnerNickname, DataName: e.Name}}
	case EventShareSaved:
		// The owner saving from their own share is no news to them.
		if e.Owner <= 0 || e.Actor == e.Owner {
			return nil
		}
		return &Notification{Recipient: e.Owner, Kind: KindShareSaved, Data: map[string]string{
			DataShareToken: e.ShareToken, DataActorID: strconv.FormatInt(e.Actor, 10),
			DataActorNickname: e.ActorNickname, DataName: e.Name}}
	}
	return nil // revoked shares and changes to the tree tell nobody
}

// Handle turns one event into at most one notification per recipient. It is
// idempotent: a second delivery of an event finds its notification made and
// does nothing, so it neither shows twice nor mails twice. An error means
// "deliver again later" (the user service was unreachable, the database
// failed).
func (uc *NotificationUsecase) Handle(ctx context.Context, e *Event) error {
	n := draft(e)
	if n == nil {
		return nil
	}
	if e.ID == "" {
		uc.log.WithContext(ctx).Warnw("msg", "event without an id dropped", "type", int(e.Type))
		return nil
	}
	n.EventID = eventKey(e.ID)
	u, err := uc.users.GetUser(ctx, n.Recipient)
	if errors.Is(err, ErrUserNotFound) {
		uc.log.WithContext(ctx).Infow("msg", "notification for an unknown user dropped", "event", e.ID, "user", n.Recipient)
		return nil
	}
	if err != nil {
		return err
	}
	if u.Disabled {
		return nil // a disabled account hears nothing, in-app or by mail
	}
	uc.fillNickname(ctx, n, DataOwnerNickname, DataOwnerID)
	uc.fillNickname(ctx, n, DataActorNickname, DataActorID)
	n.CreatedAt = e.OccurredAt.UTC()
	if e.OccurredAt.IsZero() {
		n.CreatedAt = uc.now()
	}
	if uc.mail.Enabled() && u.WantsEmail() {
		n.MailState = MailPending
		at := uc.now()
		n.MailAfter = &at
	}
	created, err := uc.repo.Create(ctx, n)
	if err != nil {
		return err
	}
	// Only a new row is mailed, and only after it is stored: a failed or
	// slow email can neither lose the in-app notification nor repeat it.
	if created && n.MailState == MailPending {
		uc.mail.Kick()
	}
	return nil
}

// fillNickname looks up the nickname an event left empty (best effort: the
// text falls back to "someone").
func (uc *NotificationUsecase) fillNickname(ctx context.Context, n *Notification, nickKey, idKey string) {
	idStr, ok := n.Data[idKey]
	if !ok || n.Data[nickKey] != "" {
		return
	}
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil || id <= 0 {
		return
	}
	u, err := uc.users.GetUser(ctx, id)
	if err != nil {
		uc.log.WithContext(ctx).Debugw("msg", "nickname lookup failed", "user", id, "err", err)
		return
	}
	n.Data[nickKey] = u.Nickname
}

// eventKey fits an event id in the event_id column: ids that are too long
// are replaced by their SHA-256, which still tells duplicates apart.
func eventKey(id string) string {
	if len(id) <= maxEventID {
		return id
	}
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// List returns a page of the user's notifications, newest first.
func (uc *NotificationUsecase) List(ctx context.Context, q ListQuery) (*Page, error) {
	if q.Limit <= 0 {
		q.Limit = DefaultPageSize
	}
	q.Limit = min(q.Limit, MaxPageSize)
	want := q.Limit
	q.Limit++ // one more tells whether there is a next page
	ns, err := uc.repo.List(ctx, q)
	if err != nil {
		return nil, err
	}
	p := &Page{Items: ns}
	if len(ns) > want {
		p.Items = ns[:want]
		p.Next = p.Items[want-1].ID
	}
	return p, nil
}

// UnreadCount is how many of the user's notifications are unread.
func (uc *NotificationUsecase) UnreadCount(ctx context.Context, recipient int64) (int64, error) {
	return uc.repo.UnreadCount(ctx, recipient)
}

// MarkRead marks the user's notifications ids read, or all of them. An id
// that is not one of the user's is NOTIFICATION_NOT_FOUND and nothing is
// marked. It returns how many were unread before.
func (uc *NotificationUsecase) MarkRead(ctx context.Context, recipient int64, ids []int64, all bool) (int64, error) {
	if all {
		return uc.repo.MarkRead(ctx, recipient, nil, uc.now())
	}
	if len(ids) == 0 {
		return 0, nil
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	owned, err := uc.repo.CountOwned(ctx, recipient, ids)
	if err != nil {
		return 0, err
	}
	if owned != int64(len(ids)) {
		return 0, errNotificationNotFound()
	}
	return uc.repo.MarkRead(ctx, recipient, ids, uc.now())
}
