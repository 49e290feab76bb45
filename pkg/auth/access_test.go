package auth

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"

	_ "clouddrive/api/user/v1" // registers the user service's annotated RPCs
)

func TestAccessOf(t *testing.T) {
	tests := []struct {
		op   string
		want Access
	}{
		{"/clouddrive.user.v1.User/Login", Public},
		{"/clouddrive.user.v1.User/Register", Public},
		{"/clouddrive.user.v1.User/Me", Bearer},           // no annotation
		{"/clouddrive.user.v1.Admin/DisableUser", Admin},  // annotated admin
		{"/clouddrive.user.v1.User/NoSuchMethod", Bearer}, // unknown: the safe default
		{"/clouddrive.nope.v1.Nope/Login", Bearer},
		{"", Bearer},
	}
	for _, tt := range tests {
		if got := AccessOf(tt.op); got != tt.want {
			t.Errorf("AccessOf(%q) = %v, want %v", tt.op, got, tt.want)
		}
	}
	if ops := Operations(); len(ops) == 0 || ops["/clouddrive.user.v1.User/Login"] != Public {
		t.Fatalf("Operations() = %d entries, Login = %v", len(ops), ops["/clouddrive.user.v1.User/Login"])
	}
}

// header is a transport.Header over http.Header.
type header http.Header

func (h header) Get(k string) string      { return http.Header(h).Get(k) }
func (h header) Set(k, v string)          { http.Header(h).Set(k, v) }
func (h header) Add(k, v string)          { http.Header(h).Add(k, v) }
func (h header) Values(k string) []string { return http.Header(h).Values(k) }
func (h header) Keys() []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	return keys
}

// fakeTransport is the server transport of one call.
type fakeTransport struct {
	op  string
	req header
}

func (f *fakeTransport) Kind() transport.Kind            { return transport.KindHTTP }
func (f *fakeTransport) Endpoint() string                { return "http://127.0.0.1" }
func (f *fakeTransport) Operation() string               { return f.op }
func (f *fakeTransport) RequestHeader() transport.Header { return f.req }
func (f *fakeTransport) ReplyHeader() transport.Header   { return header{} }

