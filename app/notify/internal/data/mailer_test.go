package data

import (
	"testing"

	"clouddrive/app/notify/internal/conf"
)

func TestNewMailerFollowsTheConfiguration(t *testing.T) {
	m, err := NewMailer(&conf.Mail{})
	if err != nil || m != nil {
		t.Fatalf("no SMTP host: %v, %v; want no mailer (in-app only)", m, err)
	}
	m, err = NewMailer(&conf.Mail{Smtp: &conf.SMTP{Host: "smtp.test", From: "noreply@drive.test", Tls: "starttls"}})
	if err != nil || m == nil {
		t.Fatalf("SMTP configured: %v, %v", m, err)
	}
	for _, bad := range []*conf.SMTP{
		{Host: "smtp.test", From: "noreply@drive.test", Tls: "ssl3"},
		{Host: "smtp.test"},
	} {
		if _, err := NewMailer(&conf.Mail{Smtp: bad}); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
