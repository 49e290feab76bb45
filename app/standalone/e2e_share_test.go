package standalone_test

// The end-to-end test of the share and notify services in the standalone
// drive: over real HTTP, every re-check a share makes is driven by a real
// change of state (time passing, a download counted, the owner revoking,
// trashing, restoring and purging, the admin disabling and enabling the
// owner), a share token is tried against ids outside the shared subtree
// (the parent, a sibling, another user's nodes, garbage), the extraction
// code limiter is hit, saving into another account is checked for bytes and
// quota, and the notifications that the events make (outbox → relay →
// in-process bus → notify) are polled for until they show, once each.

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	fv1 "clouddrive/api/file/v1"
	nv1 "clouddrive/api/notify/v1"
	shv1 "clouddrive/api/share/v1"
)

const (
	shareCreatePath   = "/v1/share/create"
	shareListPath     = "/v1/share/list"
	shareReceivedPath = "/v1/share/received"
	shareRevokePath   = "/v1/share/revoke"
	shareOpenPath     = "/v1/share/open"
	shareBrowsePath   = "/v1/share/browse"
	shareDownloadPath = "/v1/share/download"
	shareSavePath     = "/v1/share/save"
	notifyListPath    = "/v1/notify/list"
	notifyUnreadPath  = "/v1/notify/unread_count"
	notifyReadPath    = "/v1/notify/read"
	userDisablePath   = "/v1/admin/user/disable"
	userEnablePath    = "/v1/admin/user/enable"
)

func TestE2EShare(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the standalone binary (skipped with -short)")
	}
	bin := binary(t)
	started := time.Now()
	srv := startServer(t, bin)
	t.Logf("standalone healthy in %v: http %s, grpc %s", time.Since(started).Round(time.Millisecond), srv.httpAddr, srv.grpcAddr)
	e := &env{srv: srv, book: newSecretBook(), ips: &ipPool{}}
	{
		c, _ := e.clients(t)
		e.admin = e.register(t, c, "root", "root@example.com")
		if e.admin.role != "admin" {
			t.Fatalf("the first account has role %q, want admin", e.admin.role)
		}
		e.adminTok = e.login(t, c, e.admin).GetAccessToken()
	}

	for _, sc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"expiry", e.testShareExpiry},
		{"download_limit", e.testShareDownloadLimit},
		{"revoke", e.testShareRevoke},
		{"trashed_node", e.testShareTrashedNode},
		{"disabled_owner", e.testShareDisabledOwner},
		{"subtree_escape", e.testShareSubtreeEscape},
		{"brute_force", e.testShareBruteForce},
		{"save_into_another_account", e.testShareSave},
		{"notifications", e.testShareNotifications},
		{"thumbnails", e.testShareThumbnails},
	} {
		start := time.Now()
		t.Run(sc.name, sc.fn)
		t.Logf("%s: %v", sc.name, time.Since(start).Round(time.Millisecond))
	}
}

// ---------------------------------------------------------------------------
// Helpers: an owner's side (storeUser), a visitor's side (anonymous or
// signed in), downloads of signed URLs.

// createShare shares with the given request body and checks the reply.
func (u *storeUser) createShare(body map[string]any) *shv1.ShareInfo {
	u.t.Helper()
	var s shv1.ShareInfo
	u.c.ok(u.post(shareCreatePath, body), &s)
	if len(s.GetToken()) < 22 || s.GetUrl() == "" || s.GetNodeId() != body["node_id"] {
		u.t.Fatalf("create share %v: unexpected reply %v", body, &s)
	}
	return &s
}

// myShare is the owner's listing of one share (counters, state).
func (u *storeUser) myShare(token string) *shv1.ShareInfo {
	u.t.Helper()
	var r shv1.ListSharesReply
	u.c.ok(u.get(shareListPath, url.Values{"page_size": {"1000"}}), &r)
	for _, s := range r.GetItems() {
		if s.GetToken() == token {
			return s
		}
	}
	u.t.Fatalf("share %s is not in its owner's list", token)
	return nil
}

// visitor opens shares: anonymous (bearer "") or a signed-in user.
type visitor struct {
	t      *testing.T
	c      *client
	bearer string
}

func (e *env) anonymous(t *testing.T) *visitor {
	t.Helper()
	c, _ := e.clients(t)
	return &visitor{t: t, c: c}
}

func (u *storeUser) visitor() *visitor { return &visitor{t: u.t, c: u.c, bearer: u.tok} }

func (v *visitor) with(t *testing.T) *visitor {
	vv := *v
	vv.t, vv.c = t, v.c.with(t)
	return &vv
}

func xShare(at string) header { return header{"X-Share-Token", at} }

func (v *visitor) open(token, code string) *response {
	v.t.Helper()
	return v.c.post(shareOpenPath, v.bearer, map[string]string{"token": token, "code": code})
}

// mustOpen opens a share and returns its access token.
func (v *visitor) mustOpen(token, code string) string {
	v.t.Helper()
	var r shv1.OpenShareReply
	v.c.ok(v.open(token, code), &r)
	if r.GetAccessToken() == "" || r.GetShare().GetToken() != token || r.GetExpiresIn() <= 0 {
		v.t.Fatalf("open %s: unexpected reply %v", token, &r)
	}
	if r.GetShare().GetCode() != "" || r.GetShare().GetRecipient() != "" {
		v.t.Errorf("open %s shows the code or the recipient to a visitor: %v", token, r.GetShare())
	}
	return r.GetAccessToken()
}

func (v *visitor) browse(at, parent string) *response {
	v.t.Helper()
	q := url.Values{"parent_id": {parent}, "page_size": {"1000"}}
	return v.c.get(shareBrowsePath+"?"+q.Encode(), v.bearer, xShare(at))
}

// mustBrowse lists a folder of the share and returns the names.
func (v *visitor) mustBrowse(at, parent string) []*fv1.Node {
	v.t.Helper()
	var r shv1.BrowseShareReply
	v.c.ok(v.browse(at, parent), &r)
	return r.GetItems()
}

