package notify

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"gorm.io/gorm"

	commonv1 "clouddrive/api/common/v1"
	eventsv1 "clouddrive/api/events/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/app/notify/internal/conf"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/database"
	"clouddrive/pkg/events"
)

// The users of the tests.
const (
	alice int64 = 101 // email on
	bob   int64 = 202 // no email address
	carol int64 = 303 // saves alice's shares
	dave  int64 = 404 // disabled
)

const internalSecret = "test-internal-secret"

// userInternalFake stands in for the user service's internal API (being
// built elsewhere): it answers GetUser from a map, checks the internal
// secret, and can be taken down.
type userInternalFake struct {
	mu    sync.Mutex
	users map[int64]*userv1.UserInfo
	down  bool
	calls int
}

func newUserInternalFake() *userInternalFake {
	f := &userInternalFake{users: map[int64]*userv1.UserInfo{}}
	f.set(&userv1.UserInfo{Id: "101", Username: "alice", Nickname: "Alice", Email: "alice@example.com", EmailNotifications: true})
	f.set(&userv1.UserInfo{Id: "202", Username: "bob", Nickname: "Bob", EmailNotifications: true})
	f.set(&userv1.UserInfo{Id: "303", Username: "carol", Nickname: "Carol", Email: "carol@example.com"})
	f.set(&userv1.UserInfo{Id: "404", Username: "dave", Nickname: "Dave", Email: "dave@example.com", EmailNotifications: true, Disabled: true})
	return f
}

func (f *userInternalFake) set(u *userv1.UserInfo) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, _ := strconv.ParseInt(u.GetId(), 10, 64)
	f.users[id] = u
}

func (f *userInternalFake) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *userInternalFake) GetUser(ctx context.Context, in *userv1.GetUserRequest, _ ...grpc.CallOption) (*userv1.UserInfo, error) {
	md, _ := metadata.FromOutgoingContext(ctx)
	if got := md.Get(auth.InternalHeader); len(got) != 1 || got[0] != internalSecret {
		return nil, commonv1.ErrorForbidden("internal operation")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down {
		return nil, status.Error(codes.Unavailable, "user service down")
	}
	id, _ := strconv.ParseInt(in.GetUserId(), 10, 64)
	u, ok := f.users[id]
	if !ok {
		return nil, userv1.ErrorUserNotFound("no such user")
	}
	return proto.Clone(u).(*userv1.UserInfo), nil
}

func (f *userInternalFake) LookupUser(context.Context, *userv1.LookupUserRequest, ...grpc.CallOption) (*userv1.UserInfo, error) {
	return nil, status.Error(codes.Unimplemented, "not in this fake")
}

func (f *userInternalFake) AppPasswordToken(context.Context, *userv1.AppPasswordTokenRequest, ...grpc.CallOption) (*userv1.AppPasswordTokenReply, error) {
	return nil, status.Error(codes.Unimplemented, "not in this fake")
}

// syncBuffer collects the service log, shown when a test fails.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is the real notify module on SQLite behind an httptest server,
// with the user service faked and, when asked, an SMTP sink.
type harness struct {
	t      *testing.T
	m      *Module
	base   string
	users  *userInternalFake
	sink   *smtpSink
	db     *gorm.DB
	issuer *auth.Issuer
	logger log.Logger
}

type harnessOptions struct {
	smtp         bool
	retryBackoff time.Duration
}

func newHarness(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	c, err := LoadConfig("")
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	dbPath := filepath.Join(t.TempDir(), "notify.db")
	c.Data.Database.Driver = "sqlite"
	c.Data.Database.Source = dbPath
	c.Data.Redis.Addr = ""
	c.Auth.InternalSecret = internalSecret
	h := &harness{t: t, users: newUserInternalFake()}
	if o.smtp {
		h.sink = newSMTPSink(t)
		c.Mail.Smtp = &conf.SMTP{Host: h.sink.host, Port: int32(h.sink.port), From: "clouddrive <noreply@drive.test>", Tls: "none"}
		c.Mail.SiteUrl = "https://drive.test"
	}
	if o.retryBackoff > 0 {
		c.Mail.RetryBackoff = durationpb.New(o.retryBackoff)
	}
	logs := &syncBuffer{}
	h.logger = log.NewStdLogger(logs)
	m, cleanup, err := New(c, h.users, h.logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(cleanup)
	h.m = m
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("notify service log:\n%s", logs.String())
		}
	})

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h.issuer = auth.NewIssuer(priv, time.Hour)
	hs := apiserver.NewHTTPServer("", 0, apiserver.Config{Logger: h.logger,
		Auth: auth.Options{Verifier: auth.NewVerifier(pub), Logger: h.logger}})
	m.RegisterHTTP(hs)
	srv := httptest.NewServer(hs)
	t.Cleanup(srv.Close)
	h.base = srv.URL

	h.db, err = database.Open(database.Config{Driver: "sqlite", Source: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := h.db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return h
}

// startMailWorker runs the module's background servers until the test ends.
func (h *harness) startMailWorker() {
	for _, s := range h.m.Servers() {
		go func() { _ = s.Start(context.Background()) }()
		h.t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = s.Stop(ctx)
		})
	}
}

