package standalone_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"clouddrive/pkg/contenthash"
)

// TestWebDAV runs real WebDAV clients against the standalone binary's
// /dav/: the litmus compliance suites, rclone syncing a tree with a 300 MB
// file both ways, and the requests real clients (Finder, Windows) and
// hostile ones send.
func TestWebDAV(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the standalone binary (skipped with -short)")
	}
	srv := startServer(t, binary(t))
	d := newDAVEnv(t, srv)

	t.Run("auth", d.testAuth)
	t.Run("revoked_app_password", d.testRevoked)
	t.Run("clients", d.testClients)
	t.Run("properties", d.testProperties)
	t.Run("range_and_etag", d.testRangeAndETag)
	t.Run("delete_goes_to_trash", d.testDeleteToTrash)
	t.Run("quota_and_chunked_put", d.testQuota)
	t.Run("interrupted_put_stores_nothing", d.testInterruptedPut)
	t.Run("hostile_paths_and_headers", d.testHostile)
	t.Run("litmus", d.testLitmus)
	t.Run("rclone", d.testRclone)
}

// davEnv is one account with an app password on a running binary.
type davEnv struct {
	srv      *server
	hc       *http.Client
	user     string
	password string // the account's
	token    string // an access token (the HTTP API)
	app      string // an app password (WebDAV)
	dav      string // base URL of /dav/
}

func davRandom(t *testing.T) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", b)
}

func newDAVEnv(t *testing.T, srv *server) *davEnv {
	d := &davEnv{srv: srv, hc: &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Minute},
		dav: srv.baseURL + "/dav/"}
	d.user, d.password = "dav"+davRandom(t)[:6], "Pw-"+davRandom(t)+"x9"
	d.token, d.app = d.account(t, d.user, d.password)
	return d
}

// account registers a user and returns an access token and a new app password.
func (d *davEnv) account(t *testing.T, user, password string) (token, app string) {
	t.Helper()
	d.api(t, "/v1/user/register", "", map[string]string{"username": user, "password": password}, nil)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	d.api(t, "/v1/user/login", "", map[string]string{"username": user, "password": password}, &tr)
	var ap struct {
		Password string `json:"password"`
	}
	d.api(t, "/v1/user/app_password", tr.AccessToken, map[string]string{"name": "webdav"}, &ap)
	if tr.AccessToken == "" || !strings.HasPrefix(ap.Password, "cdap-") {
		t.Fatalf("no token or app password for %s", user)
	}
	return tr.AccessToken, ap.Password
}

// api calls the HTTP API (POST with a JSON body, or GET when body is nil).
func (d *davEnv) api(t *testing.T, path, token string, body any, out any) {
	t.Helper()
	method, rd := http.MethodGet, io.Reader(nil)
	if body != nil {
		b, _ := json.Marshal(body)
		method, rd = http.MethodPost, bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, d.srv.baseURL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
}

// do sends a WebDAV request signed in with the app password.
func (d *davEnv) do(t *testing.T, method, path string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	return d.doAs(t, d.user, d.app, method, path, body, hdr...)
}

// doAs sends a request as a WebDAV client does: a 503 with Retry-After
// (a service shedding load) is sent again, a few times.
func (d *davEnv) doAs(t *testing.T, user, pass, method, path string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		resp, b := d.doOnce(t, user, pass, method, path, body, hdr...)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || attempt == 10 {
			return resp, b
		}
		time.Sleep(time.Second)
	}
}

func (d *davEnv) doOnce(t *testing.T, user, pass, method, path string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, d.dav+strings.TrimPrefix(path, "/"), rd)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (d *davEnv) expect(t *testing.T, want int, method, path string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	resp, b := d.do(t, method, path, body, hdr...)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return resp, b
}

type davNode struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	Size string `json:"size"`
}

// list is a folder's live nodes through the HTTP API (parent "" = root).
func (d *davEnv) list(t *testing.T, token, parent string) []davNode {
	t.Helper()
	var out struct {
		Items []davNode `json:"items"`
	}
	d.api(t, "/v1/file/list?page_size=1000&parent_id="+parent, token, nil, &out)
	return out.Items
}