func (v *visitor) download(at, node string) *response {
	v.t.Helper()
	return v.c.post(shareDownloadPath, v.bearer, map[string]string{"node_id": node}, xShare(at))
}

// mustDownload signs a download of node and fetches it whole.
func (v *visitor) mustDownload(at, node string) []byte {
	v.t.Helper()
	var r shv1.DownloadShareReply
	v.c.ok(v.download(at, node), &r)
	if !strings.HasPrefix(r.GetUrl(), "/") || r.GetExpiresAt() == "" {
		v.t.Fatalf("share download of %s: unexpected reply %v", node, &r)
	}
	return v.fetch(r.GetUrl())
}

// fetch GETs a signed URL without any token and returns the body.
func (v *visitor) fetch(path string) []byte {
	v.t.Helper()
	r := v.c.get(path, "")
	if r.status != http.StatusOK {
		v.t.Fatalf("GET %s: %d %s", path, r.status, bytes.TrimSpace(r.body[:min(len(r.body), 300)]))
	}
	return r.body
}

func (v *visitor) save(at string, ids []string, parent string) *response {
	v.t.Helper()
	return v.c.post(shareSavePath, v.bearer, map[string]any{"node_ids": ids, "parent_id": parent}, xShare(at))
}

// denied checks every way in with at: browse, download and (for a signed-in
// visitor) save answer status/reason, and so does opening the share anew.
func (v *visitor) denied(at, token, code string, status int, reason string) {
	v.t.Helper()
	v.c.fail(v.open(token, code), status, reason)
	v.c.fail(v.browse(at, ""), status, reason)
	v.c.fail(v.download(at, ""), status, reason)
	if v.bearer != "" {
		v.c.fail(v.save(at, []string{"1"}, ""), status, reason)
	}
}

// untilPast sleeps until the RFC 3339 instant at has passed (by margin).
func untilPast(t *testing.T, at string, margin time.Duration) {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		t.Fatalf("expires_at %q: %v", at, err)
	}
	if d := time.Until(ts.Add(margin)); d > 0 {
		time.Sleep(d)
	}
}

// small is a deterministic content of n bytes.
func small(seed uint64, n int64) content { return content{seed: seed, size: n} }

func (e *env) disable(t *testing.T, c *client, uid string, on bool) {
	t.Helper()
	p := userEnablePath
	if on {
		p = userDisablePath
	}
	c.ok(c.post(p, e.adminTok, map[string]string{"user_id": uid}), nil)
}

func (e *env) setQuota(t *testing.T, c *client, uid string, limit int64) {
	t.Helper()
	var r fv1.UsageReply
	c.ok(c.post(quotaSet, e.adminTok, map[string]any{"user_id": uid, "limit_bytes": strconv.FormatInt(limit, 10)}), &r)
	if r.GetLimitBytes() != limit {
		t.Fatalf("set quota of %s to %d: reply %v", uid, limit, &r)
	}
}

// ---------------------------------------------------------------------------
// Expiry: a share made to last 2 s stops opening, browsing and downloading
// once they are up, for an access token obtained before too.

func (e *env) testShareExpiry(t *testing.T) {
	owner := e.storeUser(t, "sh-exp-owner")
	dir := owner.mkdir("", "expiring")
	c := small(101, 5000)
	f := owner.uploadHTTP(dir.GetId(), "e.bin", c)
	forever := owner.createShare(map[string]any{"node_id": dir.GetId()})
	s := owner.createShare(map[string]any{"node_id": dir.GetId(), "code": "ex42", "expires_in_seconds": 2})
	if s.GetExpiresAt() == "" || s.GetCode() != "ex42" {
		t.Fatalf("a 2 s share without expires_at or its code: %v", s)
	}
	if forever.GetExpiresAt() != "" {
		t.Errorf("a share without expiry has expires_at %q", forever.GetExpiresAt())
	}

	v := e.anonymous(t)
	at := v.mustOpen(s.GetToken(), "ex42")
	before := time.Now()
	if got := names(v.mustBrowse(at, "")); len(got) != 1 || got[0] != "e.bin" {
		t.Errorf("browse before expiry = %q", got)
	}
	if b := v.mustDownload(at, f.GetId()); !bytes.Equal(b, c.bytes(0, c.size)) {
		t.Errorf("download before expiry: %d bytes differ from the upload", len(b))
	}
	t.Logf("used the share %v before it expired at %s", time.Since(before).Round(time.Millisecond), s.GetExpiresAt())

	untilPast(t, s.GetExpiresAt(), 300*time.Millisecond)
	v.denied(at, s.GetToken(), "ex42", 410, "SHARE_EXPIRED")
	v.c.fail(v.download(at, f.GetId()), 410, "SHARE_EXPIRED")
	// A signed-in visitor cannot save from it either.
	saver := e.storeUser(t, "sh-exp-saver")
	sv := saver.visitor()
	sv.c.fail(sv.save(at, []string{f.GetId()}, ""), 410, "SHARE_EXPIRED")
	if got := saver.list(""); len(got) != 0 {
		t.Errorf("saving from an expired share made %q", names(got))
	}
	if st := owner.myShare(s.GetToken()).GetState(); st != "expired" {
		t.Errorf("the owner's list shows the expired share as %q, want expired", st)
	}
	// The share without expiry, on the same folder, is unaffected.
	at2 := v.mustOpen(forever.GetToken(), "")
	if got := names(v.mustBrowse(at2, "")); len(got) != 1 {
		t.Errorf("the share without expiry lists %q", got)
	}
	if st := owner.myShare(forever.GetToken()).GetState(); st != "" {
		t.Errorf("the share without expiry shows state %q", st)
	}
}

// ---------------------------------------------------------------------------
// Download limit: max_downloads 1 gives one download, then 410.

