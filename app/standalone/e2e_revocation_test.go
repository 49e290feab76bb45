package standalone_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	fv1 "clouddrive/api/file/v1"
	shv1 "clouddrive/api/share/v1"
	sv1 "clouddrive/api/storage/v1"
	v1 "clouddrive/api/user/v1"
)

// Revocation that means it (issue 17, items 2 and 3): revoking a user's
// sessions voids their access tokens at once in every service and over
// every transport, and signed URLs are checked against the same state at
// each request.
func TestE2ERevocation(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the standalone binary (skipped with -short)")
	}
	bin := binary(t)
	srv := startServer(t, bin)
	e := &env{srv: srv, book: newSecretBook(), ips: &ipPool{}}
	{
		c, _ := e.clients(t)
		e.admin = e.register(t, c, "root", "root@example.com")
		e.adminTok = e.login(t, c, e.admin).GetAccessToken()
	}
	for _, sc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"email_claim_voids_the_squatters_tokens", e.testClaimRevokesEverywhere},
		{"password_change_voids_other_sessions_at_once", e.testPasswordChangeRevokes},
		{"logout_voids_the_sessions_access_token", e.testLogoutRevokes},
		{"disabled_owner_signed_url_refused_at_once", e.testDisabledOwnerURL},
		{"share_url_refused_once_revoked", e.testShareURLRevoked},
		{"share_url_counted_per_get", e.testShareURLCountedPerGET},
		{"share_url_of_a_disabled_owner", e.testShareURLDisabledOwner},
	} {
		t.Run(sc.name, sc.fn)
	}
}

// revokedEverywhere checks that tok is refused by a unary call over HTTP
// and gRPC of two services, a storage byte route (a chunk PUT into
// uploadID) and a gRPC stream (a download of node).
func (u *storeUser) revokedEverywhere(tok, uploadID, node string) {
	t := u.t
	t.Helper()
	u.c.fail(u.c.get(me, tok), 401, "TOKEN_REVOKED")
	u.c.fail(u.c.get(fileList, tok), 401, "TOKEN_REVOKED")
	_, err := u.g.user.Me(u.g.ctx(tok), &v1.MeRequest{})
	grpcFail(t, "gRPC User/Me", err, 401, "TOKEN_REVOKED")
	_, err = fv1.NewFileClient(u.g.conn).List(u.g.ctx(tok), &fv1.ListRequest{})
	grpcFail(t, "gRPC File/List", err, 401, "TOKEN_REVOKED")
	r := u.raw(http.MethodPut, chunkPath(uploadID, 0), tok, bytes.NewReader([]byte("x")), 1)
	u.c.fail(r, 401, "TOKEN_REVOKED")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ds, err := u.st.Download(bearerCtx(ctx, tok), &sv1.DownloadRequest{Id: node})
	if err == nil {
		_, err = ds.Recv()
	}
	grpcFail(t, "gRPC Storage/Download stream", err, 401, "TOKEN_REVOKED")
}

// The pre-hijack attack: someone registers with the victim's email; the
// victim signs in by code. The squatter's access token is refused at once,
// everywhere, and cannot set a password; the victim's session works.
func (e *env) testClaimRevokesEverywhere(t *testing.T) {
	const victimEmail = "victim@example.com"
	att := e.storeUser(t, "squatter")
	// fileUser registers without an email: give the squatter the victim's.
	att.c.ok(att.post("/v1/user/profile", map[string]string{"email": victimEmail}), nil)
	tok := att.tok
	f := att.uploadHTTP("", "planted.bin", small(171, 5000))
	open := att.init("", "pending.bin", small(172, 5000), small(172, 5000).hash())
	url := att.fileURL(f.GetId())
	if r := att.c.get(url, ""); r.status != http.StatusOK {
		t.Fatalf("the squatter's URL before the claim: %s", r)
	}

	// The victim proves the email with a code.
	victim, _ := e.clients(t)
	victim.ok(victim.post("/v1/user/code/send", "", map[string]string{"target": victimEmail}), nil)
	code := e.lastCode(t, victimEmail, 1)
	var vt v1.TokenReply
	victim.ok(victim.post("/v1/user/code/login", "", map[string]string{"target": victimEmail, "code": code}), &vt)
	if vt.GetUser().GetId() != att.acct.id {
		t.Fatalf("the claim signed into account %s, want the squatter's %s", vt.GetUser().GetId(), att.acct.id)
	}

	att.revokedEverywhere(tok, open.GetUploadId(), f.GetId())
	// The URL the squatter signed before the claim is dead too.
	att.c.fail(att.c.get(url, ""), 403, "FORBIDDEN")
	// No password can be set with the old session, and none was kept.
	att.c.fail(att.c.post("/v1/user/password", tok, map[string]string{"old_password": "", "new_password": "Tak3over-Pass!"}),
		401, "TOKEN_REVOKED")
	att.c.fail(att.c.post(loginPath, "", map[string]string{"username": att.acct.username, "password": att.acct.password}),
		401, "INVALID_CREDENTIALS")

	// The victim's session, made by the claim, works, and sets a password.
	var info v1.UserInfo
	victim.ok(victim.get(me, vt.GetAccessToken()), &info)
	victim.ok(victim.get(fileList, vt.GetAccessToken()), nil)
	pw := e.password(t)
	victim.ok(victim.post("/v1/user/password", vt.GetAccessToken(), map[string]string{"old_password": "", "new_password": pw}), nil)
	victim.ok(victim.get(me, vt.GetAccessToken()), &info)
	if r := att.c.get(att.fileURL2(vt.GetAccessToken(), f.GetId()), ""); r.status != http.StatusOK {
		t.Errorf("the victim's own URL after the claim: %s", r)
	}
}

