package standalone_test

// Helpers of the end-to-end test: building and running the standalone binary,
// HTTP and gRPC clients bound to their own loopback address, error decoding,
// token forging, reading sign-in codes from the log sender's mailbox, and the
// book of every secret the test saw (passwords, tokens, app passwords, codes)
// that is finally grepped for in the data folder and the service log.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	v1 "clouddrive/api/user/v1"
	"clouddrive/pkg/auth"
)

// ---------------------------------------------------------------------------
// Building the binary (once per test process).

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary builds app/standalone/cmd/clouddrive from the module root once
// (not against a cluster: nothing of it runs).
func binary(t *testing.T) string {
	t.Helper()
	if clusterDir() != "" {
		return ""
	}
	buildOnce.Do(func() {
		start := time.Now()
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %v", err)
			return
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			buildErr = fmt.Errorf("not inside a Go module (go env GOMOD = %q)", gomod)
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "clouddrive-e2e-bin-"); buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "clouddrive")
		cmd := exec.Command("go", "build", "-o", buildBin, "./app/standalone/cmd/clouddrive")
		cmd.Dir = filepath.Dir(gomod)
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./app/standalone/cmd/clouddrive: %v\n%s", err, b)
			return
		}
		t.Logf("built %s in %v", buildBin, time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// ---------------------------------------------------------------------------
// Running the binary.

type server struct {
	dataDir string
	logPath string
	// cluster is the state folder of the `make cluster` the test runs
	// against instead of the binary (CLOUDDRIVE_E2E_CLUSTER); "" for the
	// binary. dataDir is then the user service's folder (keys, codes.log)
	// and logPath the gateway's log; log reads every process's.
	cluster  string
	httpAddr string
	grpcAddr string
	baseURL  string

	cmd     *exec.Cmd
	logFile *os.File
	done    chan error // receives cmd.Wait's result once
	exited  bool
	exitErr error
}

// freeAddr finds a free loopback port: listen on :0, close, reuse the port.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// startServer runs the binary on a fresh data folder and free ports and waits
// for GET /healthz. A port taken between probe and bind is retried. With
// CLOUDDRIVE_E2E_CLUSTER set it returns the running cluster instead, emptied
// of every account and file (see cluster_e2e_test.go).
func startServer(t *testing.T, bin string) *server {
	t.Helper()
	if dir := clusterDir(); dir != "" {
		return clusterServer(t, dir)
	}
	root := t.TempDir()
	return launch(t, bin, "start", func(attempt int) (string, string) {
		return filepath.Join(root, fmt.Sprintf("data%d", attempt)), filepath.Join(root, fmt.Sprintf("service%d.log", attempt))
	})
}

// launch starts the binary on free ports, trying again (up to three times)
// when a port was taken between the probe and the bind; paths names the data
// folder and the log of each attempt. The process is killed at the test's
// end, and its log's tail shown if the test failed.
func launch(t *testing.T, bin, what string, paths func(attempt int) (dataDir, logPath string)) *server {
	t.Helper()
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		s := &server{httpAddr: freeAddr(t), grpcAddr: freeAddr(t)}
		s.dataDir, s.logPath = paths(attempt)
		if s.httpAddr == s.grpcAddr {
			continue
		}
		s.baseURL = "http://" + s.httpAddr
		if lastErr = s.start(bin); lastErr == nil {
			t.Cleanup(func() {
				s.kill()
				if t.Failed() {
					t.Logf("service log (%s), last lines:\n%s", s.logPath, tail(s.log(t), 60))
				}
			})
			return s
		}
		t.Logf("%s attempt %d: %v\nservice log:\n%s", what, attempt, lastErr, tail(s.log(t), 30))
		s.kill()
	}
	t.Fatalf("the standalone binary did not %s: %v", what, lastErr)
	return nil
}

func (s *server) start(bin string) error {
	f, err := os.Create(s.logPath)
	if err != nil {
		return err
	}
	s.logFile = f
	s.cmd = exec.Command(bin, "-data", s.dataDir, "-http", s.httpAddr, "-grpc", s.grpcAddr)
	s.cmd.Stdout = f
	s.cmd.Stderr = f
	if err := s.cmd.Start(); err != nil {
		_ = f.Close()
		return err
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait() }()

	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.exited, s.exitErr = true, err
			return fmt.Errorf("exited before it was healthy: %v", err)
		default:
		}
		resp, err := hc.Get(s.baseURL + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("GET /healthz did not answer 200 within 20s")
}