func (e *env) testShareDownloadLimit(t *testing.T) {
	owner := e.storeUser(t, "sh-lim-owner")
	c := small(202, 70_000)
	f := owner.uploadHTTP("", "once.bin", c)
	s := owner.createShare(map[string]any{"node_id": f.GetId(), "max_downloads": 1})
	if s.GetMaxDownloads() != 1 || s.GetKind() != "file" {
		t.Fatalf("share reply %v", s)
	}

	v := e.anonymous(t)
	at := v.mustOpen(s.GetToken(), "")
	// Browsing a shared file lists the file; it counts nothing.
	for i := 0; i < 3; i++ {
		if got := v.mustBrowse(at, ""); len(got) != 1 || got[0].GetName() != "once.bin" || got[0].GetParentId() != "" {
			t.Fatalf("browsing a shared file = %v", got)
		}
	}
	if b := v.mustDownload(at, ""); !bytes.Equal(b, c.bytes(0, c.size)) {
		t.Errorf("the one download: %d bytes differ from the upload", len(b))
	}
	v.c.fail(v.download(at, ""), 410, "SHARE_LIMIT_REACHED")
	v.c.fail(v.download(at, f.GetId()), 410, "SHARE_LIMIT_REACHED")
	// Another visitor, and a fresh open, get the same.
	w := e.anonymous(t)
	w.c.fail(w.open(s.GetToken(), ""), 410, "SHARE_LIMIT_REACHED")
	v.denied(at, s.GetToken(), "", 410, "SHARE_LIMIT_REACHED")
	info := owner.myShare(s.GetToken())
	if info.GetDownloads() != 1 || info.GetState() != "limit_reached" {
		t.Errorf("owner's view after the limit: downloads %d, state %q; want 1, limit_reached", info.GetDownloads(), info.GetState())
	}

	// Racing downloads of a limit-2 share: exactly two GETs are served.
	// Downloads are counted per GET served from the first byte, not per URL
	// signed: one URL fetched eight times at once.
	s2 := owner.createShare(map[string]any{"node_id": f.GetId(), "max_downloads": 2})
	at2 := v.mustOpen(s2.GetToken(), "")
	var dr shv1.DownloadShareReply
	v.c.ok(v.download(at2, ""), &dr)
	const n = 8
	results := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() {
			r, err := v.c.hc.Get(v.c.base + dr.GetUrl())
			if err != nil {
				results <- -1
				return
			}
			_, _ = io.Copy(io.Discard, r.Body)
			r.Body.Close()
			results <- r.StatusCode
		}()
	}
	got := map[int]int{}
	for i := 0; i < n; i++ {
		got[<-results]++
	}
	if got[200] != 2 || got[410] != n-2 {
		t.Errorf("%d racing GETs of a limit-2 share: statuses %v, want 2×200 and %d×410", n, got, n-2)
	}
	if d := owner.myShare(s2.GetToken()).GetDownloads(); d != 2 {
		t.Errorf("limit-2 share counts %d downloads", d)
	}
}

// ---------------------------------------------------------------------------
// Revoke: an open share token stops working at once.

func (e *env) testShareRevoke(t *testing.T) {
	owner := e.storeUser(t, "sh-rev-owner")
	stranger := e.storeUser(t, "sh-rev-stranger")
	dir := owner.mkdir("", "revocable")
	f := owner.uploadHTTP(dir.GetId(), "r.bin", small(303, 3000))
	s := owner.createShare(map[string]any{"node_id": dir.GetId(), "generate_code": true})
	if len(s.GetCode()) != 4 {
		t.Fatalf("generate_code gave code %q", s.GetCode())
	}
	saver := e.storeUser(t, "sh-rev-saver")
	v := saver.visitor()
	at := v.mustOpen(s.GetToken(), s.GetCode())
	if got := names(v.mustBrowse(at, "")); len(got) != 1 {
		t.Fatalf("browse = %q", got)
	}

	// Only its owner revokes it: anybody else's attempt is "not found"
	// and changes nothing.
	stranger.c.fail(stranger.post(shareRevokePath, map[string]string{"token": s.GetToken()}), 404, "SHARE_NOT_FOUND")
	owner.c.fail(owner.c.post(shareRevokePath, "", map[string]string{"token": s.GetToken()}), 401, "UNAUTHENTICATED")
	v.c.fail(v.c.post(shareRevokePath, "", map[string]string{"token": s.GetToken()}, xShare(at)), 401, "UNAUTHENTICATED")
	if got := names(v.mustBrowse(at, "")); len(got) != 1 {
		t.Fatalf("browse after refused revokes = %q", got)
	}

	owner.c.ok(owner.post(shareRevokePath, map[string]string{"token": s.GetToken()}), nil)
	// At once: no grace period, no cached state.
	v.denied(at, s.GetToken(), s.GetCode(), 410, "SHARE_REVOKED")
	v.c.fail(v.download(at, f.GetId()), 410, "SHARE_REVOKED")
	v.c.fail(v.save(at, []string{f.GetId()}, ""), 410, "SHARE_REVOKED")
	if got := saver.list(""); len(got) != 0 {
		t.Errorf("saving from a revoked share made %q", names(got))
	}
	// Revoking again is harmless; the share stays revoked.
	owner.c.ok(owner.post(shareRevokePath, map[string]string{"token": s.GetToken()}), nil)
	info := owner.myShare(s.GetToken())
	if !info.GetRevoked() || info.GetState() != "revoked" {
		t.Errorf("owner's view after revoking: revoked %v, state %q", info.GetRevoked(), info.GetState())
	}
	// The owner themself, signed in, cannot open it either.
	ov := owner.visitor()
	ov.c.fail(ov.open(s.GetToken(), ""), 410, "SHARE_REVOKED")
}

// ---------------------------------------------------------------------------
// Trashed node: delete → gone; restore → works again; purge → gone for good.

