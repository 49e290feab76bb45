package biz

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"
)

// Email is one message to send.
type Email struct {
	To      string
	ToName  string
	Subject string
	Text    string
}

// Mailer sends email (SMTP in production).
type Mailer interface {
	Send(ctx context.Context, e *Email) error
}

// MailRepo is the queue of emails to send: the notifications whose mail is
// pending. Claiming is safe between several instances of the service.
type MailRepo interface {
	// ClaimMail takes up to limit pending notifications due at now, counts
	// an attempt on each, and hides them from other claims until `until`.
	ClaimMail(ctx context.Context, now, until time.Time, limit int) ([]*Notification, error)
	// FinishMail records the outcome of an attempt: MailSent, MailFailed,
	// MailSkipped, or MailPending again at retryAt.
	FinishMail(ctx context.Context, id int64, state MailState, retryAt time.Time) error
}

// MailPolicy is how emails are sent and retried.
type MailPolicy struct {
	// MaxAttempts per email (5).
	MaxAttempts int
	// RetryBackoff is the wait before the first retry, doubled after each
	// failure up to an hour (1m).
	RetryBackoff time.Duration
	// Lease is how long a claimed email is hidden from other senders (2m).
	Lease time.Duration
	// SiteURL is linked from every email when set.
	SiteURL string
	// Batch is how many emails one run claims (50).
	Batch int
}

func (p *MailPolicy) defaults() MailPolicy {
	out := MailPolicy{}
	if p != nil {
		out = *p
	}
	if out.MaxAttempts <= 0 {
		out.MaxAttempts = 5
	}
	if out.RetryBackoff <= 0 {
		out.RetryBackoff = time.Minute
	}
	if out.Lease <= 0 {
		out.Lease = 2 * time.Minute
	}
	if out.Batch <= 0 {
		out.Batch = 50
	}
	return out
}

// MailUsecase sends the emails of new notifications, after they are stored,
// retrying failures with backoff. A failure is logged and never touches the
// in-app notification.
type MailUsecase struct {
	repo   MailRepo
	users  UserService
	mailer Mailer
	policy MailPolicy
	now    Clock
	log    *log.Helper
	wake   chan struct{}
}

// NewMailUsecase builds the use case; a nil mailer (no SMTP configured)
// sends nothing and notifications stay in-app.
func NewMailUsecase(repo MailRepo, users UserService, mailer Mailer, p *MailPolicy, now Clock, logger log.Logger) *MailUsecase {
	return &MailUsecase{repo: repo, users: users, mailer: mailer, policy: p.defaults(), now: now,
		log: log.NewHelper(log.With(logger, "module", "biz/mail")), wake: make(chan struct{}, 1)}
}

// Enabled reports whether email is sent at all.
func (uc *MailUsecase) Enabled() bool { return uc != nil && uc.mailer != nil }

// Kick asks the sender to run now (a new email is pending).
func (uc *MailUsecase) Kick() {
	select {
	case uc.wake <- struct{}{}:
	default:
	}
}

// Woken is signalled by Kick.
func (uc *MailUsecase) Woken() <-chan struct{} { return uc.wake }

// SendDue sends the emails that are due and returns how many it tried. It
// stops early only when the queue cannot be read.
func (uc *MailUsecase) SendDue(ctx context.Context) (int, error) {
	if !uc.Enabled() {
		return 0, nil
	}
	now := uc.now()
	ns, err := uc.repo.ClaimMail(ctx, now, now.Add(uc.policy.Lease), uc.policy.Batch)
	if err != nil {
		return 0, err
	}
	for _, n := range ns {
		uc.deliver(ctx, n)
	}
	return len(ns), nil
}

func (uc *MailUsecase) deliver(ctx context.Context, n *Notification) {
	u, err := uc.users.GetUser(ctx, n.Recipient)
	switch {
	case errors.Is(err, ErrUserNotFound):
		uc.finish(ctx, n, MailSkipped, time.Time{})
		return
	case err != nil:
		uc.retry(ctx, n, err)
		return
	case !u.WantsEmail():
		// Asked again when due: the user may have been disabled or have
		// turned email off since.
		uc.finish(ctx, n, MailSkipped, time.Time{})
		return
	}
	if err := uc.mailer.Send(ctx, uc.compose(u, n)); err != nil {
		uc.retry(ctx, n, err)
		return
	}
	uc.finish(ctx, n, MailSent, time.Time{})
}

func (uc *MailUsecase) retry(ctx context.Context, n *Notification, cause error) {
	if n.MailAttempts >= uc.policy.MaxAttempts {
		uc.log.WithContext(ctx).Errorw("msg", "email given up", "notification", n.ID, "user", n.Recipient,
			"attempts", n.MailAttempts, "err", cause)
		uc.finish(ctx, n, MailFailed, time.Time{})
		return
	}
	wait := uc.policy.RetryBackoff
	for i := 1; i < n.MailAttempts && wait < time.Hour; i++ {
		wait *= 2
	}
	wait = min(wait, time.Hour)
	uc.log.WithContext(ctx).Warnw("msg", "email failed; will retry", "notification", n.ID, "user", n.Recipient,
		"attempts", n.MailAttempts, "retry_in", wait.String(), "err", cause)
	uc.finish(ctx, n, MailPending, uc.now().Add(wait))
}

func (uc *MailUsecase) finish(ctx context.Context, n *Notification, s MailState, retryAt time.Time) {
	if err := uc.repo.FinishMail(ctx, n.ID, s, retryAt); err != nil {
		// The claim expires and the email is tried again: at least once.
		uc.log.WithContext(ctx).Errorw("msg", "recording an email's outcome failed", "notification", n.ID, "err", err)
	}
}

// compose writes the email of n in English and Chinese: the user service
// keeps no language preference, and both fit in one short message.
func (uc *MailUsecase) compose(u *User, n *Notification) *Email {
	en, zh := Render(n.Kind, n.Data, English), Render(n.Kind, n.Data, Chinese)
	var b strings.Builder
	name := u.Nickname
	if name == "" {
		b.WriteString("Hello,\n\n")
	} else {
		b.WriteString("Hi " + name + ",\n\n")
	}
	b.WriteString(en.Title + "\n" + en.Body + "\n\n")
	if name == "" {
		b.WriteString("你好！\n\n")
	} else {
		b.WriteString(name + "，你好！\n\n")
	}
	b.WriteString(zh.Title + "\n" + zh.Body + "\n")
	if uc.policy.SiteURL != "" {
		b.WriteString("\n" + strings.TrimRight(uc.policy.SiteURL, "/") + "/\n")
	}
	b.WriteString("\n--\nYou get this email because email notifications are on in your clouddrive settings.\n" +
		"你收到这封邮件，是因为你在 clouddrive 设置中开启了邮件通知。\n")
	return &Email{To: u.Email, ToName: u.Nickname, Subject: oneLine(en.Title + " / " + zh.Title), Text: b.String()}
}
