package data

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"clouddrive/app/user/internal/biz"
	"clouddrive/app/user/internal/conf"
)

// sinkMail is one message an smtpSink received.
type sinkMail struct {
	from string
	rcpt []string
	data string
}

// smtpSink is the least SMTP server go-mail will talk to: no TLS, no auth;
// it keeps what it is sent.
type smtpSink struct {
	host       string
	port       int
	rejectRcpt bool // answer RCPT with 550

	mu   sync.Mutex
	mail []sinkMail
	cmds []string
}

func newSMTPSink(t *testing.T) *smtpSink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	a := l.Addr().(*net.TCPAddr)
	s := &smtpSink{host: "127.0.0.1", port: a.Port}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpSink) received() ([]sinkMail, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkMail(nil), s.mail...), append([]string(nil), s.cmds...)
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	reply := func(line string) bool {
		_, err := io.WriteString(c, line+"\r\n")
		return err == nil
	}
	if !reply("220 sink.test ESMTP test sink") {
		return
	}
	var cur sinkMail
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		s.mu.Lock()
		s.cmds = append(s.cmds, verb)
		s.mu.Unlock()
		switch verb {
		case "EHLO", "HELO":
			reply("250 sink.test")
		case "MAIL":
			cur = sinkMail{from: strings.TrimSpace(line[len("MAIL FROM:"):])}
			reply("250 OK")
		case "RCPT":
			if s.rejectRcpt {
				reply("550 5.1.1 no such user")
				continue
			}
			cur.rcpt = append(cur.rcpt, strings.TrimSpace(line[len("RCPT TO:"):]))
			reply("250 OK")
		case "DATA":
			reply("354 end data with <CR><LF>.<CR><LF>")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, ".")) // undo dot-stuffing
			}
			cur.data = b.String()
			s.mu.Lock()
			s.mail = append(s.mail, cur)
			s.mu.Unlock()
			cur = sinkMail{}
			reply("250 OK queued")
		case "RSET", "NOOP":
			reply("250 OK")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 5.5.2 command not implemented")
		}
	}
}

// decodedBody is a single-part message's body after its transfer encoding.
func decodedBody(t *testing.T, m *mail.Message) string {
	t.Helper()
	var r io.Reader = m.Body
	switch strings.ToLower(m.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	return string(b)
}

func TestSMTPSender_LocalSink(t *testing.T) {
	sink := newSMTPSink(t)
	s := NewSMTPSender(&conf.SMTP{Host: sink.host, Port: int32(sink.port), From: "clouddrive <noreply@drive.test>", Tls: "none"})
	if err := s.Send(context.Background(), biz.TargetEmail, "alice@example.com", "482913", 5*time.Minute); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got, cmds := sink.received()
	if len(got) != 1 {
		t.Fatalf("sink got %d messages (commands %v), want 1", len(got), cmds)
	}
	m := got[0]
	if !strings.Contains(m.from, "<noreply@drive.test>") {
		t.Errorf("MAIL FROM %q, want <noreply@drive.test>", m.from)
	}
	if len(m.rcpt) != 1 || !strings.HasPrefix(m.rcpt[0], "<alice@example.com>") {
		t.Errorf("RCPT TO %q, want just <alice@example.com>", m.rcpt)
	}
	msg, err := mail.ReadMessage(strings.NewReader(m.data))
	if err != nil {
		t.Fatalf("the sink got no parsable message: %v\n%s", err, m.data)
	}
	if to, err := msg.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "alice@example.com" {
		t.Errorf("To: %q (%v), want alice@example.com", msg.Header.Get("To"), err)
	}
	if from, err := mail.ParseAddress(msg.Header.Get("From")); err != nil || from.Address != "noreply@drive.test" {
		t.Errorf("From: %q (%v), want noreply@drive.test", msg.Header.Get("From"), err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || !strings.Contains(subject, "482913") {
		t.Errorf("Subject %q (%v) lacks the code", subject, err)
	}
	if ct := msg.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want text/plain", ct)
	}
	body := decodedBody(t, msg)
	if !strings.Contains(body, "482913") || !strings.Contains(body, "5 minutes") || !strings.Contains(body, "5 分钟") {
		t.Errorf("body lacks the code or its validity:\n%s", body)
	}

	t.Run("a refused recipient is an error", func(t *testing.T) {
		sink := newSMTPSink(t)
		sink.rejectRcpt = true
		s := NewSMTPSender(&conf.SMTP{Host: sink.host, Port: int32(sink.port), From: "noreply@drive.test", Tls: "none"})
		if err := s.Send(context.Background(), biz.TargetEmail, "nobody@example.com", "111111", time.Minute); err == nil {
			t.Fatal("Send succeeded though the server refused the recipient")
		}
		if got, _ := sink.received(); len(got) != 0 {
			t.Errorf("a message was delivered anyway: %+v", got)
		}
	})

	t.Run("no server is an error", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		s := NewSMTPSender(&conf.SMTP{Host: "127.0.0.1", Port: int32(port), From: "noreply@drive.test", Tls: "none"})
		if err := s.Send(context.Background(), biz.TargetEmail, "alice@example.com", "111111", time.Minute); err == nil {
			t.Fatal("Send succeeded with nothing listening")
		}
	})
}

// fakeTencentSMS answers the TC3 JSON API of SendSms like
// sms.tencentcloudapi.com does, and keeps what it was asked.
type fakeTencentSMS struct {
	srv *httptest.Server

	mu     sync.Mutex
	answer string
	bodies []map[string]any
	hdrs   []http.Header
	paths  []string
}

func newFakeTencentSMS(t *testing.T) *fakeTencentSMS {
	f := &fakeTencentSMS{}
	// The SDK speaks https://<endpoint>/ only, so the fake is a TLS server
	// and the sender's SDK client is given the fake's transport.
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.bodies = append(f.bodies, body)
		f.hdrs = append(f.hdrs, r.Header.Clone())
		f.paths = append(f.paths, r.Method+" "+r.URL.Path)
		answer := f.answer
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTencentSMS) answerWith(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = s
}

func (f *fakeTencentSMS) last(t *testing.T) (map[string]any, http.Header, string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bodies) == 0 {
		t.Fatal("the fake Tencent API got no request")
	}
	n := len(f.bodies) - 1
	return f.bodies[n], f.hdrs[n], f.paths[n]
}

