package standalone_test

// The end-to-end test of the standalone drive: it builds the binary, starts it
// on a fresh data folder and free ports, and drives the user API over real
// HTTP and real gRPC as a client would, then checks that no password, token,
// app password or sign-in code reached the databases or the service log, and
// that SIGTERM shuts the process down cleanly.

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	v1 "clouddrive/api/user/v1"
)

const (
	me        = "/v1/user/me"
	loginPath = "/v1/user/login"
	refresh   = "/v1/user/refresh"
	adminList = "/v1/admin/user/list"
)

func TestE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the standalone binary (skipped with -short)")
	}
	bin := binary(t)
	started := time.Now()
	srv := startServer(t, bin)
	t.Logf("standalone healthy in %v: http %s, grpc %s, data %s", time.Since(started).Round(time.Millisecond), srv.httpAddr, srv.grpcAddr, srv.dataDir)
	e := &env{srv: srv, book: newSecretBook(), ips: &ipPool{}}

	// The first account registered is the administrator; every scenario
	// registers its own accounts after it.
	{
		c, _ := e.clients(t)
		e.admin = e.register(t, c, "root", "root@example.com")
		if e.admin.role != "admin" {
			t.Fatalf("the first account has role %q, want admin", e.admin.role)
		}
		e.adminTok = e.login(t, c, e.admin).GetAccessToken()
	}

	t.Run("walkthrough", e.testWalkthrough)
	t.Run("bad_input", e.testBadInput)
	t.Run("chinese_messages", e.testChinese)
	t.Run("access_tokens", e.testAccessTokens)
	t.Run("refresh_rotation", e.testRefreshRotation)
	t.Run("logout", e.testLogout)
	t.Run("password_change", e.testPasswordChange)
	t.Run("code_login", e.testCodeLogin)
	t.Run("app_passwords", e.testAppPasswords)
	t.Run("admin", e.testAdmin)
	t.Run("reenabled_user_token_works_at_once", e.testReenabledSameSecond)
	t.Run("rate_limit", e.testRateLimit)
	t.Run("docs", e.testDocs)

	t.Run("secrets_not_stored_or_logged/running", e.testNoSecrets)
	t.Run("graceful_shutdown", func(t *testing.T) {
		skipOnCluster(t, "the cluster's processes are stopped by make cluster-down, not by the test")
		exitErr, took, err := srv.stop(10 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if exitErr != nil {
			t.Fatalf("after SIGTERM the process exited with %v (want status 0) after %v", exitErr, took)
		}
		t.Logf("exited 0, %v after SIGTERM", took.Round(time.Millisecond))
	})
	t.Run("secrets_not_stored_or_logged/stopped", e.testNoSecrets)
}

// 1. README walk-through: register → login → me over HTTP, and the same
// login and Me over gRPC.
func (e *env) testWalkthrough(t *testing.T) {
	c, g := e.clients(t)
	a := e.register(t, c, "walker", "walker@example.com")
	if a.role != "user" {
		t.Errorf("the second account has role %q, want user", a.role)
	}
	tok := e.login(t, c, a)
	if tok.GetTokenType() != "Bearer" || tok.GetExpiresIn() <= 0 || tok.GetExpiresIn() > 3600 {
		t.Errorf("login: token_type %q, expires_in %d; want Bearer and (0, 3600]", tok.GetTokenType(), tok.GetExpiresIn())
	}
	if tok.GetUser().GetId() != a.id {
		t.Errorf("login reply user %v, want id %s", tok.GetUser(), a.id)
	}
	var info v1.UserInfo
	c.ok(c.get(me, tok.GetAccessToken()), &info)
	if info.GetId() != a.id || info.GetUsername() != "walker" || info.GetEmail() != "walker@example.com" || info.GetRole() != "user" || info.GetDisabled() {
		t.Errorf("GET /v1/user/me = %v", &info)
	}

	gt, err := g.user.Login(g.ctx(""), &v1.LoginRequest{Username: a.username, Password: a.password})
	if err != nil {
		t.Fatalf("gRPC Login: %v", err)
	}
	e.book.recordTokens(t, gt)
	gi, err := g.user.Me(g.ctx(gt.GetAccessToken()), &v1.MeRequest{})
	if err != nil {
		t.Fatalf("gRPC Me: %v", err)
	}
	if gi.GetId() != a.id || gi.GetUsername() != "walker" {
		t.Errorf("gRPC Me = %v, want walker (%s)", gi, a.id)
	}
	// One identity across transports.
	if _, err := g.user.Me(g.ctx(tok.GetAccessToken()), &v1.MeRequest{}); err != nil {
		t.Errorf("gRPC Me with the token got over HTTP: %v", err)
	}
	c.ok(c.get(me, gt.GetAccessToken()), nil)

	_, err = g.user.Me(g.ctx(""), &v1.MeRequest{})
	grpcFail(t, "gRPC Me without a token", err, 401, "UNAUTHENTICATED")
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("gRPC Me without a token: status %v, want Unauthenticated", status.Code(err))
	}
}

