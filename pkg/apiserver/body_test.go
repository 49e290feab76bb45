package apiserver_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/http"
	"google.golang.org/protobuf/proto"

	filev1 "clouddrive/api/file/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

// endless is a body that never ends; it counts what the server read of it.
type endless struct{ n atomic.Int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' ' // JSON whitespace: a decoder would happily read on
	}
	e.n.Add(int64(len(p)))
	return len(p), nil
}

const (
	loginPath = "/v1/user/login" // public
	mkdirPath = "/v1/file/mkdir" // bearer
)

// newHTTP is the shared HTTP server with two transcoded routes whose
// handlers only decode their body, as generated handlers do first.
func newHTTP(t *testing.T, l apiserver.Limits) (*http.Server, *auth.Issuer) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	logger := log.NewStdLogger(io.Discard)
	hs := apiserver.NewHTTPServer("127.0.0.1:0", 0, apiserver.Config{Logger: logger,
		Auth: auth.Options{Verifier: auth.NewVerifier(pub), Logger: logger}, Limits: l})
	r := hs.Route("/")
	r.POST(loginPath, echo(userv1.OperationUserLogin, func() proto.Message { return &userv1.LoginRequest{} }))
	r.POST(mkdirPath, echo(filev1.OperationFileMkdir, func() proto.Message { return &filev1.MkdirRequest{} }))
	return hs, auth.NewIssuer(priv, time.Hour)
}

// echo is what a generated handler does (bind, then the middleware chain
// with its operation), answering the request itself.
func echo(op string, newReq func() proto.Message) func(http.Context) error {
	return func(ctx http.Context) error {
		in := newReq()
		if err := ctx.Bind(in); err != nil {
			return err
		}
		http.SetOperation(ctx, op)
		h := ctx.Middleware(func(_ context.Context, req any) (any, error) { return req, nil })
		out, err := h(ctx, in)
		if err != nil {
			return err
		}
		return ctx.Result(200, out)
	}
}

func serve(hs *http.Server, path, token string, body io.Reader) (int, string) {
	req := httptest.NewRequest(nethttp.MethodPost, path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	hs.ServeHTTP(w, req)
	var e struct{ Reason string }
	_ = json.Unmarshal(w.Body.Bytes(), &e)
	return w.Code, e.Reason
}

// An oversized body is refused with 413 after reading at most the limit:
// the server's memory does not grow with what a client sends (before, four
// 50 MB bodies to /v1/user/login took the server from 60 to 667 MiB). A body
// within the limit still passes; an operation may have its own limit.
func TestBodyLimit(t *testing.T) {
	hs, issuer := newHTTP(t, apiserver.Limits{BodyFor: map[string]int64{"/clouddrive.file.v1.File/Mkdir": 64}})
	body := &endless{}
	code, reason := serve(hs, loginPath, "", io.LimitReader(body, 50<<20))
	if code != 413 || reason != apiserver.ReasonBodyTooLarge {
		t.Fatalf("50 MB login: %d %s, want 413 %s", code, reason, apiserver.ReasonBodyTooLarge)
	}
	if n := body.n.Load(); n > apiserver.DefaultBody+64<<10 {
		t.Fatalf("the server read %d bytes of a body limited to %d", n, apiserver.DefaultBody)
	}
	if code, _ := serve(hs, loginPath, "", strings.NewReader(`{"username":"a","password":"b"}`)); code != 200 {
		t.Fatalf("a small login body: %d", code)
	}
	tok, err := issuer.Issue(auth.Caller{UserID: 1, Role: auth.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := serve(hs, mkdirPath, tok, strings.NewReader(`{"name":"photos"}`)); code != 200 {
		t.Fatalf("mkdir within its limit: %d", code)
	}
	if code, reason := serve(hs, mkdirPath, tok, strings.NewReader(`{"name":"`+strings.Repeat("x", 64)+`"}`)); code != 413 {
		t.Fatalf("mkdir over its own limit of 64 bytes: %d %s", code, reason)
	}
}

// A bearer route without a (valid) token answers 401 without reading a byte
// of the body; before, the whole body was read, then refused.
func TestBearerRouteRefusedBeforeBody(t *testing.T) {
	hs, _ := newHTTP(t, apiserver.Limits{})
	for _, token := range []string{"", "not-a-token"} {
		body := &endless{}
		code, reason := serve(hs, mkdirPath, token, io.LimitReader(body, 50<<20))
		if code != 401 || reason != "UNAUTHENTICATED" {
			t.Fatalf("token %q: %d %s, want 401 UNAUTHENTICATED", token, code, reason)
		}
		if n := body.n.Load(); n != 0 {
			t.Fatalf("token %q: the server read %d bytes before refusing", token, n)
		}
	}
}

// A connection that never finishes its headers is closed after the
// read-header timeout (before, 300 half-open connections sat forever).
func TestHalfOpenConnectionClosed(t *testing.T) {
	hs, _ := newHTTP(t, apiserver.Limits{ReadHeaderTimeout: 100 * time.Millisecond})
	u, err := hs.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Start(context.Background()) }()
	t.Cleanup(func() { _ = hs.Stop(context.Background()) })
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("POST /v1/user/login HTTP/1.1\r\nHost: drive\r\n")); err != nil {
		t.Fatal(err)
	}
	// Only so a regression fails instead of hanging: the server must close
	// the connection long before.
	_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
	_, err = io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept a connection without headers open")
	}
}