// stop sends SIGTERM and waits up to timeout for the process to exit.
func (s *server) stop(timeout time.Duration) (exitErr error, took time.Duration, err error) {
	if s.cluster != "" {
		return nil, 0, fmt.Errorf("against the cluster: its processes are not the test's to stop")
	}
	if s.exited {
		return s.exitErr, 0, fmt.Errorf("the process had already exited: %v", s.exitErr)
	}
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return nil, 0, fmt.Errorf("sending SIGTERM: %v", err)
	}
	select {
	case e := <-s.done:
		s.exited, s.exitErr = true, e
		_ = s.logFile.Close()
		return e, time.Since(start), nil
	case <-time.After(timeout):
		s.kill()
		return nil, time.Since(start), fmt.Errorf("still running %v after SIGTERM (killed)", timeout)
	}
}

func (s *server) kill() {
	if s.cmd == nil || s.cmd.Process == nil || s.exited {
		return
	}
	_ = s.cmd.Process.Kill()
	select {
	case e := <-s.done:
		s.exited, s.exitErr = true, e
	case <-time.After(5 * time.Second):
	}
	if s.logFile != nil {
		_ = s.logFile.Close()
	}
}

func (s *server) log(t *testing.T) string {
	if s.cluster != "" {
		return clusterLogs(t, s.cluster)
	}
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		t.Logf("reading the service log: %v", err)
	}
	return string(b)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ---------------------------------------------------------------------------
// Client addresses. The service limits sign-ins per client IP (30 a minute by
// default) and per account; the whole test signs in more often than that from
// one machine. Each scenario therefore talks from its own loopback address
// (127.0.0.0/8 is all local on Linux), like a separate client machine, so the
// per-IP budget of one scenario never leaks into another.

type ipPool struct {
	mu      sync.Mutex
	next    int
	usable  bool
	checked bool
}

func (p *ipPool) take(t *testing.T) string {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.checked {
		p.checked = true
		if l, err := net.Listen("tcp", "127.0.0.2:0"); err == nil {
			_ = l.Close()
			p.usable = true
		} else {
			t.Logf("cannot use loopback addresses other than 127.0.0.1 (%v); every scenario shares one client IP and may hit the per-IP sign-in limit", err)
		}
	}
	if !p.usable {
		return "127.0.0.1"
	}
	p.next++ // 127.0.0.2, 127.0.0.3, ...
	return fmt.Sprintf("127.0.%d.%d", p.next/250, 1+p.next%250)
}

func dialerFrom(ip string) *net.Dialer {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if ip != "127.0.0.1" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(ip)}
	}
	return d
}

// ---------------------------------------------------------------------------
// The secret book: everything that must never be stored or logged in clear.

type secret struct {
	kind  string // "password", "access token", "refresh token", "app password", "code"
	value string
	where string // the test that saw it
}

type secretBook struct {
	mu   sync.Mutex
	seen map[string]bool
	list []secret
}

func newSecretBook() *secretBook { return &secretBook{seen: map[string]bool{}} }

func (b *secretBook) add(t *testing.T, kind, value string) {
	if value == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seen[kind+"\x00"+value] {
		return
	}
	b.seen[kind+"\x00"+value] = true
	b.list = append(b.list, secret{kind: kind, value: value, where: t.Name()})
}

func (b *secretBook) all() []secret {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]secret(nil), b.list...)
}

func (b *secretBook) count(kind string) int {
	n := 0
	for _, s := range b.all() {
		if s.kind == kind {
			n++
		}
	}
	return n
}

// recordRequest notes the plaintext passwords a request carries. Passwords
// shorter than 10 bytes are the deliberately weak ones ("password",
// "12345678"): such words occur legitimately in a schema or a log line, so
// grepping for them would prove nothing.
func (b *secretBook) recordRequest(t *testing.T, body []byte) {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return
	}
	for _, k := range []string{"password", "old_password", "new_password"} {
		if s, ok := m[k].(string); ok && len(s) >= 10 {
			b.add(t, "password", s)
		}
	}
}

// recordReply notes every token or generated password found in a reply.
func (b *secretBook) recordReply(t *testing.T, body []byte) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok {
					switch k {
					case "access_token":
						b.add(t, "access token", s)
					case "refresh_token":
						b.add(t, "refresh token", s)
					case "password":
						b.add(t, "app password", s)
					}
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
}

func (b *secretBook) recordTokens(t *testing.T, r *v1.TokenReply) {
	if r == nil {
		return
	}
	b.add(t, "access token", r.GetAccessToken())
	b.add(t, "refresh token", r.GetRefreshToken())
}

// findSecrets reports every secret that occurs in data. A code is six digits,
// which could occur inside a longer run of digits by chance (a timestamp's
// fraction); it counts only as a run of exactly six digits.
func findSecrets(data []byte, secrets []secret) []secret {
	var hits []secret
	for _, s := range secrets {
		if s.kind == "code" {
			re := regexp.MustCompile(`(^|[^0-9])` + regexp.QuoteMeta(s.value) + `([^0-9]|$)`)
			if re.Match(data) {
				hits = append(hits, s)
			}
			continue
		}
		if bytes.Contains(data, []byte(s.value)) {
			hits = append(hits, s)
		}
	}
	return hits
}