// 2. Bad input gets 400/409/401 with the right reason and field.
func (e *env) testBadInput(t *testing.T) {
	c, _ := e.clients(t)
	strong := e.password(t)
	reg := "/v1/user/register"
	cases := []struct {
		name   string
		path   string
		body   any
		status int
		reason string
		field  string
	}{
		{"empty username", reg, map[string]string{"username": "", "password": strong}, 400, "VALIDATION_FAILED", "username"},
		{"65-byte username", reg, map[string]string{"username": strings.Repeat("a", 65), "password": strong}, 400, "VALIDATION_FAILED", "username"},
		{"65 bytes in 33 runes", reg, map[string]string{"username": strings.Repeat("é", 32) + "a", "password": strong}, 400, "VALIDATION_FAILED", "username"},
		{"username with a slash", reg, map[string]string{"username": "a/b", "password": strong}, 400, "VALIDATION_FAILED", "username"},
		{"weak password 'password'", reg, map[string]string{"username": "weak1", "password": "password"}, 400, "WEAK_PASSWORD", "password"},
		{"weak password '12345678'", reg, map[string]string{"username": "weak2", "password": "12345678"}, 400, "WEAK_PASSWORD", "password"},
		{"password holding the username", reg, map[string]string{"username": "weakling", "password": "Weakling-2024"}, 400, "WEAK_PASSWORD", "password"},
		{"password too short", reg, map[string]string{"username": "weak3", "password": "Ab1!"}, 400, "VALIDATION_FAILED", "password"},
		{"bad email", reg, map[string]string{"username": "mailless", "password": strong, "email": "not-an-email"}, 400, "VALIDATION_FAILED", "email"},
		{"malformed JSON", reg, `{"username": "broken", "password":`, 400, "MALFORMED_REQUEST", ""},
		{"wrong JSON type", reg, `{"username": 42, "password": "x"}`, 400, "MALFORMED_REQUEST", ""},
		{"JSON array body", reg, `[1, 2]`, 400, "MALFORMED_REQUEST", ""},
		{"login: empty username", loginPath, map[string]string{"username": "", "password": strong}, 400, "VALIDATION_FAILED", "username"},
		{"login: malformed JSON", loginPath, `{"username": "walker", "password": }`, 400, "MALFORMED_REQUEST", ""},
		{"code login: code not 6 digits", "/v1/user/code/login", map[string]string{"target": "x@example.com", "code": "12ab56"}, 400, "VALIDATION_FAILED", "code"},
		{"code send: not an address", "/v1/user/code/send", map[string]string{"target": "nowhere at all"}, 400, "INVALID_TARGET", "target"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc := c.with(t)
			got := cc.fail(cc.post(tc.path, "", tc.body), tc.status, tc.reason)
			if tc.field != "" && got.Metadata["field"] != tc.field {
				t.Errorf("metadata.field = %q, want %q (metadata %v)", got.Metadata["field"], tc.field, got.Metadata)
			}
		})
	}

	t.Run("64-byte username is accepted", func(t *testing.T) {
		e.register(t, c.with(t), strings.Repeat("b", 64), "")
	})

	t.Run("duplicate username", func(t *testing.T) {
		cc := c.with(t)
		e.register(t, cc, "dupe", "")
		for _, name := range []string{"dupe", "DUPE", "Dupe"} {
			got := cc.fail(cc.post(reg, "", map[string]string{"username": name, "password": e.password(t)}), 409, "USERNAME_TAKEN")
			if got.Metadata["field"] != "username" {
				t.Errorf("register %q: metadata.field = %q, want username", name, got.Metadata["field"])
			}
		}
	})

	t.Run("wrong password and unknown user look the same", func(t *testing.T) {
		cc := c.with(t)
		a := e.register(t, cc, "credcheck", "")
		wrong := e.password(t)
		r1 := cc.post(loginPath, "", map[string]string{"username": a.username, "password": wrong})
		r2 := cc.post(loginPath, "", map[string]string{"username": "nobody-by-this-name", "password": wrong})
		cc.fail(r1, 401, "INVALID_CREDENTIALS")
		cc.fail(r2, 401, "INVALID_CREDENTIALS")
		if !bytes.Equal(r1.body, r2.body) || r1.header.Get("Content-Type") != r2.header.Get("Content-Type") {
			t.Errorf("the two refusals differ:\n wrong password: %s\n unknown user:   %s", r1, r2)
		}
	})
}