func (e *env) testShareTrashedNode(t *testing.T) {
	owner := e.storeUser(t, "sh-trash-owner")
	dir := owner.mkdir("", "binnable")
	c := small(404, 9000)
	f := owner.uploadHTTP(dir.GetId(), "t.bin", c)
	s := owner.createShare(map[string]any{"node_id": dir.GetId(), "code": "TR55"})
	saver := e.storeUser(t, "sh-trash-saver")
	v := saver.visitor()
	at := v.mustOpen(s.GetToken(), "tr55") // codes are case-insensitive

	owner.c.ok(owner.post(fileDelete, map[string]any{"ids": []string{dir.GetId()}}), nil)
	v.denied(at, s.GetToken(), "TR55", 410, "SHARE_GONE")
	v.c.fail(v.download(at, f.GetId()), 410, "SHARE_GONE")
	if st := owner.myShare(s.GetToken()).GetState(); st != "gone" {
		t.Errorf("owner's view of a share of a trashed folder: state %q, want gone", st)
	}

	owner.c.ok(owner.post(fileRestore, map[string]any{"ids": []string{dir.GetId()}}), nil)
	// The access token obtained before works again, and so does opening.
	if got := names(v.mustBrowse(at, "")); len(got) != 1 || got[0] != "t.bin" {
		t.Errorf("browse after restore = %q", got)
	}
	if b := v.mustDownload(at, f.GetId()); !bytes.Equal(b, c.bytes(0, c.size)) {
		t.Errorf("download after restore: %d bytes differ", len(b))
	}
	at = v.mustOpen(s.GetToken(), "TR55")

	// Only the file inside is trashed: the folder is shared still, the file
	// is not in it any more.
	owner.c.ok(owner.post(fileDelete, map[string]any{"ids": []string{f.GetId()}}), nil)
	if got := names(v.mustBrowse(at, "")); len(got) != 0 {
		t.Errorf("browse with the file in the trash = %q", got)
	}
	v.c.fail(v.download(at, f.GetId()), 404, "NOT_IN_SHARE")
	v.c.fail(v.save(at, []string{f.GetId()}, ""), 404, "NOT_IN_SHARE")
	owner.c.ok(owner.post(fileRestore, map[string]any{"ids": []string{f.GetId()}}), nil)
	if got := names(v.mustBrowse(at, "")); len(got) != 1 {
		t.Errorf("browse after restoring the file = %q", got)
	}

	// Purged: gone for good, whatever comes after.
	owner.c.ok(owner.post(fileDelete, map[string]any{"ids": []string{dir.GetId()}}), nil)
	var pr fv1.PurgeReply
	owner.c.ok(owner.post(filePurge, map[string]any{"ids": []string{dir.GetId()}}), &pr)
	if pr.GetPurged() < 2 || pr.GetFreedBytes() != c.size {
		t.Errorf("purge reply %v, want ≥ 2 nodes and %d bytes", &pr, c.size)
	}
	v.denied(at, s.GetToken(), "TR55", 410, "SHARE_GONE")
	// A new folder of the same name is another node: the share stays gone.
	owner.mkdir("", "binnable")
	v.denied(at, s.GetToken(), "TR55", 410, "SHARE_GONE")
	if st := owner.myShare(s.GetToken()).GetState(); st != "gone" {
		t.Errorf("owner's view of a share of a purged folder: state %q, want gone", st)
	}
	if got := saver.list(""); len(got) != 0 {
		t.Errorf("the saver's drive holds %q", names(got))
	}
}

// ---------------------------------------------------------------------------
// Disabled owner: the admin disables the owner → gone; enables → works.

func (e *env) testShareDisabledOwner(t *testing.T) {
	c, _ := e.clients(t)
	owner := e.storeUser(t, "sh-dis-owner")
	data := small(505, 4321)
	f := owner.uploadHTTP("", "d.bin", data)
	s := owner.createShare(map[string]any{"node_id": f.GetId()})
	saver := e.storeUser(t, "sh-dis-saver")
	v := saver.visitor()
	at := v.mustOpen(s.GetToken(), "")
	if got := names(v.mustBrowse(at, "")); len(got) != 1 {
		t.Fatalf("browse = %q", got)
	}

	e.disable(t, c, owner.acct.id, true)
	v.denied(at, s.GetToken(), "", 410, "SHARE_GONE")
	if got := saver.list(""); len(got) != 0 {
		t.Errorf("saving from a disabled owner's share made %q", names(got))
	}

	e.disable(t, c, owner.acct.id, false)
	if got := names(v.mustBrowse(at, "")); len(got) != 1 || got[0] != "d.bin" {
		t.Errorf("browse after enabling the owner = %q", got)
	}
	if b := v.mustDownload(at, ""); !bytes.Equal(b, data.bytes(0, data.size)) {
		t.Errorf("download after enabling: %d bytes differ", len(b))
	}
	v.mustOpen(s.GetToken(), "")
}

// ---------------------------------------------------------------------------
// Escaping the shared subtree: a share of a subfolder, and ids from outside
// it (its parent, a sibling, files beside it, another user's nodes,
// garbage) sent to browse, download and save.