// storedFiles lists every regular file under dir except codes.log (the log
// sender's mailbox) and keys/ (the signing keys).
func storedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			if rel == "keys" {
				return filepath.SkipDir
			}
			return nil
		}
		if rel == "codes.log" || !d.Type().IsRegular() {
			return nil
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", dir, err)
	}
	return files
}

// ---------------------------------------------------------------------------
// HTTP.

type client struct {
	t    *testing.T
	base string
	ip   string
	hc   *http.Client
	book *secretBook
}

type response struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

func (r *response) String() string {
	return fmt.Sprintf("%s %s → %d %s", r.method, r.path, r.status, bytes.TrimSpace(r.body))
}

// apiError is the body of every error: {code, reason, message, metadata}.
type apiError struct {
	Code     int               `json:"code"`
	Reason   string            `json:"reason"`
	Message  string            `json:"message"`
	Metadata map[string]string `json:"metadata"`
}

type header struct{ key, value string }

func lang(v string) header { return header{"Accept-Language", v} }

// do sends one request. body is nil, a string (sent as is) or a value
// marshalled as JSON; token, when set, goes in "Authorization: Bearer".
func (c *client) do(method, path, token string, body any, hs ...header) *response {
	c.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			c.t.Fatalf("marshalling the body of %s %s: %v", method, path, err)
		}
	}
	c.book.recordRequest(c.t, raw)
	var rd io.Reader
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range hs {
		req.Header.Set(h.key, h.value)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	r := &response{method: method, path: path, status: resp.StatusCode, header: resp.Header, body: rb}
	if r.status == http.StatusOK {
		c.book.recordReply(c.t, rb)
	}
	return r
}

// with returns the client reporting to t (for a table's sub-tests).
func (c *client) with(t *testing.T) *client {
	cc := *c
	cc.t = t
	return &cc
}

func (c *client) post(path, token string, body any, hs ...header) *response {
	c.t.Helper()
	return c.do(http.MethodPost, path, token, body, hs...)
}

func (c *client) get(path, token string, hs ...header) *response {
	c.t.Helper()
	return c.do(http.MethodGet, path, token, nil, hs...)
}