func (d *davEnv) trash(t *testing.T, token string) []davNode {
	t.Helper()
	var out struct {
		Items []davNode `json:"items"`
	}
	d.api(t, "/v1/file/trash?page_size=1000", token, nil, &out)
	return out.Items
}

func (d *davEnv) testAuth(t *testing.T) {
	resp, _ := d.doAs(t, "", "", "PROPFIND", "/", nil, "Depth", "0")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("no credentials: %d, WWW-Authenticate %q; want 401 asking for Basic", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// The account password never signs a WebDAV client in.
	if resp, _ := d.doAs(t, d.user, d.password, "PROPFIND", "/", nil, "Depth", "0"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("account password: %d, want 401", resp.StatusCode)
	}
	if resp, _ := d.doAs(t, d.user, d.app, "PROPFIND", "/", nil, "Depth", "0"); resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("app password: %d, want 207", resp.StatusCode)
	}
	// Throttled like login: wrong guesses for one account are charged
	// before anything is compared, so the right one waits too.
	user, pass := "davlimit"+davRandom(t)[:6], "Pw-"+davRandom(t)+"x9"
	_, app := d.account(t, user, pass)
	limited := 0
	for i := 0; i < 12; i++ {
		resp, _ := d.doAs(t, user, "cdap-wrong"+strconv.Itoa(i), "PROPFIND", "/", nil, "Depth", "0")
		switch resp.StatusCode {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			limited++
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		default:
			t.Fatalf("wrong app password: %d", resp.StatusCode)
		}
	}
	if limited == 0 {
		t.Fatal("12 wrong app passwords in a row were never throttled")
	}
	if resp, _ := d.doAs(t, user, app, "PROPFIND", "/", nil, "Depth", "0"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right app password while throttled: %d, want 429", resp.StatusCode)
	}
}

// testClients: what Finder and Windows send.
func (d *davEnv) testClients(t *testing.T) {
	d.expect(t, http.StatusCreated, "MKCOL", "/clients", nil)
	// Windows: OPTIONS says DAV and MS-Author-Via; LOCK on a new path makes
	// an empty file; UNLOCK.
	resp, _ := d.expect(t, http.StatusOK, "OPTIONS", "/clients/", nil)
	if resp.Header.Get("MS-Author-Via") != "DAV" || !strings.Contains(resp.Header.Get("DAV"), "2") {
		t.Fatalf("OPTIONS: MS-Author-Via %q, DAV %q", resp.Header.Get("MS-Author-Via"), resp.Header.Get("DAV"))
	}
	lockBody := []byte(`<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>WIN</D:href></D:owner></D:lockinfo>`)
	resp, _ = d.expect(t, http.StatusCreated, "LOCK", "/clients/new.docx", lockBody, "Timeout", "Second-3600", "Depth", "0")
	tok := resp.Header.Get("Lock-Token")
	if tok == "" {
		t.Fatal("LOCK gave no Lock-Token")
	}
	// Locked: a PUT without the token is refused, with it accepted.
	d.expect(t, http.StatusLocked, "PUT", "/clients/new.docx", []byte("x"))
	d.expect(t, http.StatusCreated, "PUT", "/clients/new.docx", []byte("docx bytes"), "If", "("+tok+")")
	d.expect(t, http.StatusNoContent, "UNLOCK", "/clients/new.docx", nil, "Lock-Token", tok)
	_, got := d.expect(t, http.StatusOK, "GET", "/clients/new.docx", nil)
	if string(got) != "docx bytes" {
		t.Fatalf("after LOCK, PUT, UNLOCK: %q", got)
	}

	// Finder: a zero-length PUT, a LOCK, then the real PUT; and the
	// AppleDouble "._" file beside it.
	d.expect(t, http.StatusCreated, "PUT", "/clients/photo.jpg", []byte{})
	resp, _ = d.expect(t, http.StatusOK, "LOCK", "/clients/photo.jpg", lockBody, "Timeout", "Second-600", "Depth", "0")
	tok = resp.Header.Get("Lock-Token")
	content := bytes.Repeat([]byte("jpeg"), 100000)
	d.expect(t, http.StatusCreated, "PUT", "/clients/photo.jpg", content, "If", "("+tok+")")
	d.expect(t, http.StatusNoContent, "UNLOCK", "/clients/photo.jpg", nil, "Lock-Token", tok)
	d.expect(t, http.StatusCreated, "PUT", "/clients/._photo.jpg", []byte("\x00\x05\x16\x07AppleDouble"))
	if _, got := d.expect(t, http.StatusOK, "GET", "/clients/photo.jpg", nil); !bytes.Equal(got, content) {
		t.Fatalf("Finder's PUT-then-PUT: GET gives %d bytes, want %d", len(got), len(content))
	}
	if _, got := d.expect(t, http.StatusOK, "GET", "/clients/._photo.jpg", nil); string(got) != "\x00\x05\x16\x07AppleDouble" {
		t.Fatalf("AppleDouble file: %q", got)
	}
	var folder string
	for _, n := range d.list(t, d.token, "") {
		if n.Name == "clients" {
			folder = n.ID
		}
	}
	names := map[string]int{}
	for _, n := range d.list(t, d.token, folder) {
		names[n.Name]++
	}
	if names["photo.jpg"] != 1 || names["._photo.jpg"] != 1 || names["new.docx"] != 1 || len(names) != 3 {
		t.Fatalf("the folder holds %v, want photo.jpg, ._photo.jpg and new.docx once each", names)
	}
}

