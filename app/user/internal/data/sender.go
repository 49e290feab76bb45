package data

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	sms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sms/v20210111"
	"github.com/wneessen/go-mail"

	"clouddrive/app/user/internal/biz"
	"clouddrive/app/user/internal/conf"
	"clouddrive/pkg/smtp"
)

// NewCodeSender picks the sender the configuration names. Emails go through
// SMTP when it is configured; phone numbers through SMS when it is.
func NewCodeSender(c *conf.Code, logger log.Logger) (biz.CodeSender, error) {
	switch c.GetSender() {
	case "", "log":
		return NewFileSender(c.GetLogFile()), nil
	case "smtp", "sms":
		r := &routeSender{}
		if c.GetSmtp().GetHost() != "" {
			if err := smtpConfig(c.GetSmtp()).Check(); err != nil {
				return nil, fmt.Errorf("code.smtp: %w", err)
			}
			r.email = NewSMTPSender(c.GetSmtp())
		}
		if c.GetSms().GetSecretId() != "" {
			s, err := NewSMSSender(c.GetSms())
			if err != nil {
				return nil, err
			}
			r.phone = s
		}
		return r, nil
	}
	return nil, fmt.Errorf("code sender %q: want log, smtp or sms", c.GetSender())
}

// routeSender sends emails and text messages through their own channel.
type routeSender struct{ email, phone biz.CodeSender }

func (r *routeSender) Send(ctx context.Context, kind biz.TargetKind, target, code string, ttl time.Duration) error {
	s := r.email
	if kind == biz.TargetPhone {
		s = r.phone
	}
	if s == nil {
		return fmt.Errorf("no sender configured for this kind of target")
	}
	return s.Send(ctx, kind, target, code, ttl)
}

// FileSender is the "log sender" of one machine: it appends each code to a
// file of its own (data/codes.log), never to the service log, which must not
// hold secrets. A developer reads the code there as if it came by mail.
type FileSender struct {
	mu   sync.Mutex
	path string
}

// NewFileSender appends to path.
func NewFileSender(path string) *FileSender { return &FileSender{path: path} }

// Send implements biz.CodeSender.
func (s *FileSender) Send(_ context.Context, _ biz.TargetKind, target, code string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "%s to=%s code=%s valid=%s\n", time.Now().UTC().Format(time.RFC3339), target, code, ttl)
	return err
}

func smtpConfig(c *conf.SMTP) smtp.Config {
	return smtp.Config{Host: c.GetHost(), Port: int(c.GetPort()), Username: c.GetUsername(), Password: c.GetPassword(), TLS: c.GetTls()}
}

// SMTPSender mails codes with go-mail.
type SMTPSender struct{ c *conf.SMTP }

// NewSMTPSender returns a sender for the SMTP server in c.
func NewSMTPSender(c *conf.SMTP) *SMTPSender { return &SMTPSender{c: c} }

// Send implements biz.CodeSender.
func (s *SMTPSender) Send(ctx context.Context, _ biz.TargetKind, target, code string, ttl time.Duration) error {
	m := mail.NewMsg()
	if err := m.From(s.c.GetFrom()); err != nil {
		return err
	}
	if err := m.To(target); err != nil {
		return err
	}
	m.Subject(fmt.Sprintf("clouddrive sign-in code / 登录验证码 %s", code))
	m.SetBodyString(mail.TypeTextPlain, fmt.Sprintf(
		"Your clouddrive sign-in code is %s. It is valid for %d minutes.\n您的 clouddrive 登录验证码是 %s，%d 分钟内有效。\n",
		code, int(ttl.Minutes()), code, int(ttl.Minutes())))
	client, err := smtpConfig(s.c).Client()
	if err != nil {
		return err
	}
	return client.DialAndSendWithContext(ctx, m)
}

// SMSSender sends codes as Tencent Cloud text messages.
type SMSSender struct {
	c      *conf.SMS
	client *sms.Client
}

// NewSMSSender returns a sender for the account in c.
func NewSMSSender(c *conf.SMS) (*SMSSender, error) {
	p := profile.NewClientProfile()
	if c.GetEndpoint() != "" {
		p.HttpProfile.Endpoint = c.GetEndpoint()
	}
	region := c.GetRegion()
	if region == "" {
		region = "ap-guangzhou"
	}
	client, err := sms.NewClient(common.NewCredential(c.GetSecretId(), c.GetSecretKey()), region, p)
	if err != nil {
		return nil, err
	}
	return &SMSSender{c: c, client: client}, nil
}

// Send implements biz.CodeSender.
func (s *SMSSender) Send(ctx context.Context, _ biz.TargetKind, target, code string, ttl time.Duration) error {
	req := sms.NewSendSmsRequest()
	req.SmsSdkAppId = common.StringPtr(s.c.GetSdkAppId())
	req.SignName = common.StringPtr(s.c.GetSignName())
	req.TemplateId = common.StringPtr(s.c.GetTemplateId())
	req.TemplateParamSet = common.StringPtrs([]string{code, fmt.Sprint(int(ttl.Minutes()))})
	req.PhoneNumberSet = common.StringPtrs([]string{target})
	resp, err := s.client.SendSmsWithContext(ctx, req)
	if err != nil {
		return err
	}
	if resp.Response == nil || len(resp.Response.SendStatusSet) == 0 {
		return fmt.Errorf("sms: empty response")
	}
	if st := resp.Response.SendStatusSet[0]; st.Code == nil || *st.Code != "Ok" {
		code, msg := "", ""
		if st.Code != nil {
			code = *st.Code
		}
		if st.Message != nil {
			msg = *st.Message
		}
		return fmt.Errorf("sms: not sent: %s: %s", code, msg)
	}
	return nil
}