func TestServerMiddleware(t *testing.T) {
	pub, priv := newKey(t)
	iss := NewIssuer(priv, time.Hour)
	user, _ := iss.Issue(Caller{UserID: 5, Role: RoleUser, SessionID: "s"})
	admin, _ := iss.Issue(Caller{UserID: 1, Role: RoleAdmin})
	revokedUser, _ := iss.Issue(Caller{UserID: 9, Role: RoleUser})
	signedOut, _ := iss.Issue(Caller{UserID: 7, Role: RoleUser, SessionID: "out"})
	otherSession, _ := iss.Issue(Caller{UserID: 7, Role: RoleUser, SessionID: "in"})
	_, otherPriv := newKey(t)
	forged, _ := NewIssuer(otherPriv, time.Hour).Issue(Caller{UserID: 1, Role: RoleAdmin})

	revs := NewMemoryRevocations()
	// User 9 was disabled after the token was issued.
	_ = revs.RevokeUser(context.Background(), 9, time.Now().Add(time.Second), "", time.Hour)
	// User 7 signed one session out.
	_ = revs.RevokeSession(context.Background(), 7, "out", time.Now().Add(time.Second), time.Hour)

	mw := Server(Options{Verifier: NewVerifier(pub), Revocations: revs, InternalSecret: "s3cret", Logger: log.NewStdLogger(nopWriter{})})
	const (
		login  = "/clouddrive.user.v1.User/Login"
		me     = "/clouddrive.user.v1.User/Me"
		listU  = "/clouddrive.user.v1.Admin/ListUsers"
		unknow = "/clouddrive.x.v1.X/Y"
	)
	tests := []struct {
		name       string
		op         string
		headers    map[string]string
		wantReason string // "" for a call that goes through
		wantUID    int64  // caller in the context, 0 for none
	}{
		{"public without token", login, nil, "", 0},
		{"public with a bad token", login, map[string]string{"Authorization": "Bearer " + forged}, "", 0},
		{"public with a good token", login, map[string]string{"Authorization": "Bearer " + user}, "", 5},
		{"bearer without token", me, nil, "UNAUTHENTICATED", 0},
		{"bearer with another scheme", me, map[string]string{"Authorization": "Basic " + user}, "UNAUTHENTICATED", 0},
		{"bearer with a token", me, map[string]string{"Authorization": "Bearer " + user}, "", 5},
		{"bearer, lower-case scheme", me, map[string]string{"Authorization": "bearer " + user}, "", 5},
		{"bearer with a forged token", me, map[string]string{"Authorization": "Bearer " + forged}, "", -1},
		{"admin op with a forged admin token", listU, map[string]string{"Authorization": "Bearer " + forged}, "", -1},
		{"bearer with a revoked token", me, map[string]string{"Authorization": "Bearer " + revokedUser}, "TOKEN_REVOKED", 0},
		{"bearer, a signed-out session", me, map[string]string{"Authorization": "Bearer " + signedOut}, "TOKEN_REVOKED", 0},
		{"bearer, another session of that user", me, map[string]string{"Authorization": "Bearer " + otherSession}, "", 7},
		{"unknown op needs a token", unknow, nil, "UNAUTHENTICATED", 0},
		{"admin op, user token", listU, map[string]string{"Authorization": "Bearer " + user}, "FORBIDDEN", 0},
		{"admin op, admin token", listU, map[string]string{"Authorization": "Bearer " + admin}, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &fakeTransport{op: tt.op, req: header{}}
			for k, v := range tt.headers {
				tr.req.Set(k, v)
			}
			var gotCaller *Caller
			next := func(ctx context.Context, req any) (any, error) {
				if c, ok := FromContext(ctx); ok {
					gotCaller = &c
				}
				return "ok", nil
			}
			_, err := mw(next)(transport.NewServerContext(context.Background(), tr), nil)
			if tt.wantUID == -1 { // any refusal will do
				if err == nil {
					t.Fatal("call went through")
				}
				return
			}
			if tt.wantReason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
			} else if r := errors.Reason(err); r != tt.wantReason {
				t.Fatalf("reason = %q (%v), want %q", r, err, tt.wantReason)
			}
			switch {
			case tt.wantUID == 0 && gotCaller != nil:
				t.Fatalf("caller %+v in the context, want none", *gotCaller)
			case tt.wantUID > 0 && (gotCaller == nil || gotCaller.UserID != tt.wantUID):
				t.Fatalf("caller %v in the context, want uid %d", gotCaller, tt.wantUID)
			}
		})
	}
}

// A token that does not verify (expired, most often) on a bearer operation
// must answer 401 UNAUTHENTICATED, so the SPA refreshes and retries; an error
// without a reason becomes 500 INTERNAL in pkg/apierror.
func TestServerMiddlewareInvalidTokenIsUnauthenticated(t *testing.T) {
	pub, priv := newKey(t)
	iss := NewIssuer(priv, time.Minute)
	iss.now = func() time.Time { return time.Now().Add(-time.Hour) }
	expired, _ := iss.Issue(Caller{UserID: 5, Role: RoleUser})
	mw := Server(Options{Verifier: NewVerifier(pub), Logger: log.NewStdLogger(nopWriter{})})
	tr := &fakeTransport{op: "/clouddrive.user.v1.User/Me", req: header{}}
	tr.req.Set("Authorization", "Bearer "+expired)
	_, err := mw(func(context.Context, any) (any, error) { return "ok", nil })(transport.NewServerContext(context.Background(), tr), nil)
	if errors.Reason(err) != "UNAUTHENTICATED" || errors.Code(err) != 401 {
		t.Fatalf("expired token: reason %q code %d (%v), want UNAUTHENTICATED 401", errors.Reason(err), errors.Code(err), err)
	}
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