var (
	reLastModified = regexp.MustCompile(`<D:getlastmodified>([^<]+)</D:getlastmodified>`)
	reLength       = regexp.MustCompile(`<D:getcontentlength>([0-9]+)</D:getcontentlength>`)
	reETag         = regexp.MustCompile(`<D:getetag>([^<]+)</D:getetag>`)
	reContentType  = regexp.MustCompile(`<D:getcontenttype>([^<]+)</D:getcontenttype>`)
	reQuotaUsed    = regexp.MustCompile(`<D:quota-used-bytes>([0-9]+)</D:quota-used-bytes>`)
	reQuotaAvail   = regexp.MustCompile(`<D:quota-available-bytes>([0-9]+)</D:quota-available-bytes>`)
)

func match(t *testing.T, re *regexp.Regexp, body []byte) string {
	t.Helper()
	m := re.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in %s", re, body)
	}
	return string(m[1])
}

// testProperties: what clients show and trust.
func (d *davEnv) testProperties(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789"), 700000) // 7 MB: two 4 MiB blocks
	d.expect(t, http.StatusCreated, "PUT", "/props.bin", content)
	_, b := d.expect(t, http.StatusMultiStatus, "PROPFIND", "/props.bin", nil, "Depth", "0")
	if got := match(t, reLength, b); got != strconv.Itoa(len(content)) {
		t.Errorf("getcontentlength %s, want %d", got, len(content))
	}
	if got, want := match(t, reETag, b), `"`+contenthash.HashBytes(content)+`"`; got != want {
		t.Errorf("getetag %s, want the content hash %s", got, want)
	}
	if lm, err := http.ParseTime(match(t, reLastModified, b)); err != nil || time.Since(lm) > time.Hour || time.Until(lm) > time.Hour {
		t.Errorf("getlastmodified %v (%v), want about now", lm, err)
	}
	// A GET says the type PROPFIND says.
	ct := match(t, reContentType, b)
	if resp, _ := d.expect(t, http.StatusOK, "HEAD", "/props.bin", nil); resp.Header.Get("Content-Type") != ct {
		t.Errorf("HEAD Content-Type %q, getcontenttype %q", resp.Header.Get("Content-Type"), ct)
	}
	quota := []byte(`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>`)
	_, b = d.expect(t, http.StatusMultiStatus, "PROPFIND", "/", quota, "Depth", "0")
	var usage struct {
		Used  string `json:"used_bytes"`
		Limit string `json:"limit_bytes"`
	}
	d.api(t, "/v1/file/usage", d.token, nil, &usage)
	used, _ := strconv.ParseInt(usage.Used, 10, 64)
	limit, _ := strconv.ParseInt(usage.Limit, 10, 64)
	if got := match(t, reQuotaUsed, b); got != usage.Used {
		t.Errorf("quota-used-bytes %s, the API says %s", got, usage.Used)
	}
	if got := match(t, reQuotaAvail, b); got != strconv.FormatInt(limit-used, 10) {
		t.Errorf("quota-available-bytes %s, want %d", got, limit-used)
	}
	// Dead properties are kept, and the quota is the server's.
	set := []byte(`<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-test"><D:set><D:prop><Z:colour>blue</Z:colour></D:prop></D:set></D:propertyupdate>`)
	d.expect(t, http.StatusMultiStatus, "PROPPATCH", "/props.bin", set)
	_, b = d.expect(t, http.StatusMultiStatus, "PROPFIND", "/props.bin", []byte(`<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:x-test"><D:prop><Z:colour/></D:prop></D:propfind>`), "Depth", "0")
	if !bytes.Contains(b, []byte("blue")) {
		t.Errorf("dead property not kept: %s", b)
	}
	forged := []byte(`<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:quota-available-bytes>999999999999</D:quota-available-bytes></D:prop></D:set></D:propertyupdate>`)
	if _, b = d.expect(t, http.StatusMultiStatus, "PROPPATCH", "/", forged); !bytes.Contains(b, []byte("403")) {
		t.Errorf("PROPPATCH of the quota: %s, want 403 in the propstat", b)
	}
}