// ok fails unless r is a 200 and decodes its body into out (a proto message,
// read with protojson: int64 fields come as strings).
func (c *client) ok(r *response, out proto.Message) {
	c.t.Helper()
	if r.status != http.StatusOK {
		c.t.Fatalf("want 200, got %s", r)
	}
	if out == nil {
		return
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(r.body, out); err != nil {
		c.t.Fatalf("decoding %s: %v", r, err)
	}
}

// fail checks that r is the error status/reason and returns its body. It
// reports with Errorf, so a table can go on to its next row.
func (c *client) fail(r *response, status int, reason string) apiError {
	c.t.Helper()
	var e apiError
	if err := json.Unmarshal(r.body, &e); err != nil {
		c.t.Errorf("want %d %s, got a body that is not an error: %s", status, reason, r)
		return e
	}
	if r.status != status || e.Reason != reason {
		c.t.Errorf("want %d %s, got %s", status, reason, r)
	}
	if e.Code != r.status {
		c.t.Errorf("body code %d differs from the HTTP status %d: %s", e.Code, r.status, r)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		c.t.Errorf("error Content-Type = %q, want application/json: %s", ct, r)
	}
	if e.Message == "" {
		c.t.Errorf("error without a message: %s", r)
	}
	return e
}

// ---------------------------------------------------------------------------
// gRPC.

type grpcClient struct {
	t     *testing.T
	conn  *grpc.ClientConn
	user  v1.UserClient
	admin v1.AdminClient
}

func bearerCtx(ctx context.Context, token string) context.Context {
	if token == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// with returns the client reporting to t (for a table's sub-tests).
func (g *grpcClient) with(t *testing.T) *grpcClient {
	gg := *g
	gg.t = t
	return &gg
}

// ctx is a call context with the bearer token (when set) and a timeout.
func (g *grpcClient) ctx(token string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	g.t.Cleanup(cancel)
	return bearerCtx(ctx, token)
}

// grpcFail checks that err is the kratos error with the HTTP-style code and reason.
func grpcFail(t *testing.T, what string, err error, code int, reason string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: want %d %s, got success", what, code, reason)
		return
	}
	e := kerrors.FromError(err)
	if int(e.Code) != code || e.Reason != reason {
		t.Errorf("%s: want %d %s, got %d %s (%v)", what, code, reason, e.Code, e.Reason, err)
	}
}

// ---------------------------------------------------------------------------
// The environment shared by the scenarios.

type env struct {
	srv  *server
	book *secretBook
	ips  *ipPool

	admin    account // the first account registered
	adminTok string  // an access token of admin
}

// client returns an HTTP client (and the matching gRPC client) that talks
// from a loopback address of its own.
func (e *env) clients(t *testing.T) (*client, *grpcClient) {
	t.Helper()
	ip := e.ips.take(t)
	tr := &http.Transport{Proxy: nil, DialContext: dialerFrom(ip).DialContext, MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	c := &client{t: t, base: e.srv.baseURL, ip: ip, book: e.book, hc: &http.Client{Transport: tr, Timeout: 20 * time.Second}}

	conn, err := grpc.NewClient("passthrough:///"+e.srv.grpcAddr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithNoProxy(),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return dialerFrom(ip).DialContext(ctx, "tcp", addr)
		}))
	if err != nil {
		t.Fatalf("gRPC client for %s: %v", e.srv.grpcAddr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return c, &grpcClient{t: t, conn: conn, user: v1.NewUserClient(conn), admin: v1.NewAdminClient(conn)}
}

// password returns a fresh strong password, unique to this run, recorded.
func (e *env) password(t *testing.T) string {
	b := make([]byte, 9)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	p := "Pw-" + hex.EncodeToString(b) + "x9"
	e.book.add(t, "password", p)
	return p
}

type account struct {
	id, username, password, role string
}

// register creates an account over HTTP and checks the reply.
func (e *env) register(t *testing.T, c *client, username, email string) account {
	t.Helper()
	pw := e.password(t)
	var reply v1.RegisterReply
	c.ok(c.post("/v1/user/register", "", map[string]string{"username": username, "password": pw, "email": email}), &reply)
	if reply.GetUser().GetId() == "" || reply.GetUser().GetUsername() != username {
		t.Fatalf("register %q: unexpected user %v", username, reply.GetUser())
	}
	return account{id: reply.GetUser().GetId(), username: username, password: pw, role: reply.GetUser().GetRole()}
}

// login signs in over HTTP and returns the token pair.
func (e *env) login(t *testing.T, c *client, a account) *v1.TokenReply {
	t.Helper()
	var tr v1.TokenReply
	c.ok(c.post("/v1/user/login", "", map[string]string{"username": a.username, "password": a.password}), &tr)
	if tr.GetAccessToken() == "" || tr.GetRefreshToken() == "" {
		t.Fatalf("login %q: no tokens in %v", a.username, &tr)
	}
	return &tr
}

// ---------------------------------------------------------------------------
// Sign-in codes, read from <data>/codes.log as a mail client would.

var codeLine = regexp.MustCompile(`\bto=(\S+) code=([0-9]{6}) valid=`)

// codesFor returns the codes sent to target, oldest first.
func (e *env) codesFor(t *testing.T, target string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(e.srv.dataDir, "codes.log"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("opening codes.log: %v", err)
	}
	defer f.Close()
	var codes []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := codeLine.FindStringSubmatch(sc.Text()); m != nil && strings.EqualFold(m[1], target) {
			codes = append(codes, m[2])
		}
	}
	return codes
}

// lastCode waits briefly for the n-th code sent to target and returns it.
func (e *env) lastCode(t *testing.T, target string, n int) string {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		codes := e.codesFor(t, target)
		if len(codes) >= n {
			code := codes[len(codes)-1]
			e.book.add(t, "code", code)
			return code
		}
		if time.Now().After(deadline) {
			t.Fatalf("codes.log holds %d code(s) for %s, want %d", len(codes), target, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------
// Tokens made by the test itself.

func (e *env) serverKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	k, err := auth.LoadPrivateKey(filepath.Join(e.srv.dataDir, "keys", "access_ed25519.pem"))
	if err != nil {
		t.Fatalf("reading the server's signing key: %v", err)
	}
	return k
}

func claims(sub, role string, iat, exp time.Time, iss string) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": iss, "aud": []string{"clouddrive"}, "sub": sub, "role": role,
		"iat": iat.Unix(), "nbf": iat.Add(-time.Second).Unix(), "exp": exp.Unix(), "jti": "e2e",
	}
}

func signEdDSA(t *testing.T, key ed25519.PrivateKey, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func signNone(t *testing.T, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// withClaim rewrites one claim of a real token and keeps its signature.
func withClaim(t *testing.T, token, key string, value any) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m[key] = value
	raw, _ = json.Marshal(m)
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

func otherKey(t *testing.T) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// ---------------------------------------------------------------------------
// Small things.

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func atoi(t *testing.T, what, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Errorf("%s = %q, not an integer", what, s)
	}
	return n
}
