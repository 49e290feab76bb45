// Package smtp builds the go-mail client every service that sends mail uses
// (sign-in codes, notifications), with one rule for TLS: mandatory STARTTLS
// unless the configuration says "tls" (implicit) or "none".
package smtp

import (
	"crypto/tls"
	"fmt"
	"time"

	"github.com/wneessen/go-mail"
)

// Config is an SMTP server and its account.
type Config struct {
	Host     string
	Port     int // 0: go-mail's default for the TLS mode
	Username string
	Password string
	// "none", "starttls" (the default) or "tls".
	TLS string
}

// Check refuses a TLS mode it does not know, so a typo never sends mail in
// the clear.
func (c Config) Check() error {
	switch c.TLS {
	case "", "none", "starttls", "tls":
		return nil
	}
	return fmt.Errorf("smtp tls %q: want none, starttls or tls", c.TLS)
}

// Client returns a client for c.
func (c Config) Client() (*mail.Client, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	opts := []mail.Option{mail.WithTimeout(15 * time.Second)}
	switch c.TLS {
	case "tls":
		opts = append(opts, mail.WithSSLPort(false), mail.WithTLSConfig(&tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12}))
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	// After the TLS options, which pick a default port of their own.
	if c.Port > 0 {
		opts = append(opts, mail.WithPort(c.Port))
	}
	if c.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(c.Username), mail.WithPassword(c.Password))
	}
	return mail.NewClient(c.Host, opts...)
}