func (d *davEnv) testRangeAndETag(t *testing.T) {
	content := make([]byte, 9<<20)
	if _, err := rand.Read(content); err != nil {
		t.Fatal(err)
	}
	d.expect(t, http.StatusCreated, "PUT", "/range.bin", content)
	resp, got := d.expect(t, http.StatusPartialContent, "GET", "/range.bin", nil, "Range", "bytes=5000000-5000099")
	if !bytes.Equal(got, content[5000000:5000100]) {
		t.Fatal("a range GET returned other bytes")
	}
	etag := resp.Header.Get("ETag")
	if etag != `"`+contenthash.HashBytes(content)+`"` {
		t.Fatalf("ETag %s, want the content hash", etag)
	}
	d.expect(t, http.StatusNotModified, "GET", "/range.bin", nil, "If-None-Match", etag)
	_, got = d.expect(t, http.StatusPartialContent, "GET", "/range.bin", nil, "Range", "bytes=-10", "If-Range", etag)
	if !bytes.Equal(got, content[len(content)-10:]) {
		t.Fatal("a suffix range returned other bytes")
	}
	_, got = d.expect(t, http.StatusOK, "GET", "/range.bin", nil)
	if !bytes.Equal(got, content) {
		t.Fatal("a whole GET returned other bytes")
	}
}

func (d *davEnv) testDeleteToTrash(t *testing.T) {
	d.expect(t, http.StatusCreated, "PUT", "/bin-me.txt", []byte("keep me"))
	d.expect(t, http.StatusNoContent, "DELETE", "/bin-me.txt", nil)
	d.expect(t, http.StatusNotFound, "GET", "/bin-me.txt", nil)
	found := false
	for _, n := range d.trash(t, d.token) {
		found = found || n.Name == "bin-me.txt"
	}
	if !found {
		t.Fatal("DELETE purged the file: it is not in the trash")
	}
}

// rawRequest sends a request line and headers as written (a Go client
// would clean or escape the path), and returns the status.
func (d *davEnv) rawRequest(t *testing.T, method, target string, hdr ...string) int {
	t.Helper()
	for attempt := 1; ; attempt++ {
		st, retry := d.rawOnce(t, method, target, hdr...)
		if st != http.StatusServiceUnavailable || !retry || attempt == 10 {
			return st
		}
		time.Sleep(time.Second)
	}
}

