package data

import (
	"context"
	"fmt"

	"github.com/wneessen/go-mail"

	"clouddrive/app/notify/internal/biz"
	"clouddrive/app/notify/internal/conf"
	"clouddrive/pkg/smtp"
)

// NewMailer is the SMTP mailer of the configuration, or nil (no email,
// notifications in-app only) when no SMTP host is set.
func NewMailer(c *conf.Mail) (biz.Mailer, error) {
	s := c.GetSmtp()
	if s.GetHost() == "" {
		return nil, nil
	}
	if err := smtpConfig(s).Check(); err != nil {
		return nil, fmt.Errorf("mail.smtp: %w", err)
	}
	if s.GetFrom() == "" {
		return nil, fmt.Errorf("mail.smtp.from is required with mail.smtp.host")
	}
	return NewSMTPMailer(s), nil
}

func smtpConfig(c *conf.SMTP) smtp.Config {
	return smtp.Config{Host: c.GetHost(), Port: int(c.GetPort()), Username: c.GetUsername(), Password: c.GetPassword(), TLS: c.GetTls()}
}

// SMTPMailer sends plain-text email with go-mail, one connection a message.
type SMTPMailer struct{ c *conf.SMTP }

var _ biz.Mailer = (*SMTPMailer)(nil)

// NewSMTPMailer returns a mailer for the SMTP server in c.
func NewSMTPMailer(c *conf.SMTP) *SMTPMailer { return &SMTPMailer{c: c} }

// Send implements biz.Mailer.
func (s *SMTPMailer) Send(ctx context.Context, e *biz.Email) error {
	m := mail.NewMsg()
	if err := m.From(s.c.GetFrom()); err != nil {
		return err
	}
	if err := m.AddToFormat(e.ToName, e.To); err != nil {
		return err
	}
	m.Subject(e.Subject)
	m.SetBodyString(mail.TypeTextPlain, e.Text)
	client, err := smtpConfig(s.c).Client()
	if err != nil {
		return err
	}
	return client.DialAndSendWithContext(ctx, m)
}