// 2b. Accept-Language: zh-CN gives a Chinese message; the reason stays.
func (e *env) testChinese(t *testing.T) {
	c, _ := e.clients(t)
	taken := e.register(t, c, "zhtaken", "")
	cases := []struct {
		name   string
		send   func(c *client, hs ...header) *response
		status int
		reason string
	}{
		{"validation", func(c *client, hs ...header) *response {
			return c.post("/v1/user/register", "", map[string]string{"username": "", "password": "Whatever-123"}, hs...)
		}, 400, "VALIDATION_FAILED"},
		{"malformed JSON", func(c *client, hs ...header) *response {
			return c.post("/v1/user/register", "", `{"username":`, hs...)
		}, 400, "MALFORMED_REQUEST"},
		{"weak password", func(c *client, hs ...header) *response {
			return c.post("/v1/user/register", "", map[string]string{"username": "zhweak", "password": "12345678"}, hs...)
		}, 400, "WEAK_PASSWORD"},
		{"username taken", func(c *client, hs ...header) *response {
			return c.post("/v1/user/register", "", map[string]string{"username": taken.username, "password": "Another-pass-77"}, hs...)
		}, 409, "USERNAME_TAKEN"},
		{"wrong password", func(c *client, hs ...header) *response {
			return c.post(loginPath, "", map[string]string{"username": taken.username, "password": "Not-the-password-1"}, hs...)
		}, 401, "INVALID_CREDENTIALS"},
		{"no token", func(c *client, hs ...header) *response { return c.get(me, "", hs...) }, 401, "UNAUTHENTICATED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc := c.with(t)
			en := cc.fail(tc.send(cc), tc.status, tc.reason)
			zh := cc.fail(tc.send(cc, lang("zh-CN,zh;q=0.9,en;q=0.5")), tc.status, tc.reason)
			if hasHan(en.Message) {
				t.Errorf("without Accept-Language the message is not English: %q", en.Message)
			}
			if !hasHan(zh.Message) {
				t.Errorf("Accept-Language: zh-CN gave no Chinese message for %s: %q", tc.reason, zh.Message)
			}
			if en.Metadata["field"] != zh.Metadata["field"] {
				t.Errorf("metadata.field differs by language: %q vs %q", en.Metadata["field"], zh.Metadata["field"])
			}
		})
	}
}

// 2c. Forged, expired, alg:none and garbage tokens are 401 on HTTP and gRPC.
func (e *env) testAccessTokens(t *testing.T) {
	c, g := e.clients(t)
	a := e.register(t, c, "tokenholder", "")
	tok := e.login(t, c, a).GetAccessToken()
	key := e.serverKey(t)
	now := time.Now()

	// Controls: the issued token works, and so does one the test signs with
	// the server's own key, so the refusals below are about what they claim.
	c.ok(c.get(me, tok), nil)
	c.ok(c.get(me, signEdDSA(t, key, claims(a.id, "user", now, now.Add(10*time.Minute), "clouddrive"))), nil)

	bad := []struct{ name, token string }{
		{"forged: signed by another ed25519 key", signEdDSA(t, otherKey(t), claims(e.admin.id, "admin", now, now.Add(10*time.Minute), "clouddrive"))},
		{"expired an hour ago", signEdDSA(t, key, claims(a.id, "user", now.Add(-2*time.Hour), now.Add(-time.Hour), "clouddrive"))},
		{"alg none", signNone(t, claims(e.admin.id, "admin", now, now.Add(10*time.Minute), "clouddrive"))},
		{"payload edited: role admin", withClaim(t, tok, "role", "admin")},
		{"payload edited: subject", withClaim(t, tok, "sub", e.admin.id)},
		{"another issuer", signEdDSA(t, key, claims(a.id, "user", now, now.Add(10*time.Minute), "someone-else"))},
		{"garbage", "garbage"},
		{"three garbage segments", "a.b.c"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			cc, gg := c.with(t), g.with(t)
			cc.fail(cc.get(me, tc.token), 401, "UNAUTHENTICATED")
			cc.fail(cc.get(adminList, tc.token), 401, "UNAUTHENTICATED")
			_, err := gg.user.Me(gg.ctx(tc.token), &v1.MeRequest{})
			grpcFail(t, "gRPC Me", err, 401, "UNAUTHENTICATED")
			if status.Code(err) != codes.Unauthenticated {
				t.Errorf("gRPC Me: status %v, want Unauthenticated", status.Code(err))
			}
		})
	}
	t.Run("no or non-bearer Authorization", func(t *testing.T) {
		cc := c.with(t)
		cc.fail(cc.get(me, ""), 401, "UNAUTHENTICATED")
		cc.fail(cc.get(me, "", header{"Authorization", "Basic d2Fsa2VyOnNlY3JldA=="}), 401, "UNAUTHENTICATED")
	})
}

