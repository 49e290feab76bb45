package data

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/wneessen/go-mail"

	"clouddrive/app/notify/internal/biz"
	"clouddrive/app/notify/internal/conf"
)

// NewMailer is the SMTP mailer of the configuration, or nil (no email,
// notifications in-app only) when no SMTP host is set.
func NewMailer(c *conf.Mail) (biz.Mailer, error) {
	s := c.GetSmtp()
	if s.GetHost() == "" {
		return nil, nil
	}
	switch s.GetTls() {
	case "", "none", "starttls", "tls":
	default:
		return nil, fmt.Errorf("mail.smtp.tls %q: want none, starttls or tls", s.GetTls())
	}
	if s.GetFrom() == "" {
		return nil, fmt.Errorf("mail.smtp.from is required with mail.smtp.host")
	}
	return NewSMTPMailer(s), nil
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
	opts := []mail.Option{mail.WithTimeout(15 * time.Second)}
	switch s.c.GetTls() {
	case "tls":
		opts = append(opts, mail.WithSSLPort(false), mail.WithTLSConfig(&tls.Config{ServerName: s.c.GetHost(), MinVersion: tls.VersionTLS12}))
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default: // "" and "starttls": never send the password in the clear by accident
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	// Set after the TLS options, which pick a default port of their own.
	if s.c.GetPort() > 0 {
		opts = append(opts, mail.WithPort(int(s.c.GetPort())))
	}
	if s.c.GetUsername() != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(s.c.GetUsername()), mail.WithPassword(s.c.GetPassword()))
	}
	client, err := mail.NewClient(s.c.GetHost(), opts...)
	if err != nil {
		return err
	}
	return client.DialAndSendWithContext(ctx, m)
}