// fileURL2 signs a download URL with another token.
func (u *storeUser) fileURL2(tok, id string) string {
	u.t.Helper()
	var su sv1.SignedURL
	u.c.ok(u.c.post(downloadURL, tok, map[string]string{"id": id}), &su)
	return su.GetUrl()
}

// A password change keeps the caller's session and kills the others'
// access tokens at once (not when they expire).
func (e *env) testPasswordChangeRevokes(t *testing.T) {
	u := e.storeUser(t, "pw-changer")
	other := e.login(t, u.c, u.acct).GetAccessToken()
	f := u.uploadHTTP("", "p.bin", small(181, 100))
	open := u.init("", "pending.bin", small(182, 5000), small(182, 5000).hash())
	u.c.ok(u.post("/v1/user/password", map[string]string{"old_password": u.acct.password, "new_password": e.password(t)}), nil)
	u.revokedEverywhere(other, open.GetUploadId(), f.GetId())
	u.c.ok(u.c.get(me, u.tok), nil)
}

// Logging out ends the session's access token with its refresh token.
func (e *env) testLogoutRevokes(t *testing.T) {
	u := e.storeUser(t, "leaver")
	f := u.uploadHTTP("", "l.bin", small(191, 100))
	open := u.init("", "pending.bin", small(192, 5000), small(192, 5000).hash())
	second := e.login(t, u.c, u.acct)
	u.c.ok(u.c.post("/v1/user/logout", "", map[string]string{"refresh_token": second.GetRefreshToken()}), nil)
	u.revokedEverywhere(second.GetAccessToken(), open.GetUploadId(), f.GetId())
	// Only that session: the first one goes on.
	u.c.ok(u.c.get(me, u.tok), nil)
}

// A signed URL of a user an administrator disables stops at once, not when
// it expires; so does a download stream opened afterwards.
func (e *env) testDisabledOwnerURL(t *testing.T) {
	u := e.storeUser(t, "to-disable")
	c := small(201, 70_000)
	f := u.uploadHTTP("", "d.bin", c)
	url := u.fileURL(f.GetId())
	if got := u.fetch(url, c); got.status != http.StatusOK || got.diffAt != -1 {
		t.Fatalf("before disabling: %d, differs at %d", got.status, got.diffAt)
	}
	u.c.ok(u.c.post(userDisablePath, e.adminTok, map[string]string{"user_id": u.acct.id}), nil)
	u.c.fail(u.c.get(url, ""), 403, "FORBIDDEN")
	u.c.fail(u.c.get(url, "", header{"Range", "bytes=10-20"}), 403, "FORBIDDEN")
	ds, err := u.st.Download(u.grpcCtx(time.Minute), &sv1.DownloadRequest{Id: f.GetId()})
	if err == nil {
		_, err = ds.Recv()
	}
	grpcFail(t, "gRPC Download of a disabled user", err, 401, "TOKEN_REVOKED")
	// Enabled again, a fresh sign-in and a fresh URL work; the old URL stays dead.
	u.c.ok(u.c.post(userEnablePath, e.adminTok, map[string]string{"user_id": u.acct.id}), nil)
	tok := e.login(t, u.c, u.acct).GetAccessToken()
	fresh := u.fileURL2(tok, f.GetId())
	if got := u.fetch(fresh, c); got.status != http.StatusOK || got.diffAt != -1 {
		t.Errorf("a URL signed after re-enabling: %d", got.status)
	}
	u.c.fail(u.c.get(url, ""), 403, "FORBIDDEN")
}