// 3. Refresh rotates; a reused refresh token revokes its whole family.
func (e *env) testRefreshRotation(t *testing.T) {
	c, g := e.clients(t)
	a := e.register(t, c, "rotator", "")
	p0 := e.login(t, c, a)
	other := e.login(t, c, a) // a second session, which must survive

	var p1 v1.TokenReply
	c.ok(c.post(refresh, "", map[string]string{"refresh_token": p0.GetRefreshToken()}), &p1)
	if p1.GetRefreshToken() == "" || p1.GetRefreshToken() == p0.GetRefreshToken() || p1.GetAccessToken() == "" || p1.GetAccessToken() == p0.GetAccessToken() {
		t.Fatalf("refresh did not give a new pair: %v", &p1)
	}
	c.ok(c.get(me, p1.GetAccessToken()), nil)

	p2, err := g.user.Refresh(g.ctx(""), &v1.RefreshRequest{RefreshToken: p1.GetRefreshToken()})
	if err != nil {
		t.Fatalf("gRPC Refresh: %v", err)
	}
	e.book.recordTokens(t, p2)
	if p2.GetRefreshToken() == p1.GetRefreshToken() {
		t.Fatalf("gRPC Refresh returned the same refresh token")
	}

	c.fail(c.post(refresh, "", map[string]string{"refresh_token": p0.GetRefreshToken()}), 401, "REFRESH_TOKEN_REUSED")
	// The whole family is revoked: even the newest token of that session.
	c.fail(c.post(refresh, "", map[string]string{"refresh_token": p2.GetRefreshToken()}), 401, "REFRESH_TOKEN_INVALID")
	c.fail(c.post(refresh, "", map[string]string{"refresh_token": "never-issued-" + a.id}), 401, "REFRESH_TOKEN_INVALID")
	// Other sessions are untouched.
	c.ok(c.post(refresh, "", map[string]string{"refresh_token": other.GetRefreshToken()}), nil)
}

// 3b. Logout revokes the session's refresh token (HTTP and gRPC).
func (e *env) testLogout(t *testing.T) {
	c, g := e.clients(t)
	a := e.register(t, c, "leaver", "")
	p := e.login(t, c, a)
	c.ok(c.post("/v1/user/logout", "", map[string]string{"refresh_token": p.GetRefreshToken()}), nil)
	c.fail(c.post(refresh, "", map[string]string{"refresh_token": p.GetRefreshToken()}), 401, "REFRESH_TOKEN_INVALID")
	c.ok(c.post("/v1/user/logout", "", map[string]string{"refresh_token": p.GetRefreshToken()}), nil) // idempotent

	gp, err := g.user.Login(g.ctx(""), &v1.LoginRequest{Username: a.username, Password: a.password})
	if err != nil {
		t.Fatalf("gRPC Login: %v", err)
	}
	e.book.recordTokens(t, gp)
	if _, err := g.user.Logout(g.ctx(""), &v1.LogoutRequest{RefreshToken: gp.GetRefreshToken()}); err != nil {
		t.Fatalf("gRPC Logout: %v", err)
	}
	c.fail(c.post(refresh, "", map[string]string{"refresh_token": gp.GetRefreshToken()}), 401, "REFRESH_TOKEN_INVALID")
}

// 3c. Changing the password signs out the other sessions only.
func (e *env) testPasswordChange(t *testing.T) {
	c, _ := e.clients(t)
	a := e.register(t, c, "changer", "")
	mine := e.login(t, c, a)
	others := []*v1.TokenReply{e.login(t, c, a), e.login(t, c, a)}
	const path = "/v1/user/password"
	newPw := e.password(t)

	// Refusals change nothing.
	got := c.fail(c.post(path, mine.GetAccessToken(), map[string]string{"old_password": "Wrong-old-password-1", "new_password": newPw}), 401, "INVALID_CREDENTIALS")
	if got.Metadata["field"] != "old_password" {
		t.Errorf("wrong old password: metadata.field = %q, want old_password", got.Metadata["field"])
	}
	got = c.fail(c.post(path, mine.GetAccessToken(), map[string]string{"old_password": a.password, "new_password": "12345678"}), 400, "WEAK_PASSWORD")
	if got.Metadata["field"] != "new_password" {
		t.Errorf("weak new password: metadata.field = %q, want new_password", got.Metadata["field"])
	}
	got = c.fail(c.post(path, mine.GetAccessToken(), map[string]string{"old_password": a.password, "new_password": "Ab1!"}), 400, "VALIDATION_FAILED")
	if got.Metadata["field"] != "new_password" {
		t.Errorf("short new password: metadata.field = %q, want new_password", got.Metadata["field"])
	}
	c.fail(c.post(path, "", map[string]string{"old_password": a.password, "new_password": newPw}), 401, "UNAUTHENTICATED")

	var reply v1.ChangePasswordReply
	c.ok(c.post(path, mine.GetAccessToken(), map[string]string{"old_password": a.password, "new_password": newPw}), &reply)
	if reply.GetRevokedSessions() != int64(len(others)) {
		t.Errorf("revoked_sessions = %d, want %d (the other sessions)", reply.GetRevokedSessions(), len(others))
	}
	for i, o := range others {
		r := c.post(refresh, "", map[string]string{"refresh_token": o.GetRefreshToken()})
		if r.status != 401 {
			t.Errorf("other session %d: refresh after the password change: %s, want 401", i+1, r)
		}
	}
	// The caller's session keeps working.
	c.ok(c.get(me, mine.GetAccessToken()), nil)
	c.ok(c.post(refresh, "", map[string]string{"refresh_token": mine.GetRefreshToken()}), nil)
	// Old password out, new one in.
	c.fail(c.post(loginPath, "", map[string]string{"username": a.username, "password": a.password}), 401, "INVALID_CREDENTIALS")
	a.password = newPw
	e.login(t, c, a)
}