func (e *env) testShareSubtreeEscape(t *testing.T) {
	owner := e.storeUser(t, "sh-esc-owner")
	other := e.storeUser(t, "sh-esc-other")
	saver := e.storeUser(t, "sh-esc-saver")

	top := owner.mkdir("", "top")
	sub := owner.mkdir(top.GetId(), "sub")
	deep := owner.mkdir(sub.GetId(), "deep")
	inner := owner.uploadHTTP(sub.GetId(), "inner.bin", small(601, 2000))
	deepFile := owner.uploadHTTP(deep.GetId(), "deep.bin", small(602, 3000))
	sib := owner.mkdir(top.GetId(), "sibling-secret")
	sibFile := owner.uploadHTTP(sib.GetId(), "sibling-secret.bin", small(603, 4000))
	topFile := owner.uploadHTTP(top.GetId(), "top-secret.bin", small(604, 5000))
	rootFile := owner.uploadHTTP("", "root-secret.bin", small(605, 6000))
	trashed := owner.uploadHTTP(sub.GetId(), "trashed-secret.bin", small(606, 700))
	owner.c.ok(owner.post(fileDelete, map[string]any{"ids": []string{trashed.GetId()}}), nil)

	otherDir := other.mkdir("", "other-secret-dir")
	otherFile := other.uploadHTTP(otherDir.GetId(), "other-secret.bin", small(607, 8000))
	// The other user shares too: that share's own token does not open
	// anything of the first share.
	otherShare := other.createShare(map[string]any{"node_id": otherDir.GetId()})

	s := owner.createShare(map[string]any{"node_id": sub.GetId(), "code": "sub1"})
	v := saver.visitor()
	at := v.mustOpen(s.GetToken(), "sub1")

	// Inside: the share's root, hiding where it sits, and what is below.
	root := v.mustBrowse(at, "")
	sort.Slice(root, func(i, j int) bool { return root[i].GetName() < root[j].GetName() })
	if got := names(root); strings.Join(got, ",") != "deep,inner.bin" {
		t.Fatalf("browse of the share = %q, want deep, inner.bin", got)
	}
	if got := names(v.mustBrowse(at, deep.GetId())); len(got) != 1 || got[0] != "deep.bin" {
		t.Errorf("browse of deep = %q", got)
	}
	if got := v.mustBrowse(at, sub.GetId()); len(got) != 2 {
		t.Errorf("browse by the shared folder's own id = %q", names(got))
	}
	v.mustDownload(at, deepFile.GetId())

	secretNames := []string{"top", "sibling-secret", "top-secret", "root-secret", "other-secret", "trashed-secret"}
	foreign := []struct{ what, id string }{
		{"the parent folder", top.GetId()},
		{"a sibling folder", sib.GetId()},
		{"a file in the sibling", sibFile.GetId()},
		{"a file beside the shared folder", topFile.GetId()},
		{"a file at the owner's root", rootFile.GetId()},
		{"a trashed file inside the shared folder", trashed.GetId()},
		{"another user's folder", otherDir.GetId()},
		{"another user's file", otherFile.GetId()},
		{"the saver's own folder", saver.mkdir("", "mine").GetId()},
		{"garbage: letters", "abc"},
		{"garbage: zero", "0"},
		{"garbage: negative", "-1"},
		{"garbage: max int64", "9223372036854775807"},
		{"garbage: overflow", "99999999999999999999"},
		{"garbage: sql", "1 OR 1=1"},
		{"garbage: path", "../" + top.GetId()},
		{"garbage: hex", "0x" + strconv.FormatInt(mustInt(t, top.GetId()), 16)},
		{"garbage: signed", "+" + top.GetId()},
		{"garbage: spaced", " " + top.GetId()},
		{"garbage: decimal", top.GetId() + ".0"},
	}
	leak := func(t *testing.T, r *response) {
		t.Helper()
		for _, n := range secretNames {
			if bytes.Contains(r.body, []byte(n)) {
				t.Errorf("the answer names %q: %s", n, r)
			}
		}
	}
	for _, f := range foreign {
		t.Run(f.what, func(t *testing.T) {
			vv := v.with(t)
			for _, r := range []*response{
				vv.browse(at, f.id),
				vv.download(at, f.id),
				vv.save(at, []string{f.id}, ""),
				// Mixed with a legitimate id, the whole save is refused.
				vv.save(at, []string{inner.GetId(), f.id}, ""),
				vv.save(at, []string{f.id, sub.GetId()}, ""),
			} {
				vv.c.fail(r, 404, "NOT_IN_SHARE")
				leak(t, r)
			}
		})
	}
	// The other user's share token is a token for the other share only.
	ov := e.anonymous(t)
	oat := ov.mustOpen(otherShare.GetToken(), "")
	for _, id := range []string{sub.GetId(), inner.GetId(), deep.GetId()} {
		ov.c.fail(ov.browse(oat, id), 404, "NOT_IN_SHARE")
		ov.c.fail(ov.download(oat, id), 404, "NOT_IN_SHARE")
	}
	// No header, a forged or a mangled token.
	for _, bad := range []string{"", "x", s.GetToken(), at + "x", strings.Replace(at, s.GetToken(), otherShare.GetToken(), 1)} {
		v.c.fail(v.browse(bad, ""), 401, "SHARE_TOKEN_INVALID")
		v.c.fail(v.download(bad, inner.GetId()), 401, "SHARE_TOKEN_INVALID")
	}

	// Nothing was saved, nothing was charged, and the downloads of the
	// refused ids were never counted.
	if got := names(saver.list("")); len(got) != 1 || got[0] != "mine" {
		t.Errorf("the saver's root after the refused saves = %q", got)
	}
	if us := saver.usage(); us.GetUsedBytes() != 0 {
		t.Errorf("the refused saves charged %d bytes", us.GetUsedBytes())
	}
	if d := owner.myShare(s.GetToken()).GetDownloads(); d != 1 {
		t.Errorf("the share counts %d downloads, want 1 (refused ids count nothing)", d)
	}
	// And a legitimate save still works.
	var sr shv1.SaveShareReply
	v.c.ok(v.save(at, []string{deep.GetId()}, ""), &sr)
	if len(sr.GetItems()) != 1 || sr.GetItems()[0].GetName() != "deep" {
		t.Errorf("save of deep = %v", sr.GetItems())
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("id %q is not an integer", s)
	}
	return n
}

// ---------------------------------------------------------------------------
// Brute force: 10 wrong codes → 429; the right code during the cool-down →
// 429 too (from another address as well); another share still opens.

