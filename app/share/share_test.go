package share

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	eventsv1 "clouddrive/api/events/v1"
	v1 "clouddrive/api/share/v1"
	storagev1 "clouddrive/api/storage/v1"
	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
	"clouddrive/pkg/events"
)

// The users of the tests.
const (
	alice int64 = 1
	bob   int64 = 2
	carol int64 = 3
)

// fakeClock is the share service's time, moved by the tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// drive is the share module (SQLite, in-memory limiter) behind the real
// HTTP server and middleware, with fake file, storage and user services:
// alice owns photos/{2024/{a.jpg}, b.txt} and secret.txt beside it; bob
// owns notes/ and his own file.
type drive struct {
	t       *testing.T
	base    string
	clock   *fakeClock
	files   *fileInternalFake
	storage *storageInternalFake
	users   *userInternalFake
	module  *Module
	issuer  *auth.Issuer

	mu     sync.Mutex
	events []*eventsv1.ShareEvent

	photos, y2024, aJPG, bTXT, secret, aliceRoot2 int64
	bobNotes, bobFile                             int64
}

func newDrive(t *testing.T) *drive {
	t.Helper()
	d := &drive{t: t, clock: &fakeClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
		files: newFileInternalFake(), storage: &storageInternalFake{}, users: newUserInternalFake()}
	d.users.add(alice, "alice", "Alice")
	d.users.add(bob, "bob", "Bobby")
	d.users.add(carol, "carol", "")
	d.photos = d.files.add(alice, 0, "photos", true, 0)
	d.y2024 = d.files.add(alice, d.photos, "2024", true, 0)
	d.aJPG = d.files.add(alice, d.y2024, "a.jpg", false, 300)
	d.bTXT = d.files.add(alice, d.photos, "b.txt", false, 20)
	d.secret = d.files.add(alice, 0, "secret.txt", false, 7)
	d.aliceRoot2 = d.files.add(alice, 0, "more", true, 0)
	d.bobNotes = d.files.add(bob, 0, "notes", true, 0)
	d.bobFile = d.files.add(bob, d.bobNotes, "bob.txt", false, 5)

	dir := t.TempDir()
	c, err := LoadConfig("")
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	c.Data.Database.Driver = "sqlite"
	c.Data.Database.Source = filepath.Join(dir, "share.db")
	c.Data.Redis.Addr = ""
	c.Auth.SecretFile = filepath.Join(dir, "keys", "share_secret")
	c.Auth.InternalSecret = internalSecret

	bus := events.NewBus()
	bus.Subscribe(events.TopicShare, func(_ context.Context, m events.Message) error {
		var e eventsv1.ShareEvent
		if err := proto.Unmarshal(m.Payload, &e); err != nil {
			t.Errorf("share event: %v", err)
		}
		d.mu.Lock()
		d.events = append(d.events, &e)
		d.mu.Unlock()
		return nil
	})
	logger := log.NewStdLogger(io.Discard)
	m, cleanup, err := build(c, bus, Clients{Files: d.files, Storage: d.storage, Users: d.users}, d.clock.Now, logger)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	t.Cleanup(cleanup)
	d.module = m

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d.issuer = auth.NewIssuer(priv, time.Hour)
	// The loopback is the trusted gateway here: tests name the client's IP
	// in X-Forwarded-For.
	hs := apiserver.NewHTTPServer("", 0, apiserver.Config{Logger: logger, TrustedProxies: []string{"127.0.0.1/32", "::1/128"},
		Auth: auth.Options{Verifier: auth.NewVerifier(pub), Logger: logger}})
	m.RegisterHTTP(hs)
	srv := httptest.NewServer(hs)
	t.Cleanup(srv.Close)
	d.base = srv.URL
	return d
}