func (d *davEnv) rawOnce(t *testing.T, method, target string, hdr ...string) (int, bool) {
	t.Helper()
	conn, err := net.Dial("tcp", d.srv.httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic %s\r\nContent-Length: %d\r\nConnection: close\r\n",
		method, target, d.srv.httpAddr, basic(d.user, d.app), len("pwned"))
	for i := 0; i+1 < len(hdr); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", hdr[i], hdr[i+1])
	}
	b.WriteString("\r\npwned")
	if _, err := conn.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After") != ""
}

func basic(user, pass string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

// snapshot is everything the user and a neighbour have, live and trashed.
func (d *davEnv) snapshot(t *testing.T, tokens ...string) string {
	t.Helper()
	var b strings.Builder
	var walk func(token, parent, prefix string)
	walk = func(token, parent, prefix string) {
		for _, n := range d.list(t, token, parent) {
			fmt.Fprintf(&b, "%s%s %s %s\n", prefix, n.Name, n.Kind, n.Size)
			if n.Kind == "folder" {
				walk(token, n.ID, prefix+n.Name+"/")
			}
		}
	}
	for _, tok := range tokens {
		walk(tok, "", "/")
		for _, n := range d.trash(t, tok) {
			fmt.Fprintf(&b, "trash:%s\n", n.Name)
		}
	}
	return b.String()
}

// testHostile: traversal in every encoding, and Destination headers that
// aim elsewhere, get a 4xx (or x/net/webdav's 502 for another host) and
// change nothing, in this user's tree or a neighbour's.
func (d *davEnv) testHostile(t *testing.T) {
	d.expect(t, http.StatusCreated, "MKCOL", "/h", nil)
	d.expect(t, http.StatusCreated, "PUT", "/h/victim.txt", []byte("victim"))
	nUser, nPass := "davnb"+davRandom(t)[:6], "Pw-"+davRandom(t)+"x9"
	nToken, nApp := d.account(t, nUser, nPass)
	if resp, _ := d.doAs(t, nUser, nApp, "PUT", "/secret.txt", []byte("neighbour")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("neighbour PUT: %d", resp.StatusCode)
	}
	before := d.snapshot(t, d.token, nToken)
	host := "http://" + d.srv.httpAddr
	cases := []struct{ method, target string }{
		{"PUT", "/dav/../../etc/passwd"},
		{"PUT", "/dav/h/../../x"},
		{"PUT", "/dav/%2e%2e/%2e%2e/x"},
		{"PUT", "/dav/h/%2E%2E/%2e%2E/x"},
		{"PUT", "/dav/h%2f..%2f..%2fx"},
		{"PUT", "/dav/h/..%2fx"},
		{"PUT", "/dav/..%5c..%5cx"},
		{"PUT", `/dav/h\..\..\x`},
		{"PUT", "/dav/h/%00x"},
		{"PUT", "/dav/h/" + strings.Repeat("a", 256)},
		{"MKCOL", "/dav/./"},
		{"DELETE", "/dav/h/.."},
		{"DELETE", "/dav/%2e%2e"},
		{"GET", "/dav/../v1/file/list"},
		{"PROPFIND", "/dav/%2e%2e/"},
	}
	for _, c := range cases {
		if st := d.rawRequest(t, c.method, c.target); st < 400 || st > 499 {
			t.Errorf("%s %s: %d, want 4xx", c.method, c.target, st)
		}
	}
	dests := []string{
		"http://evil.example/dav/stolen.txt",
		host + "/dav/../../stolen.txt",
		host + "/dav/%2e%2e/stolen.txt",
		host + "/dav/h%2fstolen.txt",
		host + "/dav/..%5cstolen.txt",
		host + "/v1/stolen.txt",
		"/dav/%2e%2e/%2e%2e/stolen.txt",
		host + "/dav/h/" + strings.Repeat("b", 300),
	}
	for _, m := range []string{"MOVE", "COPY"} {
		for _, dst := range dests {
			st := d.rawRequest(t, m, "/dav/h/victim.txt", "Destination", dst, "Overwrite", "T")
			if (st < 400 || st > 499) && st != http.StatusBadGateway {
				t.Errorf("%s to %s: %d, want 4xx (or 502 for another host)", m, dst, st)
			}
		}
	}
	// A whole tree in one PROPFIND is refused (RFC 4918's finite depth).
	for _, depth := range []string{"infinity", ""} {
		if resp, b := d.do(t, "PROPFIND", "/", nil, "Depth", depth); resp.StatusCode != http.StatusForbidden || !bytes.Contains(b, []byte("propfind-finite-depth")) {
			t.Errorf("PROPFIND Depth %q: %d %s, want 403 propfind-finite-depth", depth, resp.StatusCode, b)
		}
	}
	if after := d.snapshot(t, d.token, nToken); after != before {
		t.Fatalf("hostile requests changed the drive:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Names are the file service's: a hostile-looking but valid name stays
	// a name inside the user's root.
	d.expect(t, http.StatusCreated, "PUT", "/h/%252e%252e", []byte("just a name"))
	if _, got := d.expect(t, http.StatusOK, "GET", "/h/%252e%252e", nil); string(got) != "just a name" {
		t.Fatalf("GET of the name %%2e%%2e: %q", got)
	}
}

func (d *davEnv) testLitmus(t *testing.T) {
	if _, err := os.Stat("/usr/libexec/litmus/basic"); err != nil {
		t.Skip("litmus is not installed (apt-get install litmus; make test installs it): " + err.Error())
	}
	// litmus reads htdocs/foo from its working directory and writes its
	// logs there.
	dir := t.TempDir()
	if err := os.Symlink("/usr/share/litmus/htdocs", filepath.Join(dir, "htdocs")); err != nil {
		t.Fatal(err)
	}
	summary := regexp.MustCompile(`summary for .*: of (\d+) tests run: (\d+) passed, (\d+) failed`)
	failed := regexp.MustCompile(`(?m)^\s*\d+\. (\w+)\.*\s.*FAIL`)
	for _, suite := range []string{"basic", "copymove", "props", "http", "locks"} {
		t.Run(suite, func(t *testing.T) {
			cmd := exec.Command("/usr/libexec/litmus/"+suite, d.dav, d.user, d.app)
			cmd.Dir = dir
			out, _ := cmd.CombinedOutput()
			m := summary.FindSubmatch(out)
			if m == nil {
				t.Fatalf("no summary from litmus %s:\n%s", suite, out)
			}
			var fails []string
			for _, f := range failed.FindAllSubmatch(out, -1) {
				fails = append(fails, string(f[1]))
			}
			t.Logf("litmus %s: %s", suite, m[0])
			for _, f := range fails {
				t.Errorf("litmus %s: %s failed", suite, f)
			}
			if n, _ := strconv.Atoi(string(m[3])); n != 0 || bytes.Contains(out, []byte("SKIPPED")) {
				t.Errorf("litmus %s: %d failed, some skipped:\n%s", suite, n, out)
			}
		})
	}
}

// peakRSS is the server's peak resident set (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}

func (d *davEnv) testRclone(t *testing.T) {
	if _, err := exec.LookPath("rclone"); err != nil {
		t.Skip("rclone is not installed (apt-get install rclone; make test installs it)")
	}
	root := t.TempDir()
	src, back := filepath.Join(root, "src"), filepath.Join(root, "back")
	// 199 small files in nested folders, and one of 300 MB.
	for i := 0; i < 199; i++ {
		p := filepath.Join(src, fmt.Sprintf("d%d/e%d/f%03d.txt", i%5, i%3, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1+i*137)
		_, _ = rand.Read(b)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	big, err := os.Create(filepath.Join(src, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(big, rand.Reader, 300<<20); err != nil {
		t.Fatal(err)
	}
	_ = big.Close()

	obscured, err := exec.Command("rclone", "obscure", d.app).Output()
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"RCLONE_CONFIG_DAV_TYPE=webdav", "RCLONE_CONFIG_DAV_URL=" + d.dav, "RCLONE_CONFIG_DAV_VENDOR=other",
		"RCLONE_CONFIG_DAV_USER=" + d.user, "RCLONE_CONFIG_DAV_PASS=" + strings.TrimSpace(string(obscured))}
	for _, kv := range os.Environ() {
		// This machine's AWS_CA_BUNDLE breaks rclone's TLS setup.
		if !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") && !strings.HasPrefix(kv, "RCLONE_") {
			env = append(env, kv)
		}
	}
	rclone := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("rclone", append(args, "--config", filepath.Join(root, "none.conf"), "--stats-one-line", "-v")...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("rclone %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	rss0 := peakRSS(t, d.srv.cmd.Process.Pid)
	rclone("sync", src, "dav:tree")
	rss1 := peakRSS(t, d.srv.cmd.Process.Pid)
	t.Logf("server peak RSS %d MiB before the upload, %d MiB after", rss0>>20, rss1>>20)
	// Memory per request is bounded (a spool on disk, 1 MiB messages), so
	// 300 MB never shows in the server's memory.
	if rss1-rss0 > 128<<20 {
		t.Errorf("the server's peak RSS grew by %d MiB during a 300 MB upload", (rss1-rss0)>>20)
	}
	if out := rclone("check", src, "dav:tree"); !strings.Contains(out, "0 differences found") {
		t.Fatalf("rclone check after the upload:\n%s", out)
	}
	out := rclone("sync", src, "dav:tree")
	if !regexp.MustCompile(`Transferred:\s+0 B / 0 B`).MatchString(out) && !strings.Contains(out, "There was nothing to transfer") {
		t.Fatalf("a second sync transferred something:\n%s", out)
	}
	if strings.Contains(out, ": Copied") || strings.Contains(out, "Updated") {
		t.Fatalf("a second sync copied files:\n%s", out)
	}
	rclone("sync", "dav:tree", back)
	if out := rclone("check", src, back); !strings.Contains(out, "0 differences found") {
		t.Fatalf("rclone check after the download:\n%s", out)
	}
	n := 0
	if err := filepath.Walk(back, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n++
		}
		return err
	}); err != nil || n != 200 {
		t.Fatalf("downloaded %d files (%v), want 200", n, err)
	}
}

// chunkedPut sends a body of unknown length (Transfer-Encoding: chunked),
// as Finder does.
func (d *davEnv) chunkedPut(t *testing.T, user, pass, path string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, d.dav+strings.TrimPrefix(path, "/"), io.MultiReader(bytes.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	req.SetBasicAuth(user, pass)
	req.Header.Set("X-Expected-Entity-Length", strconv.Itoa(len(body)))
	resp, err := d.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// testQuota: a PUT over the quota is 507 Insufficient Storage, with or
// without a Content-Length, and leaves nothing behind; a chunked PUT that
// fits is stored whole.
func (d *davEnv) testQuota(t *testing.T) {
	user, pass := "davquota"+davRandom(t)[:6], "Pw-"+davRandom(t)+"x9"
	token, app := d.account(t, user, pass)
	var me struct {
		ID string `json:"id"`
	}
	d.api(t, "/v1/user/me", token, nil, &me)
	// d.user registered first on this binary: the administrator.
	d.api(t, "/v1/admin/quota/set", d.token, map[string]any{"user_id": me.ID, "limit_bytes": 10000}, nil)
	if resp, b := d.doAs(t, user, app, "PUT", "/big.bin", make([]byte, 20000)); resp.StatusCode != 507 {
		t.Fatalf("PUT over the quota: %d %s, want 507", resp.StatusCode, b)
	}
	if st := d.chunkedPut(t, user, app, "/big-chunked.bin", make([]byte, 20000)); st != 507 {
		t.Fatalf("chunked PUT over the quota: %d, want 507", st)
	}
	if n := d.list(t, token, ""); len(n) != 0 {
		t.Fatalf("refused PUTs left %v", n)
	}
	body := bytes.Repeat([]byte("finder"), 1000)
	if st := d.chunkedPut(t, user, app, "/fits.txt", body); st != http.StatusCreated {
		t.Fatalf("chunked PUT: %d, want 201", st)
	}
	if resp, got := d.doAs(t, user, app, "GET", "/fits.txt", nil); resp.StatusCode != 200 || !bytes.Equal(got, body) {
		t.Fatalf("GET after a chunked PUT: %d, %d bytes", resp.StatusCode, len(got))
	}
}

// testInterruptedPut: a PUT whose body stops short (the client went away)
// stores nothing: the file it would have replaced keeps its bytes, and no
// partial file appears, live or in the trash.
func (d *davEnv) testInterruptedPut(t *testing.T) {
	d.expect(t, http.StatusCreated, "MKCOL", "/cut", nil)
	d.expect(t, http.StatusCreated, "PUT", "/cut/doc.txt", []byte("the whole old text"))
	before := d.snapshot(t, d.token)
	for _, chunked := range []bool{false, true} {
		conn, err := net.Dial("tcp", d.srv.httpAddr)
		if err != nil {
			t.Fatal(err)
		}
		framing := "Content-Length: 100000\r\n"
		if chunked {
			framing = "Transfer-Encoding: chunked\r\n"
		}
		head := fmt.Sprintf("PUT /dav/cut/doc.txt HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic %s\r\n%s\r\n",
			d.srv.httpAddr, basic(d.user, d.app), framing)
		body := bytes.Repeat([]byte("x"), 50000)
		if chunked {
			// A chunk, then a broken chunk header: the body fails while
			// the connection (and the request's context) stays open.
			body = append([]byte(fmt.Sprintf("%x\r\n", len(body))), append(body, "\r\nzz\r\n"...)...)
		}
		if _, err := conn.Write(append([]byte(head), body...)); err != nil {
			t.Fatal(err)
		}
		if !chunked {
			// Half-close: the body ends early; the answer still comes
			// back, once the handler is done.
			_ = conn.(*net.TCPConn).CloseWrite()
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode < 400 {
				t.Errorf("cut PUT (chunked %v): %d, want an error", chunked, resp.StatusCode)
			}
		}
		_ = conn.Close()
	}
	if _, got := d.expect(t, http.StatusOK, "GET", "/cut/doc.txt", nil); string(got) != "the whole old text" {
		t.Fatalf("after cut PUTs the file holds %d bytes: %.40q", len(got), got)
	}
	if after := d.snapshot(t, d.token); after != before {
		t.Fatalf("cut PUTs changed the drive:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// testRevoked: a revoked app password stops working at once, though the
// service remembers sign-ins for a minute: its token is refused, the
// remembered sign-in dropped, and the client asked to sign in again.
func (d *davEnv) testRevoked(t *testing.T) {
	var ap struct {
		AppPassword struct {
			ID string `json:"id"`
		} `json:"app_password"`
		Password string `json:"password"`
	}
	d.api(t, "/v1/user/app_password", d.token, map[string]string{"name": "to revoke"}, &ap)
	if resp, _ := d.doAs(t, d.user, ap.Password, "PROPFIND", "/", nil, "Depth", "1"); resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("before the revocation: %d", resp.StatusCode)
	}
	d.api(t, "/v1/user/app_password/revoke", d.token, map[string]string{"id": ap.AppPassword.ID}, nil)
	for i, m := range []string{"PROPFIND", "GET", "PUT"} {
		var body []byte
		if m == "PUT" {
			body = []byte("after the revocation")
		}
		resp, b := d.doAs(t, d.user, ap.Password, m, "/revoked.txt", body, "Depth", "0")
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("request %d (%s) after the revocation: %d %s, want 401 asking to sign in", i+1, m, resp.StatusCode, b)
		}
	}
	// The other app password still works.
	if resp, _ := d.do(t, "PROPFIND", "/", nil, "Depth", "0"); resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("another app password after the revocation: %d", resp.StatusCode)
	}
}