func (e *env) testShareBruteForce(t *testing.T) {
	owner := e.storeUser(t, "sh-bf-owner")
	f := owner.uploadHTTP("", "bf.bin", small(701, 1000))
	s := owner.createShare(map[string]any{"node_id": f.GetId(), "code": "r1gh"})
	other := owner.createShare(map[string]any{"node_id": f.GetId(), "code": "0th3"})

	v := e.anonymous(t)
	// An empty code asks for one and is no attempt.
	for i := 0; i < 12; i++ {
		got := v.c.fail(v.open(s.GetToken(), ""), 403, "CODE_WRONG")
		if got.Metadata["code_required"] != "true" {
			t.Fatalf("open without a code: metadata %v, want code_required", got.Metadata)
		}
	}
	wrong := []string{"aaaa", "bbbb", "0000", "1234", "r1gg", "zzzz", "abcd", "9999", "qwer", "r1gX"}
	for i, code := range wrong {
		r := v.open(s.GetToken(), code)
		if r.status != 403 {
			t.Fatalf("wrong code %d (%q): want 403 CODE_WRONG, got %s", i+1, code, r)
		}
		v.c.fail(r, 403, "CODE_WRONG")
	}
	r := v.open(s.GetToken(), "nope")
	got := v.c.fail(r, 429, "RATE_LIMITED")
	if secs, err := strconv.Atoi(got.Metadata["retry_after_seconds"]); err != nil || secs < 60 {
		t.Errorf("after 10 wrong codes: retry_after_seconds %q, want a cool-down of minutes", got.Metadata["retry_after_seconds"])
	}
	// The right code is refused during the cool-down, from here and from
	// another client address.
	v.c.fail(v.open(s.GetToken(), "r1gh"), 429, "RATE_LIMITED")
	w := e.anonymous(t)
	w.c.fail(w.open(s.GetToken(), "r1gh"), 429, "RATE_LIMITED")
	w.c.fail(w.open(s.GetToken(), "R1GH"), 429, "RATE_LIMITED")
	// Another share, from the very same address, opens.
	at := v.mustOpen(other.GetToken(), "0th3")
	if got := names(v.mustBrowse(at, "")); len(got) != 1 {
		t.Errorf("the other share lists %q", got)
	}
	// Its wrong codes are its own count: one wrong, then right, works.
	v.c.fail(v.open(other.GetToken(), "aaaa"), 403, "CODE_WRONG")
	v.mustOpen(other.GetToken(), "0th3")
	// The views counted are the successful opens only.
	if info := owner.myShare(s.GetToken()); info.GetViews() != 0 {
		t.Errorf("the locked share counts %d views", info.GetViews())
	}
}

// ---------------------------------------------------------------------------
// Saving into another account: the saver's copy has the same bytes, counts
// against the saver's quota (not the owner's), and an over-quota save is
// 413 QUOTA_EXCEEDED.

func (e *env) testShareSave(t *testing.T) {
	c, _ := e.clients(t)
	owner := e.storeUser(t, "sh-save-owner")
	saver := e.storeUser(t, "sh-save-saver")
	poor := e.storeUser(t, "sh-save-poor")

	dir := owner.mkdir("", "album")
	a := small(801, 1<<20+12345) // several chunks' worth of odd size
	b := small(802, 54321)
	fa := owner.uploadHTTP(dir.GetId(), "a.bin", a)
	nested := owner.mkdir(dir.GetId(), "nested")
	fb := owner.uploadHTTP(nested.GetId(), "b.bin", b)
	s := owner.createShare(map[string]any{"node_id": dir.GetId(), "code": "sv77"})
	ownerBefore := owner.usage().GetUsedBytes()
	if ownerBefore != a.size+b.size {
		t.Fatalf("owner uses %d, want %d", ownerBefore, a.size+b.size)
	}

	v := saver.visitor()
	at := v.mustOpen(s.GetToken(), "sv77")
	dest := saver.mkdir("", "saved")
	var sr shv1.SaveShareReply
	v.c.ok(v.save(at, []string{fa.GetId()}, dest.GetId()), &sr)
	if len(sr.GetItems()) != 1 || sr.GetItems()[0].GetName() != "a.bin" || sr.GetItems()[0].GetId() == fa.GetId() ||
		sr.GetItems()[0].GetParentId() != dest.GetId() || sr.GetItems()[0].GetSize() != a.size {
		t.Fatalf("save reply %v", sr.GetItems())
	}
	copyA := sr.GetItems()[0]
	if us := saver.usage(); us.GetUsedBytes() != a.size {
		t.Errorf("saver uses %d after saving a.bin, want %d", us.GetUsedBytes(), a.size)
	}
	if got := owner.usage().GetUsedBytes(); got != ownerBefore {
		t.Errorf("the owner's usage changed from %d to %d", ownerBefore, got)
	}
	// The saver downloads the copy as their own file: the same bytes.
	fr := saver.fetch(saver.fileURL(copyA.GetId()), a)
	if fr.status != 200 || fr.n != a.size || fr.diffAt >= 0 || fr.hash != a.hash() {
		t.Errorf("the saver's download of the copy: status %d, %d bytes, first difference at %d", fr.status, fr.n, fr.diffAt)
	}

	// The whole shared folder, by the shared node's id, into the root.
	sr.Reset()
	v.c.ok(v.save(at, []string{dir.GetId()}, ""), &sr)
	if len(sr.GetItems()) != 1 || sr.GetItems()[0].GetName() != "album" || sr.GetItems()[0].GetKind() != "folder" {
		t.Fatalf("save of the folder: %v", sr.GetItems())
	}
	var copyB *fv1.Node
	for _, n := range saver.list(sr.GetItems()[0].GetId()) {
		if n.GetName() == "nested" {
			for _, m := range saver.list(n.GetId()) {
				if m.GetName() == "b.bin" {
					copyB = m
				}
			}
		}
	}
	if copyB == nil || copyB.GetId() == fb.GetId() {
		t.Fatalf("the saved folder does not hold nested/b.bin: %v", copyB)
	}
	if fr := saver.fetch(saver.fileURL(copyB.GetId()), b); fr.status != 200 || fr.diffAt >= 0 || fr.n != b.size {
		t.Errorf("the saver's download of nested/b.bin: status %d, %d bytes, first difference at %d", fr.status, fr.n, fr.diffAt)
	}
	if us := saver.usage(); us.GetUsedBytes() != 2*a.size+b.size {
		t.Errorf("saver uses %d after saving the folder, want %d", us.GetUsedBytes(), 2*a.size+b.size)
	}
	// The copies are the saver's: deleting the owner's originals (and
	// purging them) leaves them whole.
	owner.c.ok(owner.post(fileDelete, map[string]any{"ids": []string{fa.GetId()}}), nil)
	owner.c.ok(owner.post(filePurge, map[string]any{"ids": []string{fa.GetId()}}), nil)
	if fr := saver.fetch(saver.fileURL(copyA.GetId()), a); fr.status != 200 || fr.diffAt >= 0 || fr.n != a.size {
		t.Errorf("the saver's copy after the owner purged the original: status %d, diff at %d", fr.status, fr.diffAt)
	}
	if info := owner.myShare(s.GetToken()); info.GetSaves() != 2 {
		t.Errorf("the share counts %d saves, want 2", info.GetSaves())
	}

	// Over quota: 413 QUOTA_EXCEEDED (not a 500), and nothing is made.
	e.setQuota(t, c, poor.acct.id, b.size-1)
	pv := poor.visitor()
	pat := pv.mustOpen(s.GetToken(), "sv77")
	r := pv.save(pat, []string{fb.GetId()}, "")
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("over-quota save: want 413, got %s", r)
	}
	pv.c.fail(r, 413, "QUOTA_EXCEEDED")
	pv.c.fail(pv.save(pat, []string{dir.GetId()}, ""), 413, "QUOTA_EXCEEDED")
	if got := poor.list(""); len(got) != 0 {
		t.Errorf("the over-quota saves made %q", names(got))
	}
	if us := poor.usage(); us.GetUsedBytes() != 0 {
		t.Errorf("the over-quota saves charged %d bytes", us.GetUsedBytes())
	}
	// With room for it, the same save goes through.
	e.setQuota(t, c, poor.acct.id, b.size)
	sr.Reset()
	pv.c.ok(pv.save(pat, []string{fb.GetId()}, ""), &sr)
	if us := poor.usage(); us.GetUsedBytes() != b.size || us.GetLimitBytes() != b.size {
		t.Errorf("poor's usage after a save that fits exactly: %v", us)
	}
	// Saving needs a signed-in user.
	anon := e.anonymous(t)
	aat := anon.mustOpen(s.GetToken(), "sv77")
	anon.c.fail(anon.save(aat, []string{fb.GetId()}, ""), 401, "UNAUTHENTICATED")
}