// relayed publishes the outbox and returns every event seen so far.
func (d *drive) relayed() []*eventsv1.ShareEvent {
	d.t.Helper()
	for _, s := range d.module.Servers() {
		if r, ok := s.(*events.Relay); ok {
			if _, err := r.RunOnce(context.Background()); err != nil {
				d.t.Fatalf("relay: %v", err)
			}
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*eventsv1.ShareEvent(nil), d.events...)
}

// req is one API call: as a user (bearer) or nobody (0), with a share
// access token, from an IP.
type req struct {
	as     int64
	share  string
	ip     string
	header map[string]string
}

type apiError struct {
	Code     int               `json:"code"`
	Reason   string            `json:"reason"`
	Message  string            `json:"message"`
	Metadata map[string]string `json:"metadata"`
}

// call sends body (JSON for POST, a query for GET) and decodes a 200 into out.
func (d *drive) call(r req, method, path string, body map[string]any, out proto.Message) (int, apiError) {
	d.t.Helper()
	var rd io.Reader
	if method == http.MethodGet {
		q := url.Values{}
		for k, v := range body {
			q.Set(k, toString(v))
		}
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
	} else {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	hr, _ := http.NewRequest(method, d.base+path, rd)
	hr.Header.Set("Content-Type", "application/json")
	if r.as != 0 {
		tok, err := d.issuer.Issue(auth.Caller{UserID: r.as, Role: auth.RoleUser, SessionID: "s", IssuedAt: time.Now()})
		if err != nil {
			d.t.Fatal(err)
		}
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	if r.share != "" {
		hr.Header.Set("X-Share-Token", r.share)
	}
	if r.ip != "" {
		hr.Header.Set("X-Forwarded-For", r.ip)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		d.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e apiError
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(raw, &e); err != nil {
			d.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
		return resp.StatusCode, e
	}
	if out != nil {
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, out); err != nil {
			d.t.Fatalf("%s %s: decoding %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, e
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// ok calls and fails the test on anything but 200.
func (d *drive) ok(r req, method, path string, body map[string]any, out proto.Message) {
	d.t.Helper()
	if status, e := d.call(r, method, path, body, out); status != http.StatusOK {
		d.t.Fatalf("%s %s: %d %s %s", method, path, status, e.Reason, e.Message)
	}
}

// fails calls and wants status and reason.
func (d *drive) fails(r req, method, path string, body map[string]any, status int, reason string) apiError {
	d.t.Helper()
	got, e := d.call(r, method, path, body, nil)
	if got != status || e.Reason != reason {
		d.t.Fatalf("%s %s: %d %s (%s), want %d %s", method, path, got, e.Reason, e.Message, status, reason)
	}
	return e
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func (d *drive) create(as, node int64, body map[string]any) *v1.ShareInfo {
	d.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	body["node_id"] = id(node)
	out := &v1.ShareInfo{}
	d.ok(req{as: as}, http.MethodPost, "/v1/share/create", body, out)
	return out
}

func (d *drive) open(r req, token, code string) *v1.OpenShareReply {
	d.t.Helper()
	out := &v1.OpenShareReply{}
	d.ok(r, http.MethodPost, "/v1/share/open", map[string]any{"token": token, "code": code}, out)
	return out
}

func (d *drive) browse(access string, parent int64) *v1.BrowseShareReply {
	d.t.Helper()
	body := map[string]any{}
	if parent != 0 {
		body["parent_id"] = id(parent)
	}
	out := &v1.BrowseShareReply{}
	d.ok(req{share: access}, http.MethodGet, "/v1/share/browse", body, out)
	return out
}

func TestShareLifecycle(t *testing.T) {
	d := newDrive(t)
	s := d.create(alice, d.photos, map[string]any{"generate_code": true, "expires_in_seconds": 86400, "max_downloads": 5, "recipient": "BOB"})
	if len(s.GetToken()) < 22 || s.GetUrl() != "/s/"+s.GetToken() || len(s.GetCode()) != 4 || s.GetKind() != "folder" ||
		s.GetRecipient() != "bob" || s.GetExpiresAt() != "2030-01-03T03:04:05Z" || s.GetOwnerNickname() != "Alice" {
		t.Fatalf("created %v", s)
	}

	// The owner sees the code again; the recipient sees the share without it.
	mine := &v1.ListSharesReply{}
	d.ok(req{as: alice}, http.MethodGet, "/v1/share/list", nil, mine)
	if len(mine.GetItems()) != 1 || mine.GetItems()[0].GetCode() != s.GetCode() || mine.GetItems()[0].GetState() != "" {
		t.Fatalf("alice's list %v", mine)
	}
	got := &v1.ListSharesReply{}
	d.ok(req{as: bob}, http.MethodGet, "/v1/share/received", nil, got)
	if len(got.GetItems()) != 1 || got.GetItems()[0].GetCode() != "" || got.GetItems()[0].GetOwnerNickname() != "Alice" {
		t.Fatalf("bob's received %v", got)
	}
	d.ok(req{as: carol}, http.MethodGet, "/v1/share/received", nil, got)
	if len(got.GetItems()) != 0 {
		t.Fatalf("carol received %v", got)
	}

	// A visitor: the page first asks for the code, then a wrong one, then the right one.
	e := d.fails(req{ip: "203.0.113.5"}, http.MethodPost, "/v1/share/open", map[string]any{"token": s.GetToken()}, 403, "CODE_WRONG")
	if e.Metadata["code_required"] != "true" {
		t.Fatalf("empty code: %+v", e)
	}
	d.fails(req{ip: "203.0.113.5"}, http.MethodPost, "/v1/share/open", map[string]any{"token": s.GetToken(), "code": "zzzz"}, 403, "CODE_WRONG")
	o := d.open(req{ip: "203.0.113.5"}, s.GetToken(), strings.ToUpper(s.GetCode()))
	if o.GetAccessToken() == "" || o.GetExpiresIn() != 1800 || o.GetShare().GetCode() != "" || o.GetShare().GetRecipient() != "" ||
		o.GetShare().GetOwnerNickname() != "Alice" || o.GetShare().GetName() != "photos" || o.GetShare().GetViews() != 1 {
		t.Fatalf("opened %v", o)
	}

	root := d.browse(o.GetAccessToken(), 0)
	if len(root.GetItems()) != 2 || root.GetItems()[0].GetName() != "2024" || root.GetItems()[1].GetName() != "b.txt" {
		t.Fatalf("root %v", root)
	}
	inner := d.browse(o.GetAccessToken(), d.y2024)
	if len(inner.GetItems()) != 1 || inner.GetItems()[0].GetName() != "a.jpg" {
		t.Fatalf("2024 %v", inner)
	}

	dl := &v1.DownloadShareReply{}
	d.ok(req{share: o.GetAccessToken()}, http.MethodPost, "/v1/share/download", map[string]any{"node_id": id(d.aJPG)}, dl)
	// The URL names the share: storage asks it again at every GET.
	if dl.GetUrl() != "/v1/storage/file?owner=1&node="+id(d.aJPG)+"&share="+s.GetToken()+"&sig=fake" || dl.GetExpiresAt() == "" {
		t.Fatalf("download %v", dl)
	}
	d.ok(req{share: o.GetAccessToken()}, http.MethodPost, "/v1/share/download", map[string]any{}, dl)
	if !strings.HasPrefix(dl.GetUrl(), "/v1/storage/zip?owner=1&ids="+id(d.photos)+"&name=photos.zip&share="+s.GetToken()) {
		t.Fatalf("zip %v", dl)
	}
	// Signing counted nothing; the GETs storage serves from the first byte
	// count, a continuation does not.
	for _, count := range []bool{true, false, true} {
		if _, err := d.module.internal.CheckDownload(context.Background(), &v1.CheckDownloadRequest{
			Token: s.GetToken(), OwnerId: id(alice), NodeIds: []string{id(d.aJPG)}, Count: count}); err != nil {
			t.Fatalf("CheckDownload(count %v): %v", count, err)
		}
	}

	// Saving needs a bearer token too.
	d.fails(req{share: o.GetAccessToken()}, http.MethodPost, "/v1/share/save", map[string]any{"node_ids": []string{id(d.aJPG)}}, 401, "UNAUTHENTICATED")
	saved := &v1.SaveShareReply{}
	d.ok(req{as: bob, share: o.GetAccessToken()}, http.MethodPost, "/v1/share/save",
		map[string]any{"node_ids": []string{id(d.aJPG), id(d.bTXT)}, "parent_id": id(d.bobNotes)}, saved)
	if len(saved.GetItems()) != 2 || saved.GetItems()[0].GetName() != "a.jpg" || saved.GetItems()[0].GetParentId() != id(d.bobNotes) {
		t.Fatalf("saved %v", saved)
	}
	d.files.fillQuota(bob)
	d.fails(req{as: bob, share: o.GetAccessToken()}, http.MethodPost, "/v1/share/save",
		map[string]any{"node_ids": []string{id(d.aJPG)}}, 413, "QUOTA_EXCEEDED")

	d.ok(req{as: alice}, http.MethodGet, "/v1/share/list", nil, mine)
	if c := mine.GetItems()[0]; c.GetViews() != 1 || c.GetDownloads() != 2 || c.GetSaves() != 1 {
		t.Fatalf("counters %v", c)
	}

	evs := d.relayed()
	if len(evs) != 2 || evs[0].GetType() != eventsv1.ShareEvent_CREATED || evs[0].GetRecipientId() != bob ||
		evs[0].GetOwnerNickname() != "Alice" || evs[1].GetType() != eventsv1.ShareEvent_SAVED ||
		evs[1].GetActorId() != bob || evs[1].GetActorNickname() != "Bobby" || evs[1].GetName() != "photos" {
		t.Fatalf("events %v", evs)
	}
}

func TestCreateRefusesWhatIsNotTheCallers(t *testing.T) {
	d := newDrive(t)
	d.fails(req{as: bob}, http.MethodPost, "/v1/share/create", map[string]any{"node_id": id(d.photos)}, 404, "NODE_NOT_FOUND")
	d.files.trash(d.secret)
	d.fails(req{as: alice}, http.MethodPost, "/v1/share/create", map[string]any{"node_id": id(d.secret)}, 404, "NODE_NOT_FOUND")
	d.fails(req{as: alice}, http.MethodPost, "/v1/share/create", map[string]any{"node_id": id(d.photos), "recipient": "nobody"}, 400, "RECIPIENT_NOT_FOUND")
	d.fails(req{as: alice}, http.MethodPost, "/v1/share/create", map[string]any{"node_id": id(d.photos), "code": "abc"}, 400, "VALIDATION_FAILED")
	d.fails(req{}, http.MethodPost, "/v1/share/create", map[string]any{"node_id": id(d.photos)}, 401, "UNAUTHENTICATED")
}

// TestEveryRequestRechecks: a share access token obtained while the share
// stood is refused by browse, download and save once it no longer does.
func TestEveryRequestRechecks(t *testing.T) {
	tests := []struct {
		name   string
		create map[string]any
		change func(d *drive, s *v1.ShareInfo, access string)
		status int
		reason string
	}{
		{"expiry", map[string]any{"expires_in_seconds": 600}, func(d *drive, _ *v1.ShareInfo, _ string) {
			d.clock.Advance(10 * time.Minute)
		}, 410, "SHARE_EXPIRED"},
		{"download limit", map[string]any{"max_downloads": 2}, func(d *drive, s *v1.ShareInfo, _ string) {
			// Downloads are counted where bytes are served: storage asks at
			// each GET from the first byte (signing URLs counted nothing).
			for i := 0; i < 2; i++ {
				if _, err := d.module.internal.CheckDownload(context.Background(), &v1.CheckDownloadRequest{
					Token: s.GetToken(), OwnerId: id(alice), NodeIds: []string{id(d.aJPG)}, Count: true}); err != nil {
					d.t.Fatalf("GET %d of 2: %v", i+1, err)
				}
			}
		}, 410, "SHARE_LIMIT_REACHED"},
		{"revoke", nil, func(d *drive, s *v1.ShareInfo, _ string) {
			d.ok(req{as: alice}, http.MethodPost, "/v1/share/revoke", map[string]any{"token": s.GetToken()}, nil)
		}, 410, "SHARE_REVOKED"},
		{"trashed node", nil, func(d *drive, _ *v1.ShareInfo, _ string) { d.files.trash(d.photos) }, 410, "SHARE_GONE"},
		{"purged node", nil, func(d *drive, _ *v1.ShareInfo, _ string) { d.files.purge(d.photos) }, 410, "SHARE_GONE"},
		{"disabled owner", nil, func(d *drive, _ *v1.ShareInfo, _ string) { d.users.disable(alice, true) }, 410, "SHARE_GONE"},
	}
	calls := []struct {
		name, method, path string
		as                 int64
		body               func(d *drive) map[string]any
	}{
		{"browse", http.MethodGet, "/v1/share/browse", 0, func(d *drive) map[string]any { return map[string]any{"parent_id": id(d.y2024)} }},
		{"download", http.MethodPost, "/v1/share/download", 0, func(d *drive) map[string]any { return map[string]any{"node_id": id(d.aJPG)} }},
		{"save", http.MethodPost, "/v1/share/save", bob, func(d *drive) map[string]any {
			return map[string]any{"node_ids": []string{id(d.aJPG)}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDrive(t)
			s := d.create(alice, d.photos, tt.create)
			o := d.open(req{ip: "203.0.113.7"}, s.GetToken(), "")
			for _, c := range calls {
				d.ok(req{as: c.as, share: o.GetAccessToken()}, c.method, c.path, c.body(d), nil) // fine before
			}
			tt.change(d, s, o.GetAccessToken())
			for _, c := range calls {
				t.Run(c.name, func(t *testing.T) {
					d.t = t
					d.fails(req{as: c.as, share: o.GetAccessToken()}, c.method, c.path, c.body(d), tt.status, tt.reason)
				})
			}
			d.t = t
			// Opening again is refused the same way.
			d.fails(req{ip: "203.0.113.7"}, http.MethodPost, "/v1/share/open", map[string]any{"token": s.GetToken()}, tt.status, tt.reason)
			// And the owner's list says why.
			mine := &v1.ListSharesReply{}
			d.ok(req{as: alice}, http.MethodGet, "/v1/share/list", nil, mine)
			want := map[string]string{"SHARE_EXPIRED": "expired", "SHARE_LIMIT_REACHED": "limit_reached",
				"SHARE_REVOKED": "revoked", "SHARE_GONE": "gone"}[tt.reason]
			if tt.name == "disabled owner" {
				want = "" // the owner's own list does not ask about the owner
			}
			if got := mine.GetItems()[0].GetState(); got != want {
				t.Fatalf("state %q, want %q", got, want)
			}
		})
	}
}

// TestDisabledOwnerComesBack: the state is never cached, either way.
func TestDisabledOwnerComesBack(t *testing.T) {
	d := newDrive(t)
	s := d.create(alice, d.photos, nil)
	o := d.open(req{}, s.GetToken(), "")
	d.users.disable(alice, true)
	d.fails(req{share: o.GetAccessToken()}, http.MethodGet, "/v1/share/browse", nil, 410, "SHARE_GONE")
	d.users.disable(alice, false)
	d.browse(o.GetAccessToken(), 0)
}

// TestBrowsingNeverLeavesTheSubtree: ids of the owner's other nodes, of the
// shared folder's parent, and of another user's nodes are all NOT_IN_SHARE,
// on every call that takes an id; and every call to the file service names
// the share's owner.
func TestBrowsingNeverLeavesTheSubtree(t *testing.T) {
	d := newDrive(t)
	s := d.create(alice, d.y2024, nil) // photos/2024
	o := d.open(req{}, s.GetToken(), "")
	outside := map[string]int64{
		"the shared folder's parent": d.photos,
		"a sibling":                  d.bTXT,
		"the owner's other file":     d.secret,
		"the owner's other folder":   d.aliceRoot2,
		"another user's folder":      d.bobNotes,
		"another user's file":        d.bobFile,
		"no such node":               999999,
	}
	for name, n := range outside {
		t.Run(name, func(t *testing.T) {
			d.t = t
			d.fails(req{share: o.GetAccessToken()}, http.MethodGet, "/v1/share/browse", map[string]any{"parent_id": id(n)}, 404, "NOT_IN_SHARE")
			d.fails(req{share: o.GetAccessToken()}, http.MethodPost, "/v1/share/download", map[string]any{"node_id": id(n)}, 404, "NOT_IN_SHARE")
			d.fails(req{as: bob, share: o.GetAccessToken()}, http.MethodPost, "/v1/share/save",
				map[string]any{"node_ids": []string{id(d.aJPG), id(n)}}, 404, "NOT_IN_SHARE")
			d.fails(req{share: o.GetAccessToken()}, http.MethodPost, "/v1/share/thumbnails",
				map[string]any{"ids": []string{id(d.aJPG), id(n)}}, 404, "NOT_IN_SHARE")
		})
	}
	d.t = t
	d.fails(req{share: o.GetAccessToken()}, http.MethodGet, "/v1/share/browse", map[string]any{"parent_id": "-1"}, 404, "NOT_IN_SHARE")
	d.fails(req{share: o.GetAccessToken()}, http.MethodGet, "/v1/share/browse", map[string]any{"parent_id": "x"}, 404, "NOT_IN_SHARE")
	// Inside is fine, and the shared folder shows without its parent.
	d.browse(o.GetAccessToken(), d.y2024)
	if signs := d.storage.signedSoFar(); len(signs) != 0 {
		t.Fatalf("signed %v", signs)
	}
	for _, owner := range d.files.ownersAsked() {
		if owner != alice {
			t.Fatalf("the file service was asked about user %d's tree", owner)
		}
	}

	// A picture inside gets its thumbnail, signed for the owner through the
	// share; without the share's access token, nothing.
	var th storagev1.ThumbnailURLsReply
	d.ok(req{share: o.GetAccessToken()}, http.MethodPost, "/v1/share/thumbnails", map[string]any{"ids": []string{id(d.aJPG)}}, &th)
	want := "thumbnail?owner=" + id(alice) + "&node=" + id(d.aJPG) + "&s=0&share=" + s.GetToken()
	if signs := d.storage.signedSoFar(); len(th.GetThumbnails()) != 1 || len(signs) != 1 || signs[0] != want {
		t.Fatalf("thumbnails %v, signed %v; want %s", th.GetThumbnails(), signs, want)
	}
	d.fails(req{}, http.MethodPost, "/v1/share/thumbnails", map[string]any{"ids": []string{id(d.aJPG)}}, 401, "SHARE_TOKEN_INVALID")
	d.fails(req{share: o.GetAccessToken()}, http.MethodPost, "/v1/share/thumbnails", map[string]any{"ids": []string{id(d.aJPG)}, "size": 4000}, 400, "VALIDATION_FAILED")

	// A share of a file lists that file only, and nothing else is inside it.
	f := d.create(alice, d.bTXT, nil)
	fo := d.open(req{}, f.GetToken(), "")
	got := d.browse(fo.GetAccessToken(), 0)
	if len(got.GetItems()) != 1 || got.GetItems()[0].GetName() != "b.txt" || got.GetItems()[0].GetParentId() != "" {
		t.Fatalf("file share %v", got)
	}
	d.fails(req{share: fo.GetAccessToken()}, http.MethodGet, "/v1/share/browse", map[string]any{"parent_id": id(d.photos)}, 404, "NOT_IN_SHARE")
}

func TestShareTokenChecks(t *testing.T) {
	d := newDrive(t)
	s := d.create(alice, d.photos, nil)
	o := d.open(req{}, s.GetToken(), "")
	d.fails(req{}, http.MethodGet, "/v1/share/browse", nil, 401, "SHARE_TOKEN_INVALID")
	d.fails(req{share: o.GetAccessToken() + "x"}, http.MethodGet, "/v1/share/browse", nil, 401, "SHARE_TOKEN_INVALID")
	d.fails(req{share: s.GetToken()}, http.MethodGet, "/v1/share/browse", nil, 401, "SHARE_TOKEN_INVALID")
	d.clock.Advance(29 * time.Minute)
	d.browse(o.GetAccessToken(), 0)
	d.clock.Advance(time.Minute)
	d.fails(req{share: o.GetAccessToken()}, http.MethodGet, "/v1/share/browse", nil, 401, "SHARE_TOKEN_INVALID")
	d.fails(req{}, http.MethodPost, "/v1/share/open", map[string]any{"token": "nosuchtoken"}, 404, "SHARE_NOT_FOUND")
}

// TestBruteForceLimiter: 10 wrong codes in a row lock a share for the
// cool-down (429), the right code too; other shares are unaffected; after
// the cool-down the right code opens it.
func TestBruteForceLimiter(t *testing.T) {
	d := newDrive(t)
	target := d.create(alice, d.photos, map[string]any{"code": "ab12"})
	other := d.create(alice, d.y2024, map[string]any{"code": "cd34"})
	open := func(token, code, ip string) (int, apiError) {
		return d.call(req{ip: ip}, http.MethodPost, "/v1/share/open", map[string]any{"token": token, "code": code}, nil)
	}
	// Right code then wrong ones: the right code reset the count, so 10
	// more wrong ones are needed. They come from several IPs: the count is
	// the share's.
	d.open(req{ip: "198.51.100.1"}, target.GetToken(), "ab12")
	for i := 1; i <= 10; i++ {
		ip := "198.51.100." + strconv.Itoa(i%3+1)
		if status, e := open(target.GetToken(), "zz"+strconv.Itoa(10+i), ip); status != 403 || e.Reason != "CODE_WRONG" {
			t.Fatalf("wrong code %d: %d %s", i, status, e.Reason)
		}
	}
	for _, code := range []string{"ab12", "zzzz"} {
		status, e := open(target.GetToken(), code, "198.51.100.200")
		if status != 429 || e.Reason != "RATE_LIMITED" {
			t.Fatalf("during the cool-down, code %q: %d %s, want 429", code, status, e.Reason)
		}
		if secs, _ := strconv.Atoi(e.Metadata["retry_after_seconds"]); secs < 890 || secs > 900 {
			t.Fatalf("retry after %q seconds", e.Metadata["retry_after_seconds"])
		}
	}
	// Another share of the same owner, from the same IPs, is unaffected.
	if status, e := open(other.GetToken(), "zzzz", "198.51.100.1"); status != 403 || e.Reason != "CODE_WRONG" {
		t.Fatalf("other share, wrong code: %d %s", status, e.Reason)
	}
	d.open(req{ip: "198.51.100.1"}, other.GetToken(), "cd34")
	// The owner, signed in, is not locked out of their share.
	d.open(req{as: alice, ip: "198.51.100.1"}, target.GetToken(), "")

	d.clock.Advance(14 * time.Minute)
	if status, _ := open(target.GetToken(), "ab12", "198.51.100.9"); status != 429 {
		t.Fatalf("a minute before the end of the cool-down: %d", status)
	}
	d.clock.Advance(time.Minute)
	o := d.open(req{ip: "198.51.100.9"}, target.GetToken(), "ab12")
	d.browse(o.GetAccessToken(), 0)

	// In Chinese when asked.
	status, e := d.call(req{ip: "198.51.100.9", header: map[string]string{"Accept-Language": "zh-CN"}},
		http.MethodPost, "/v1/share/open", map[string]any{"token": target.GetToken(), "code": "nope"}, nil)
	if status != 403 || e.Message != "提取码错误" {
		t.Fatalf("Chinese: %d %q", status, e.Message)
	}
}

// TestPerIPLimiter: the limiter per client IP and share refuses before the
// code is compared, the right code too; other IPs and shares go on.
func TestPerIPLimiter(t *testing.T) {
	d := newDrive(t)
	a := d.create(alice, d.photos, map[string]any{"code": "ab12"})
	b := d.create(alice, d.y2024, map[string]any{"code": "ab12"})
	// The default is 20 attempts a minute per IP and share; the share's own
	// lock (10 in a row) is kept away with a right code every 5.
	for i := 1; i <= 20; i++ {
		code := "zzzz"
		if i%5 == 0 {
			code = "ab12"
		}
		status, _ := d.call(req{ip: "192.0.2.1"}, http.MethodPost, "/v1/share/open", map[string]any{"token": a.GetToken(), "code": code}, nil)
		if status != 200 && status != 403 {
			t.Fatalf("attempt %d: %d", i, status)
		}
	}
	d.fails(req{ip: "192.0.2.1"}, http.MethodPost, "/v1/share/open", map[string]any{"token": a.GetToken(), "code": "ab12"}, 429, "RATE_LIMITED")
	d.open(req{ip: "192.0.2.2"}, a.GetToken(), "ab12")
	d.open(req{ip: "192.0.2.1"}, b.GetToken(), "ab12")
}

func TestRevokeIsTheOwners(t *testing.T) {
	d := newDrive(t)
	s := d.create(alice, d.photos, nil)
	d.fails(req{as: bob}, http.MethodPost, "/v1/share/revoke", map[string]any{"token": s.GetToken()}, 404, "SHARE_NOT_FOUND")
	d.open(req{}, s.GetToken(), "")
	d.ok(req{as: alice}, http.MethodPost, "/v1/share/revoke", map[string]any{"token": s.GetToken()}, nil)
	d.ok(req{as: alice}, http.MethodPost, "/v1/share/revoke", map[string]any{"token": s.GetToken()}, nil) // idempotent
	evs := d.relayed()
	if len(evs) != 2 || evs[1].GetType() != eventsv1.ShareEvent_REVOKED {
		t.Fatalf("events %v", evs)
	}
}

func TestListPages(t *testing.T) {
	d := newDrive(t)
	for range 5 {
		d.create(alice, d.photos, nil)
	}
	var all []string
	token := ""
	for page := 0; page < 5; page++ {
		out := &v1.ListSharesReply{}
		d.ok(req{as: alice}, http.MethodGet, "/v1/share/list", map[string]any{"page_size": 2, "page_token": token}, out)
		for _, s := range out.GetItems() {
			all = append(all, s.GetToken())
		}
		if token = out.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(all) != 5 {
		t.Fatalf("%d shares over the pages", len(all))
	}
	d.fails(req{as: alice}, http.MethodGet, "/v1/share/list", map[string]any{"page_token": "!!"}, 400, "VALIDATION_FAILED")
	out := &v1.ListSharesReply{}
	d.ok(req{as: bob}, http.MethodGet, "/v1/share/list", nil, out)
	if len(out.GetItems()) != 0 {
		t.Fatalf("bob lists alice's shares: %v", out)
	}
}