// pointAt makes s talk to the fake: conf.SMS.endpoint names its host:port,
// its TLS client's transport trusts its certificate.
func (f *fakeTencentSMS) pointAt(s *SMSSender) { s.client.WithHttpTransport(f.srv.Client().Transport) }

func (f *fakeTencentSMS) conf() *conf.SMS {
	return &conf.SMS{SecretId: "AKIDfakefakefake", SecretKey: "fake-secret-key", SdkAppId: "1400000001",
		SignName: "clouddrive", TemplateId: "2000001", Endpoint: strings.TrimPrefix(f.srv.URL, "https://")}
}

func sendStatus(code, msg string) string {
	return `{"Response":{"SendStatusSet":[{"SerialNo":"2028:0","PhoneNumber":"+8613800138000","Fee":1,` +
		`"SessionContext":"","Code":` + strconv.Quote(code) + `,"Message":` + strconv.Quote(msg) +
		`,"IsoCode":"CN"}],"RequestId":"a0aabda6-cf91-4f3e-a81f-9198114a2279"}}`
}

func TestSMSSender_FakeTencentAPI(t *testing.T) {
	fake := newFakeTencentSMS(t)
	s, err := NewSMSSender(fake.conf())
	if err != nil {
		t.Fatalf("NewSMSSender: %v", err)
	}
	fake.pointAt(s)
	ctx := context.Background()

	fake.answerWith(sendStatus("Ok", "send success"))
	if err := s.Send(ctx, biz.TargetPhone, "+8613800138000", "271828", 5*time.Minute); err != nil {
		t.Fatalf("Send: %v", err)
	}
	body, hdr, path := fake.last(t)
	if path != "POST /" {
		t.Errorf("request %q, want POST /", path)
	}
	if got := hdr.Get("X-TC-Action"); got != "SendSms" {
		t.Errorf("X-TC-Action %q, want SendSms", got)
	}
	if got := hdr.Get("X-TC-Version"); got != "2021-01-11" {
		t.Errorf("X-TC-Version %q, want 2021-01-11", got)
	}
	if got := hdr.Get("X-TC-Region"); got != "ap-guangzhou" {
		t.Errorf("X-TC-Region %q, want the default ap-guangzhou", got)
	}
	if got := hdr.Get("Authorization"); !strings.HasPrefix(got, "TC3-HMAC-SHA256 Credential=AKIDfakefakefake/") {
		t.Errorf("Authorization %q is not a TC3 signature by the configured SecretId", got)
	}
	want := map[string]any{
		"PhoneNumberSet":   []any{"+8613800138000"},
		"TemplateParamSet": []any{"271828", "5"},
		"SmsSdkAppId":      "1400000001",
		"SignName":         "clouddrive",
		"TemplateId":       "2000001",
	}
	for k, v := range want {
		g, _ := json.Marshal(body[k])
		w, _ := json.Marshal(v)
		if string(g) != string(w) {
			t.Errorf("request %s = %s, want %s", k, g, w)
		}
	}
	if strings.Contains(hdr.Get("Authorization"), "fake-secret-key") {
		t.Errorf("the SecretKey itself went over the wire")
	}

	refusals := []struct{ name, answer string }{
		{"LimitExceeded", sendStatus("LimitExceeded.PhoneNumberDailyLimit",
			"the number of SMS messages sent from a single mobile number every day exceeds the upper limit")},
		{"bare LimitExceeded", sendStatus("LimitExceeded", "limit exceeded")},
		{"API error", `{"Response":{"Error":{"Code":"AuthFailure.SecretIdNotFound","Message":"The SecretId is not found"},"RequestId":"b1"}}`},
		{"no status", `{"Response":{"SendStatusSet":[],"RequestId":"c1"}}`},
	}
	for _, r := range refusals {
		fake.answerWith(r.answer)
		if err := s.Send(ctx, biz.TargetPhone, "+8613800138000", "314159", 5*time.Minute); err == nil {
			t.Errorf("%s: Send returned nil, want an error", r.name)
		}
	}
}