func (h *harness) token(uid int64) string {
	h.t.Helper()
	tok, err := h.issuer.Issue(auth.Caller{UserID: uid, Role: auth.RoleUser})
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// call does a JSON API call as uid (0: anonymous) and returns the status
// and body.
func (h *harness) call(method, path string, uid int64, body any, header ...string) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if uid != 0 {
		req.Header.Set("Authorization", "Bearer "+h.token(uid))
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

type apiNotification struct {
	ID        string            `json:"id"`
	Kind      string            `json:"kind"`
	Title     string            `json:"title"`
	Body      string            `json:"body"`
	Data      map[string]string `json:"data"`
	Read      bool              `json:"read"`
	CreatedAt string            `json:"created_at"`
}

type listReply struct {
	Items         []apiNotification `json:"items"`
	NextPageToken string            `json:"next_page_token"`
}

type apiError struct {
	Code    int    `json:"code"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func (h *harness) wantError(what string, status int, body []byte, wantStatus int, wantReason string) apiError {
	h.t.Helper()
	e := decode[apiError](h.t, body)
	if status != wantStatus || e.Reason != wantReason {
		h.t.Fatalf("%s: got %d %s, want %d %s (body %s)", what, status, e.Reason, wantStatus, wantReason, body)
	}
	return e
}

// listAll pages through uid's notifications (newest first).
func (h *harness) listAll(uid int64, query string) []apiNotification {
	h.t.Helper()
	var out []apiNotification
	token := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			h.t.Fatal("the listing never ends")
		}
		st, body := h.call(http.MethodGet, "/v1/notify/list?page_size=7&page_token="+token+query, uid, nil)
		if st != http.StatusOK {
			h.t.Fatalf("list: %d %s", st, body)
		}
		r := decode[listReply](h.t, body)
		out = append(out, r.Items...)
		if r.NextPageToken == "" {
			return out
		}
		token = r.NextPageToken
	}
}

func (h *harness) unread(uid int64) int64 {
	h.t.Helper()
	st, body := h.call(http.MethodGet, "/v1/notify/unread_count", uid, nil)
	if st != http.StatusOK {
		h.t.Fatalf("unread_count: %d %s", st, body)
	}
	// int64 is a JSON string in protojson.
	r := decode[struct {
		Count json.Number `json:"count"`
	}](h.t, body)
	n, err := r.Count.Int64()
	if err != nil {
		h.t.Fatalf("count %q: %v", r.Count, err)
	}
	return n
}

// rows counts notifications rows matching where.
func (h *harness) rows(where string, args ...any) int64 {
	h.t.Helper()
	var n int64
	q := h.db.Table("notifications")
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		h.t.Fatal(err)
	}
	return n
}

// Events as the file and share services publish them.

func shareSaved(id string, owner, actor int64, token, name string) events.Message {
	return msg(events.TopicShare, id, owner, &eventsv1.ShareEvent{EventId: id, Type: eventsv1.ShareEvent_SAVED,
		ShareToken: token, OwnerId: owner, ActorId: actor, ActorNickname: nick(actor), Name: name,
		OccurredAt: time.Now().UnixMilli()})
}

func shareCreated(id string, owner, recipient int64, token, name string) events.Message {
	return msg(events.TopicShare, id, owner, &eventsv1.ShareEvent{EventId: id, Type: eventsv1.ShareEvent_CREATED,
		ShareToken: token, OwnerId: owner, RecipientId: recipient, OwnerNickname: nick(owner), Name: name,
		OccurredAt: time.Now().UnixMilli()})
}

func shareRevoked(id string, owner int64, token string) events.Message {
	return msg(events.TopicShare, id, owner, &eventsv1.ShareEvent{EventId: id, Type: eventsv1.ShareEvent_REVOKED,
		ShareToken: token, OwnerId: owner})
}

func quotaWarning(id string, owner, used, limit int64) events.Message {
	return msg(events.TopicFile, id, owner, &eventsv1.FileEvent{EventId: id, Type: eventsv1.FileEvent_QUOTA_WARNING,
		OwnerId: owner, UsedBytes: used, LimitBytes: limit, OccurredAt: time.Now().UnixMilli()})
}

func fileCreated(id string, owner int64, name string) events.Message {
	return msg(events.TopicFile, id, owner, &eventsv1.FileEvent{EventId: id, Type: eventsv1.FileEvent_CREATED,
		OwnerId: owner, NodeId: 1, Name: name, Kind: "file", Size: 10})
}

func msg(topic, id string, owner int64, p proto.Message) events.Message {
	b, err := proto.Marshal(p)
	if err != nil {
		panic(err)
	}
	return events.Message{ID: id, Topic: topic, Key: strconv.FormatInt(owner, 10), Payload: b}
}

func nick(uid int64) string {
	return map[int64]string{alice: "Alice", bob: "Bob", carol: "Carol", dave: "Dave"}[uid]
}

// sinkMail is one message an smtpSink received.
type sinkMail struct {
	from string
	rcpt []string
	data string
}

// smtpSink is the least SMTP server go-mail will talk to: no TLS, no auth;
// it keeps what it is sent, or refuses mail while failing.
type smtpSink struct {
	host string
	port int

	mu      sync.Mutex
	failing bool
	mail    []sinkMail
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

func (s *smtpSink) setFailing(f bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = f
}

func (s *smtpSink) received() []sinkMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkMail(nil), s.mail...)
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	reply := func(line string) { _, _ = io.WriteString(c, line+"\r\n") }
	reply("220 sink.test ESMTP test sink")
	var cur sinkMail
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		switch verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0]); verb {
		case "EHLO", "HELO":
			reply("250 sink.test")
		case "MAIL":
			s.mu.Lock()
			failing := s.failing
			s.mu.Unlock()
			if failing {
				reply("451 4.3.0 try again later")
				continue
			}
			cur = sinkMail{from: strings.TrimSpace(line[len("MAIL FROM:"):])}
			reply("250 OK")
		case "RCPT":
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

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func quiet() log.Logger { return log.NewStdLogger(io.Discard) }