// 4. Sign-in with a code read from the log sender's mailbox.
func (e *env) testCodeLogin(t *testing.T) {
	c, g := e.clients(t)
	const send, codeLogin = "/v1/user/code/send", "/v1/user/code/login"

	target := "new@example.com"
	var sr v1.SendCodeReply
	c.ok(c.post(send, "", map[string]string{"target": target}), &sr)
	if sr.GetExpiresIn() <= 0 || sr.GetExpiresIn() > 300 || sr.GetResendAfter() <= 0 {
		t.Errorf("send code: expires_in %d, resend_after %d", sr.GetExpiresIn(), sr.GetResendAfter())
	}
	code := e.lastCode(t, target, 1)

	got := c.fail(c.post(send, "", map[string]string{"target": target}), 429, "CODE_RESEND_TOO_SOON")
	if s := atoi(t, "metadata.retry_after_seconds", got.Metadata["retry_after_seconds"]); s < 1 || s > 60 {
		t.Errorf("resend too soon: retry_after_seconds = %d, want 1..60", s)
	}
	if n := len(e.codesFor(t, target)); n != 1 {
		t.Errorf("codes.log holds %d codes for %s after a refused resend, want 1", n, target)
	}

	var tr v1.TokenReply
	c.ok(c.post(codeLogin, "", map[string]string{"target": target, "code": code}), &tr)
	if u := tr.GetUser(); u.GetEmail() != target || u.GetRole() != "user" || u.GetUsername() == "" || u.GetId() == "" {
		t.Errorf("code login created %v, want a user with email %s", u, target)
	}
	var info v1.UserInfo
	c.ok(c.get(me, tr.GetAccessToken()), &info)
	if info.GetEmail() != target {
		t.Errorf("me after code login = %v", &info)
	}
	c.fail(c.post(codeLogin, "", map[string]string{"target": target, "code": code}), 401, "CODE_INVALID") // once only

	t.Run("five wrong codes burn the code", func(t *testing.T) {
		cc := c.with(t)
		target := "attempts@example.com"
		cc.ok(cc.post(send, "", map[string]string{"target": target}), nil)
		right := e.lastCode(t, target, 1)
		n := atoi(t, "code", right)
		for i := 1; i <= 5; i++ {
			wrong := fmt.Sprintf("%06d", (n+i*111111)%1000000)
			cc.fail(cc.post(codeLogin, "", map[string]string{"target": target, "code": wrong}), 401, "CODE_INVALID")
		}
		cc.fail(cc.post(codeLogin, "", map[string]string{"target": target, "code": right}), 429, "CODE_TOO_MANY_ATTEMPTS")
		var list v1.ListUsersReply
		cc.ok(cc.get(adminList+"?query="+url.QueryEscape(target), e.adminTok), &list)
		if len(list.GetUsers()) != 0 {
			t.Errorf("an account was created for %s after the code was burnt: %v", target, list.GetUsers())
		}
	})

	t.Run("phone over gRPC", func(t *testing.T) {
		gg := g.with(t)
		phone := "+8613800138000"
		if _, err := gg.user.SendCode(gg.ctx(""), &v1.SendCodeRequest{Target: phone}); err != nil {
			t.Fatalf("gRPC SendCode: %v", err)
		}
		code := e.lastCode(t, phone, 1)
		tr, err := gg.user.CodeLogin(gg.ctx(""), &v1.CodeLoginRequest{Target: phone, Code: code})
		if err != nil {
			t.Fatalf("gRPC CodeLogin: %v", err)
		}
		e.book.recordTokens(t, tr)
		if tr.GetUser().GetPhone() != phone {
			t.Errorf("gRPC CodeLogin created %v, want phone %s", tr.GetUser(), phone)
		}
	})
}