// ---------------------------------------------------------------------------
// Notifications: share_saved to the owner, share_received to the recipient
// named at creation, quota_warning to a user crossing 90% of their quota;
// each once, with the unread count, and marking read.

// notes lists every notification of u (following next_page_token).
func (u *storeUser) notes(unreadOnly bool) []*nv1.Notification {
	u.t.Helper()
	var out []*nv1.Notification
	token := ""
	for page := 0; page < 100; page++ {
		q := url.Values{"page_size": {"2"}, "page_token": {token}}
		if unreadOnly {
			q.Set("unread_only", "true")
		}
		var r nv1.ListNotificationsReply
		u.c.ok(u.get(notifyListPath, q), &r)
		out = append(out, r.GetItems()...)
		if token = r.GetNextPageToken(); token == "" {
			return out
		}
	}
	u.t.Fatalf("more than 100 pages of notifications")
	return nil
}

func (u *storeUser) unread() int64 {
	u.t.Helper()
	var r nv1.UnreadCountReply
	u.c.ok(u.get(notifyUnreadPath, nil), &r)
	return r.GetCount()
}

func kinds(ns []*nv1.Notification) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.GetKind()
	}
	sort.Strings(out)
	return out
}

// waitNotes polls u's notifications until want (kinds, sorted) shows, or
// the bounded wait is over.
func (u *storeUser) waitNotes(want []string, within time.Duration) []*nv1.Notification {
	u.t.Helper()
	sort.Strings(want)
	deadline := time.Now().Add(within)
	for {
		ns := u.notes(false)
		got := kinds(ns)
		if strings.Join(got, ",") == strings.Join(want, ",") {
			return ns
		}
		if time.Now().After(deadline) {
			u.t.Fatalf("%s: after %v the notifications are %q, want %q", u.acct.username, within, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (e *env) testShareNotifications(t *testing.T) {
	c, _ := e.clients(t)
	owner := e.storeUser(t, "sh-note-owner")
	recipient := e.storeUser(t, "sh-note-recipient")
	saver := e.storeUser(t, "sh-note-saver")
	quota := e.storeUser(t, "sh-note-quota")

	f := owner.uploadHTTP("", "gift.bin", small(901, 1500))
	// Sent to the recipient by name.
	sent := owner.createShare(map[string]any{"node_id": f.GetId(), "recipient": "sh-note-recipient"})
	if sent.GetRecipient() != "sh-note-recipient" {
		t.Errorf("share reply recipient %q", sent.GetRecipient())
	}
	owner.c.fail(owner.post(shareCreatePath, map[string]any{"node_id": f.GetId(), "recipient": "nobody-by-that-name"}), 400, "RECIPIENT_NOT_FOUND")
	// Saved by the saver from a public share.
	pub := owner.createShare(map[string]any{"node_id": f.GetId(), "code": "gf01"})
	v := saver.visitor()
	at := v.mustOpen(pub.GetToken(), "gf01")
	v.c.ok(v.save(at, []string{f.GetId()}, ""), nil)
	// The quota user crosses 90% of a 10000-byte quota.
	e.setQuota(t, c, quota.acct.id, 10000)
	quota.uploadHTTP("", "small.bin", small(902, 5000)) // 50%: nothing
	quota.uploadHTTP("", "big.bin", small(903, 4200))   // 92%: the warning

	const within = 15 * time.Second
	start := time.Now()
	ownerNotes := owner.waitNotes([]string{"share_saved"}, within)
	recNotes := recipient.waitNotes([]string{"share_received"}, within)
	quotaNotes := quota.waitNotes([]string{"quota_warning"}, within)
	t.Logf("the three notifications showed within %v", time.Since(start).Round(time.Millisecond))

	// What they say.
	if d := ownerNotes[0].GetData(); d["share_token"] != pub.GetToken() || d["actor_id"] != saver.acct.id || d["name"] != "gift.bin" {
		t.Errorf("share_saved data %v", d)
	}
	if d := recNotes[0].GetData(); d["share_token"] != sent.GetToken() || d["owner_id"] != owner.acct.id || d["name"] != "gift.bin" {
		t.Errorf("share_received data %v", d)
	}
	if d := quotaNotes[0].GetData(); d["used_bytes"] != "9200" || d["limit_bytes"] != "10000" {
		t.Errorf("quota_warning data %v, want used 9200 of 10000", d)
	}
	for _, n := range []*nv1.Notification{ownerNotes[0], recNotes[0], quotaNotes[0]} {
		if n.GetTitle() == "" || n.GetBody() == "" || n.GetRead() || n.GetCreatedAt() == "" || n.GetId() == "" {
			t.Errorf("notification %v: want a title, a body, unread, a time and an id", n)
		}
	}
	// The recipient sees the share under "shared with me", and opens it
	// signed in without a code.
	var rec shv1.ListSharesReply
	recipient.c.ok(recipient.get(shareReceivedPath, nil), &rec)
	if len(rec.GetItems()) != 1 || rec.GetItems()[0].GetToken() != sent.GetToken() || rec.GetItems()[0].GetCode() != "" {
		t.Errorf("shared with the recipient: %v", rec.GetItems())
	}

	// More changes that tell nobody new: staying above 90% does not warn
	// again, the owner's own save tells the owner nothing, revoking tells
	// nobody, nobody else hears of it.
	quota.uploadHTTP("", "more.bin", small(904, 300)) // 95%
	ov := owner.visitor()
	oat := ov.mustOpen(pub.GetToken(), "")
	ov.c.ok(ov.save(oat, []string{f.GetId()}, ""), nil)
	owner.c.ok(owner.post(shareRevokePath, map[string]string{"token": sent.GetToken()}), nil)
	// Give the relay several rounds to deliver anything it would.
	time.Sleep(2 * time.Second)
	for _, w := range []struct {
		u    *storeUser
		want string
	}{{owner, "share_saved"}, {recipient, "share_received"}, {quota, "quota_warning"}, {saver, ""}} {
		got := kinds(w.u.notes(false))
		if strings.Join(got, ",") != w.want {
			t.Errorf("%s has notifications %q, want exactly %q", w.u.acct.username, got, w.want)
		}
		want := int64(0)
		if w.want != "" {
			want = 1
		}
		if n := w.u.unread(); n != want {
			t.Errorf("%s: unread count %d, want %d", w.u.acct.username, n, want)
		}
	}

	// Marking read: by id, only one's own (another user's id is "not
	// found", exactly as one that does not exist); then all.
	saver.c.fail(saver.post(notifyReadPath, map[string]any{"ids": []string{ownerNotes[0].GetId()}}), 404, "NOTIFICATION_NOT_FOUND")
	saver.c.fail(saver.post(notifyReadPath, map[string]any{"ids": []string{"999999999"}}), 404, "NOTIFICATION_NOT_FOUND")
	if n := owner.unread(); n != 1 {
		t.Errorf("owner's unread count after another user's mark = %d, want 1", n)
	}
	var mr nv1.MarkReadReply
	owner.c.ok(owner.post(notifyReadPath, map[string]any{"ids": []string{ownerNotes[0].GetId()}}), &mr)
	if mr.GetMarked() != 1 {
		t.Errorf("marking the owner's notification read: marked %d, want 1", mr.GetMarked())
	}
	if n := owner.unread(); n != 0 {
		t.Errorf("owner's unread count after marking = %d, want 0", n)
	}
	if ns := owner.notes(true); len(ns) != 0 {
		t.Errorf("unread_only lists %q after marking read", kinds(ns))
	}
	if ns := owner.notes(false); len(ns) != 1 || !ns[0].GetRead() {
		t.Errorf("after marking read the list shows %v", ns)
	}
	mr.Reset()
	owner.c.ok(owner.post(notifyReadPath, map[string]any{"ids": []string{ownerNotes[0].GetId()}}), &mr)
	if mr.GetMarked() != 0 {
		t.Errorf("marking an already read notification: marked %d, want 0", mr.GetMarked())
	}
	mr.Reset()
	quota.c.ok(quota.post(notifyReadPath, map[string]any{"all": true}), &mr)
	if mr.GetMarked() != 1 || quota.unread() != 0 {
		t.Errorf("mark all: marked %d, unread %d; want 1, 0", mr.GetMarked(), quota.unread())
	}
	if n := recipient.unread(); n != 1 {
		t.Errorf("others marking read changed the recipient's unread count to %d", n)
	}
	// Anonymous callers have no notifications.
	anon, _ := e.clients(t)
	anon.fail(anon.get(notifyListPath, ""), 401, "UNAUTHENTICATED")
	anon.fail(anon.get(notifyUnreadPath, ""), 401, "UNAUTHENTICATED")
	// Chinese text on request, the data the same.
	var zh nv1.ListNotificationsReply
	recipient.c.ok(recipient.c.get(notifyListPath, recipient.tok, lang("zh-CN")), &zh)
	if len(zh.GetItems()) != 1 || !hasHan(zh.GetItems()[0].GetTitle()) {
		t.Errorf("zh-CN notification: %v", zh.GetItems())
	}
}