// signShare opens share token as an anonymous visitor and signs a download
// of its shared item.
func (e *env) signShare(t *testing.T, token string) (*visitor, string) {
	t.Helper()
	v := e.anonymous(t)
	at := v.mustOpen(token, "")
	var r shv1.DownloadShareReply
	v.c.ok(v.download(at, ""), &r)
	return v, r.GetUrl()
}

// A share's signed URL stops when the share is revoked, not when it
// expires; a zip of a shared folder too.
func (e *env) testShareURLRevoked(t *testing.T) {
	owner := e.storeUser(t, "sh-url-rev")
	f := owner.uploadHTTP("", "r.bin", small(211, 3000))
	dir := owner.mkdir("", "shared-dir")
	owner.uploadHTTP(dir.GetId(), "in.bin", small(212, 3000))
	s := owner.createShare(map[string]any{"node_id": f.GetId()})
	sd := owner.createShare(map[string]any{"node_id": dir.GetId()})
	v, u := e.signShare(t, s.GetToken())
	_, zu := e.signShare(t, sd.GetToken())
	v.fetch(u)
	v.fetch(zu)
	for _, tok := range []string{s.GetToken(), sd.GetToken()} {
		owner.c.ok(owner.post(shareRevokePath, map[string]string{"token": tok}), nil)
	}
	v.c.fail(v.c.get(u, ""), 410, "SHARE_REVOKED")
	v.c.fail(v.c.get(u, "", header{"Range", "bytes=100-"}), 410, "SHARE_REVOKED")
	v.c.fail(v.c.get(zu, ""), 410, "SHARE_REVOKED")
}

// The download limit is counted per GET served from the first byte, not
// per URL signed: with a limit of 1, the second GET of the same URL is
// refused; a Range continuing the download is served and not counted.
func (e *env) testShareURLCountedPerGET(t *testing.T) {
	owner := e.storeUser(t, "sh-url-lim")
	c := small(221, 70_000)
	f := owner.uploadHTTP("", "once.bin", c)
	s := owner.createShare(map[string]any{"node_id": f.GetId(), "max_downloads": 1})
	v, u := e.signShare(t, s.GetToken())
	// A later Range: checked, not counted.
	if r := v.c.get(u, "", header{"Range", "bytes=1000-"}); r.status != http.StatusPartialContent || !bytes.Equal(r.body, c.bytes(1000, c.size-1000)) {
		t.Fatalf("a continuation before any download: %d, %d bytes", r.status, len(r.body))
	}
	if d := owner.myShare(s.GetToken()).GetDownloads(); d != 0 {
		t.Errorf("a continuation was counted: %d downloads", d)
	}
	if b := v.fetch(u); !bytes.Equal(b, c.bytes(0, c.size)) {
		t.Errorf("the one download: %d bytes differ", len(b))
	}
	// The download the limit allowed can still be resumed...
	if r := v.c.get(u, "", header{"Range", "bytes=500-"}); r.status != http.StatusPartialContent {
		t.Errorf("resuming the allowed download: %s", r)
	}
	// ...but a second download of the same URL is refused, and so is a
	// fresh URL.
	v.c.fail(v.c.get(u, ""), 410, "SHARE_LIMIT_REACHED")
	v.c.fail(v.c.get(u, "", header{"Range", "bytes=0-99"}), 410, "SHARE_LIMIT_REACHED")
	w := e.anonymous(t)
	w.c.fail(w.open(s.GetToken(), ""), 410, "SHARE_LIMIT_REACHED")
	if d := owner.myShare(s.GetToken()).GetDownloads(); d != 1 {
		t.Errorf("downloads = %d, want 1", d)
	}
}

// A share's URL stops at once when its owner is disabled.
func (e *env) testShareURLDisabledOwner(t *testing.T) {
	owner := e.storeUser(t, "sh-url-dis")
	f := owner.uploadHTTP("", "d.bin", small(231, 3000))
	s := owner.createShare(map[string]any{"node_id": f.GetId()})
	v, u := e.signShare(t, s.GetToken())
	v.fetch(u)
	owner.c.ok(owner.c.post(userDisablePath, e.adminTok, map[string]string{"user_id": owner.acct.id}), nil)
	r := v.c.get(u, "")
	if r.status != http.StatusForbidden && r.status != http.StatusGone {
		t.Errorf("a share URL of a disabled owner: %s, want 403 or 410", r)
	}
}