// 5. App passwords: shown once, listed without secret, revoked by owner only.
func (e *env) testAppPasswords(t *testing.T) {
	c, g := e.clients(t)
	owner := e.login(t, c, e.register(t, c, "appowner", "")).GetAccessToken()
	other := e.login(t, c, e.register(t, c, "appother", "")).GetAccessToken()
	const create, list, revoke = "/v1/user/app_password", "/v1/user/app_password/list", "/v1/user/app_password/revoke"

	var webdav, script v1.CreateAppPasswordReply
	c.ok(c.post(create, owner, map[string]string{"name": "webdav"}), &webdav)
	c.ok(c.post(create, owner, map[string]string{"name": "script"}), &script)
	for _, p := range []*v1.CreateAppPasswordReply{&webdav, &script} {
		if !strings.HasPrefix(p.GetPassword(), "cdap-") || len(p.GetPassword()) < len("cdap-")+20 {
			t.Errorf("app password %q: want cdap- and at least 20 more characters", p.GetPassword())
		}
		if p.GetAppPassword().GetId() == "" || p.GetAppPassword().GetCreatedAt() == "" {
			t.Errorf("app password without id or created_at: %v", p.GetAppPassword())
		}
	}
	if webdav.GetPassword() == script.GetPassword() {
		t.Errorf("two app passwords are equal")
	}
	if webdav.GetAppPassword().GetName() != "webdav" {
		t.Errorf("name = %q, want webdav", webdav.GetAppPassword().GetName())
	}

	names := func(token string) []string {
		t.Helper()
		r := c.get(list, token)
		var l v1.ListAppPasswordsReply
		c.ok(r, &l)
		for _, s := range []string{webdav.GetPassword(), script.GetPassword(), "cdap-"} {
			if bytes.Contains(r.body, []byte(s)) {
				t.Errorf("the list shows a secret (%q): %s", s, r)
			}
		}
		var out []string
		for _, it := range l.GetItems() {
			out = append(out, it.GetName())
		}
		return out
	}
	if got := strings.Join(names(owner), ","); got != "webdav,script" && got != "script,webdav" {
		t.Errorf("owner's list = %q, want webdav and script", got)
	}
	if got := names(other); len(got) != 0 {
		t.Errorf("another user's list = %q, want empty", got)
	}
	gl, err := g.user.ListAppPasswords(g.ctx(owner), &v1.ListAppPasswordsRequest{})
	if err != nil || len(gl.GetItems()) != 2 {
		t.Errorf("gRPC ListAppPasswords: %v items, err %v; want 2", len(gl.GetItems()), err)
	}

	id := webdav.GetAppPassword().GetId()
	c.fail(c.post(revoke, other, map[string]string{"id": id}), 404, "APP_PASSWORD_NOT_FOUND")
	if got := names(owner); len(got) != 2 {
		t.Errorf("another user's revoke removed something: %q", got)
	}
	c.fail(c.post(revoke, "", map[string]string{"id": id}), 401, "UNAUTHENTICATED")
	c.ok(c.post(revoke, owner, map[string]string{"id": id}), nil)
	if got := strings.Join(names(owner), ","); got != "script" {
		t.Errorf("after revoking webdav the list is %q, want script", got)
	}
	c.fail(c.post(revoke, owner, map[string]string{"id": id}), 404, "APP_PASSWORD_NOT_FOUND")
	c.fail(c.post(revoke, owner, map[string]string{"id": "not-an-id"}), 404, "APP_PASSWORD_NOT_FOUND")
}