func TestCodeSender_RoutesByKind(t *testing.T) {
	sink := newSMTPSink(t)
	fake := newFakeTencentSMS(t)
	fake.answerWith(sendStatus("Ok", "send success"))
	cs, err := NewCodeSender(&conf.Code{Sender: "smtp",
		Smtp: &conf.SMTP{Host: sink.host, Port: int32(sink.port), From: "noreply@drive.test", Tls: "none"},
		Sms:  fake.conf()}, log.DefaultLogger)
	if err != nil {
		t.Fatalf("NewCodeSender: %v", err)
	}
	r, ok := cs.(*routeSender)
	if !ok {
		t.Fatalf("NewCodeSender(smtp) = %T, want *routeSender", cs)
	}
	fake.pointAt(r.phone.(*SMSSender))
	ctx := context.Background()
	if err := cs.Send(ctx, biz.TargetEmail, "alice@example.com", "123123", time.Minute); err != nil {
		t.Fatalf("email: %v", err)
	}
	if err := cs.Send(ctx, biz.TargetPhone, "+8613800138000", "456456", time.Minute); err != nil {
		t.Fatalf("phone: %v", err)
	}
	if got, _ := sink.received(); len(got) != 1 || !strings.Contains(got[0].data, "123123") {
		t.Errorf("the email code did not go by mail: %+v", got)
	}
	if body, _, _ := fake.last(t); body["TemplateParamSet"].([]any)[0] != "456456" {
		t.Errorf("the phone code did not go by SMS: %v", body)
	}

	// Without SMS configured a phone number has no channel.
	cs, err = NewCodeSender(&conf.Code{Sender: "smtp",
		Smtp: &conf.SMTP{Host: sink.host, Port: int32(sink.port), From: "noreply@drive.test", Tls: "none"}}, log.DefaultLogger)
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.Send(ctx, biz.TargetPhone, "+8613800138000", "789789", time.Minute); err == nil {
		t.Error("a phone code was accepted with no SMS sender configured")
	}
	if _, err := NewCodeSender(&conf.Code{Sender: "pigeon"}, log.DefaultLogger); err == nil {
		t.Error("an unknown sender name was accepted")
	}
}

func TestFileSender(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "codes.log") // the folder does not exist yet
	s := NewFileSender(path)
	ctx := context.Background()
	if err := s.Send(ctx, biz.TargetEmail, "alice@example.com", "123456", 5*time.Minute); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := s.Send(ctx, biz.TargetPhone, "+8613800138000", "654321", time.Minute); err != nil {
		t.Fatalf("Send: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("codes file mode %v, want 0600: it holds live sign-in codes", fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("codes file has %d lines, want 2 (appended):\n%s", len(lines), b)
	}
	for i, want := range [][]string{
		{"to=alice@example.com", "code=123456", "valid=5m0s"},
		{"to=+8613800138000", "code=654321", "valid=1m0s"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i+1, lines[i], w)
			}
		}
		if _, err := time.Parse(time.RFC3339, strings.Fields(lines[i])[0]); err != nil {
			t.Errorf("line %d does not start with an RFC 3339 time: %q", i+1, lines[i])
		}
	}

	// A new sender on the same file appends; it never truncates.
	if err := NewFileSender(path).Send(ctx, biz.TargetEmail, "bob@example.com", "999999", time.Minute); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	if n := strings.Count(string(b), "\n"); n != 3 || !strings.HasPrefix(string(b), lines[0]) {
		t.Errorf("after a third send the file is:\n%s", b)
	}

	// Concurrent sends each write one whole line.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Send(ctx, biz.TargetEmail, "c@example.com", strconv.Itoa(100000+i), time.Minute)
		}()
	}
	wg.Wait()
	b, _ = os.ReadFile(path)
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if strings.Count(l, "code=") != 1 {
			t.Errorf("torn line %q", l)
		}
	}
}