// 6. Administration: roles, list and search, disable and enable.
func (e *env) testAdmin(t *testing.T) {
	c, g := e.clients(t)
	admin := e.adminTok
	b := e.register(t, c, "bob", "bob@example.com")
	bt := e.login(t, c, b)

	// B is no admin.
	c.fail(c.get(adminList, bt.GetAccessToken()), 403, "FORBIDDEN")
	c.fail(c.post("/v1/admin/user/disable", bt.GetAccessToken(), map[string]string{"user_id": e.admin.id}), 403, "FORBIDDEN")
	_, err := g.admin.ListUsers(g.ctx(bt.GetAccessToken()), &v1.ListUsersRequest{})
	grpcFail(t, "gRPC ListUsers as a user", err, 403, "FORBIDDEN")
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("gRPC ListUsers as a user: status %v, want PermissionDenied", status.Code(err))
	}

	// The admin lists and searches.
	var all v1.ListUsersReply
	c.ok(c.get(adminList+"?page_size=1000", admin), &all)
	roles := map[string]string{}
	for _, u := range all.GetUsers() {
		roles[u.GetUsername()] = u.GetRole()
	}
	if roles[e.admin.username] != "admin" || roles[b.username] != "user" {
		t.Errorf("user list roles: %s=%q %s=%q, want admin and user (%d users)", e.admin.username, roles[e.admin.username], b.username, roles[b.username], len(all.GetUsers()))
	}
	var found v1.ListUsersReply
	c.ok(c.get(adminList+"?query="+url.QueryEscape(b.username), admin), &found)
	if len(found.GetUsers()) != 1 || found.GetUsers()[0].GetId() != b.id {
		t.Errorf("search %q = %v, want only %s", b.username, found.GetUsers(), b.id)
	}
	var p1, p2 v1.ListUsersReply
	c.ok(c.get(adminList+"?page_size=1", admin), &p1)
	if len(p1.GetUsers()) != 1 || p1.GetNextPageToken() == "" {
		t.Fatalf("page_size=1: %d users, next_page_token %q", len(p1.GetUsers()), p1.GetNextPageToken())
	}
	c.ok(c.get(adminList+"?page_size=1&page_token="+url.QueryEscape(p1.GetNextPageToken()), admin), &p2)
	if len(p2.GetUsers()) != 1 || p2.GetUsers()[0].GetId() == p1.GetUsers()[0].GetId() {
		t.Errorf("second page %v repeats or is empty (first %v)", p2.GetUsers(), p1.GetUsers())
	}
	gl, err := g.admin.ListUsers(g.ctx(admin), &v1.ListUsersRequest{Query: b.username})
	if err != nil || len(gl.GetUsers()) != 1 {
		t.Errorf("gRPC ListUsers %q: %v, err %v", b.username, gl.GetUsers(), err)
	}

	// Disable B: everything of B stops at once.
	var du v1.UserInfo
	c.ok(c.post("/v1/admin/user/disable", admin, map[string]string{"user_id": b.id}), &du)
	if !du.GetDisabled() || du.GetId() != b.id {
		t.Errorf("disable reply %v", &du)
	}
	c.fail(c.get(me, bt.GetAccessToken()), 401, "TOKEN_REVOKED")
	_, err = g.user.Me(g.ctx(bt.GetAccessToken()), &v1.MeRequest{})
	grpcFail(t, "gRPC Me of a disabled user", err, 401, "TOKEN_REVOKED")
	c.fail(c.post(refresh, "", map[string]string{"refresh_token": bt.GetRefreshToken()}), 401, "REFRESH_TOKEN_INVALID")
	c.fail(c.post(loginPath, "", map[string]string{"username": b.username, "password": b.password}), 403, "USER_DISABLED")
	c.ok(c.get(adminList+"?query="+url.QueryEscape(b.username), admin), &found)
	if len(found.GetUsers()) != 1 || !found.GetUsers()[0].GetDisabled() {
		t.Errorf("the list does not show %s disabled: %v", b.username, found.GetUsers())
	}
	c.fail(c.post("/v1/admin/user/disable", admin, map[string]string{"user_id": e.admin.id}), 403, "FORBIDDEN")
	c.fail(c.post("/v1/admin/user/disable", admin, map[string]string{"user_id": "999999"}), 404, "USER_NOT_FOUND")

	// Enable (over gRPC): B signs in again; the old tokens stay dead.
	eu, err := g.admin.EnableUser(g.ctx(admin), &v1.EnableUserRequest{UserId: b.id})
	if err != nil || eu.GetDisabled() {
		t.Fatalf("gRPC EnableUser: %v, err %v", eu, err)
	}
	e.login(t, c, b)
	c.fail(c.get(me, bt.GetAccessToken()), 401, "TOKEN_REVOKED")
	c.fail(c.post(refresh, "", map[string]string{"refresh_token": bt.GetRefreshToken()}), 401, "REFRESH_TOKEN_INVALID")
	// That the new token works is checked by reenabled_user_token_works_at_once.
}

// 6b. A user re-enabled and signing in within the second they were disabled
// gets a token that works. Revocation marks of whole seconds would void it:
// the test lines the sequence up with the start of a wall-clock second so
// that the case is met every time, not by chance.
func (e *env) testReenabledSameSecond(t *testing.T) {
	c, _ := e.clients(t)
	u := e.register(t, c, "phoenix", "")
	now := time.Now()
	time.Sleep(now.Truncate(time.Second).Add(time.Second + 20*time.Millisecond).Sub(now))
	start := time.Now()
	c.ok(c.post("/v1/admin/user/disable", e.adminTok, map[string]string{"user_id": u.id}), nil)
	c.ok(c.post("/v1/admin/user/enable", e.adminTok, map[string]string{"user_id": u.id}), nil)
	tok := e.login(t, c, u)
	took := time.Since(start)
	if r := c.get(me, tok.GetAccessToken()); r.status != http.StatusOK {
		t.Errorf("a token issued %v after the account was disabled and re-enabled is refused: %s", took.Round(time.Millisecond), r)
	}
}

// 7. Wrong passwords lock their source out of the account, not its owner:
// the sixth attempt from one address is rate limited, the right password
// from that address too, while the owner, from another address, signs in.
func (e *env) testRateLimit(t *testing.T) {
	c, _ := e.clients(t)
	a := e.register(t, c, "limited", "")
	wrong := map[string]string{"username": a.username, "password": e.password(t)}
	for i := 1; i <= 5; i++ {
		c.fail(c.post(loginPath, "", wrong), 401, "INVALID_CREDENTIALS")
	}
	got := c.fail(c.post(loginPath, "", wrong), 429, "RATE_LIMITED")
	if s := atoi(t, "metadata.retry_after_seconds", got.Metadata["retry_after_seconds"]); s < 1 || s > 900 {
		t.Errorf("retry_after_seconds = %d, want 1..900", s)
	}
	right := map[string]string{"username": a.username, "password": a.password}
	// Charged before the password is compared: the right one waits too,
	// from the locked-out address.
	c.fail(c.post(loginPath, "", right), 429, "RATE_LIMITED")
	zh := c.fail(c.post(loginPath, "", wrong, lang("zh-CN")), 429, "RATE_LIMITED")
	if !hasHan(zh.Message) {
		t.Errorf("RATE_LIMITED in zh-CN: %q", zh.Message)
	}
	// The owner, from another address, is not locked out.
	c2, _ := e.clients(t)
	e.login(t, c2, a)
	// Another account from the same address is not affected.
	e.login(t, c, e.register(t, c, "unlimited", ""))
}

// 9. The API documentation is served.
func (e *env) testDocs(t *testing.T) {
	c, _ := e.clients(t)
	r := c.get("/openapi.yaml", "")
	if r.status != 200 || !bytes.Contains(r.body, []byte("openapi:")) || !bytes.Contains(r.body, []byte("/v1/user/login")) {
		t.Errorf("GET /openapi.yaml: %d, %d bytes, want 200 and an OpenAPI document with /v1/user/login", r.status, len(r.body))
	}
	r = c.get("/docs", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !bytes.Contains(bytes.ToLower(r.body), []byte("<html")) {
		t.Errorf("GET /docs: %d %q, %d bytes, want 200 and an HTML page", r.status, r.header.Get("Content-Type"), len(r.body))
	}
}

// 8. No password, token, app password or code in the data folder (but the
// code mailbox and the keys) or the service log.
func (e *env) testNoSecrets(t *testing.T) {
	secrets := e.book.all()
	kinds := map[string]int{}
	for _, s := range secrets {
		kinds[s.kind]++
	}
	t.Logf("looking for %d secrets: %v", len(secrets), kinds)

	files := append(storedFiles(t, e.srv.dataDir), e.srv.logPath)
	if e.srv.cluster != "" {
		// Every process's log; the rows are in MariaDB, not in files.
		logs, _ := filepath.Glob(filepath.Join(e.srv.cluster, "logs", "*.log"))
		files = append(files[:len(files)-1], logs...)
	}
	sawDB := e.srv.cluster != ""
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Errorf("reading %s: %v", f, err)
			continue
		}
		rel, _ := filepath.Rel(e.srv.dataDir, f)
		if f == e.srv.logPath || strings.HasSuffix(f, ".log") {
			rel = "service log " + filepath.Base(f)
			if f == e.srv.logPath && len(data) == 0 {
				t.Errorf("the service log is empty")
			}
		}
		if strings.HasPrefix(filepath.Base(f), "user.db") {
			sawDB = true
		}
		for _, s := range findSecrets(data, secrets) {
			v := s.value
			if len(v) > 24 {
				v = v[:24] + "…"
			}
			t.Errorf("%s (%d bytes) holds a %s in clear (%q, from %s)", rel, len(data), s.kind, v, s.where)
		}
	}
	if !sawDB {
		t.Errorf("no user.db under %s; files: %v", e.srv.dataDir, files)
	}

	// Control: the same search finds every code in the mailbox, where they belong.
	if mbox, err := os.ReadFile(filepath.Join(e.srv.dataDir, "codes.log")); err == nil {
		var codes []secret
		for _, s := range secrets {
			if s.kind == "code" {
				codes = append(codes, s)
			}
		}
		if n := len(findSecrets(mbox, codes)); n != len(codes) {
			t.Errorf("the search finds %d of the %d codes in codes.log", n, len(codes))
		}
	}
}
