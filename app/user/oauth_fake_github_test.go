package user

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-kratos/kratos/v2/log"

	"clouddrive/pkg/apiserver"
	"clouddrive/pkg/auth"
)

// The SPA page the callback sends the browser to. Nothing listens there: the
// test's browser stops at this host and reads the address.
const spaCallback = "http://spa.test/oauth/callback"

// ghUser is an account of the fake GitHub.
type ghUser struct {
	ID    int64
	Login string
	Name  string
	Email string
}

// fakeGitHub is a local stand-in for github.com and api.github.com: its
// authorize page signs the browser in as whoever `as` names and sends it
// straight back to redirect_uri; codes and tokens work once / for one user.
type fakeGitHub struct {
	t                    *testing.T
	srv                  *httptest.Server
	clientID, secret     string
	redirectURI          string // what the service must send as redirect_uri
	mu                   sync.Mutex
	as                   *ghUser
	codes                map[string]*ghUser
	tokens               map[string]*ghUser
	authorizes, exchange int
}

func newFakeGitHub(t *testing.T, clientID, secret string) *fakeGitHub {
	f := &fakeGitHub{t: t, clientID: clientID, secret: secret,
		codes: map[string]*ghUser{}, tokens: map[string]*ghUser{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/login/oauth/authorize", f.authorize)
	mux.HandleFunc("/login/oauth/access_token", f.token)
	mux.HandleFunc("/api/user", f.user)
	mux.HandleFunc("/api/user/emails", f.emails)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitHub) signInAs(u *ghUser) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.as = u
}

func (f *fakeGitHub) counts() (authorizes, exchanges int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.authorizes, f.exchange
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func (f *fakeGitHub) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method != http.MethodGet || q.Get("client_id") != f.clientID || q.Get("response_type") != "code" ||
		q.Get("redirect_uri") != f.redirectURI || q.Get("state") == "" {
		f.t.Errorf("fake github: bad authorize request: %s %s", r.Method, r.URL)
		http.Error(w, "bad authorize request", http.StatusBadRequest)
		return
	}
	if !strings.Contains(q.Get("scope"), "user:email") {
		f.t.Errorf("fake github: scope %q lacks user:email", q.Get("scope"))
	}
	f.mu.Lock()
	f.authorizes++
	u := f.as
	code := "code_" + randHex(8)
	f.codes[code] = u
	f.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (f *fakeGitHub) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_request"}`)
		return
	}
	// x/oauth2 sends the client credentials in a Basic header or the form.
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != f.clientID || secret != f.secret {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"incorrect_client_credentials"}`)
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != f.redirectURI {
		f.t.Errorf("fake github: token request form %v", r.PostForm)
	}
	f.mu.Lock()
	u, ok := f.codes[r.PostForm.Get("code")]
	delete(f.codes, r.PostForm.Get("code")) // a code works once
	tok := "gho_" + randHex(16)
	if ok {
		f.tokens[tok] = u
		f.exchange++
	}
	f.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"bad_verification_code"}`)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"access_token": tok, "token_type": "bearer", "scope": "read:user,user:email"})
}

func (f *fakeGitHub) bearer(w http.ResponseWriter, r *http.Request) *ghUser {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	u := f.tokens[tok]
	f.mu.Unlock()
	if !ok || u == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"message":"Bad credentials"}`)
		return nil
	}
	return u
}

func (f *fakeGitHub) user(w http.ResponseWriter, r *http.Request) {
	if u := f.bearer(w, r); u != nil {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": u.ID, "login": u.Login, "name": u.Name})
	}
}

func (f *fakeGitHub) emails(w http.ResponseWriter, r *http.Request) {
	if u := f.bearer(w, r); u != nil {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode([]map[string]any{
			{"email": "old-" + u.Email, "primary": false, "verified": true},
			{"email": u.Email, "primary": true, "verified": true},
		})
	}
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

// startUserService runs the real user module (SQLite, no Redis) on an
// httptest server whose address is known before the module is built, so the
// GitHub redirect_url can point at it.
func startUserService(t *testing.T, configure func(c *Config, base string)) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()

	dir := t.TempDir()
	c, err := LoadConfig("")
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	c.Data.Database.Driver = "sqlite"
	c.Data.Database.Source = filepath.Join(dir, "user.db")
	c.Data.Redis.Addr = ""
	c.Auth.PrivateKeyFile = filepath.Join(dir, "keys", "access_ed25519.pem")
	c.Auth.PublicKeyFile = filepath.Join(dir, "keys", "access_ed25519.pub.pem")
	c.Auth.GenerateKeys = true
	c.Auth.BcryptCost = 4
	c.Code.LogFile = filepath.Join(dir, "codes.log")
	c.Oauth.SpaCallbackUrl = spaCallback
	configure(c, base)

	keys, err := LoadKeys(c)
	if err != nil {
		t.Fatalf("LoadKeys: %v", err)
	}
	logs := &syncBuffer{}
	logger := log.NewStdLogger(logs)
	m, cleanup, err := New(c, keys, auth.NewMemoryRevocations(), logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(cleanup)
	hs := apiserver.NewHTTPServer("", 0, apiserver.Config{Logger: logger, Auth: auth.Options{Verifier: keys.Verifier, Logger: logger}})
	m.RegisterHTTP(hs)
	srv.Config.Handler = hs
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("user service log:\n%s", logs.String())
		}
	})
	return base
}

// browser is a fresh browser (its own cookies) that follows redirects until
// it is sent to the SPA, or to the host stopAt when not empty.
func browser(t *testing.T, stopAt string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "spa.test" || (stopAt != "" && req.URL.Host == stopAt) {
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return fmt.Errorf("too many redirects")
		}
		return nil
	}}
}

// spaLanding sends a request and returns the query of the SPA address the
// service redirected to.
func spaLanding(t *testing.T, c *http.Client, req *http.Request) url.Values {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("%s %s: status %d, want 302 to the SPA; body %s", req.Method, req.URL, resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("bad Location %q: %v", resp.Header.Get("Location"), err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != spaCallback {
		t.Fatalf("redirected to %q, want the SPA callback %q", loc, spaCallback)
	}
	return loc.Query()
}

// githubSignIn runs the browser flow from startPath (the begin route, maybe
// with ?link=) as the GitHub user u and returns the SPA's query.
func githubSignIn(t *testing.T, gh *fakeGitHub, base, startPath string, u *ghUser) url.Values {
	t.Helper()
	gh.signInAs(u)
	req, _ := http.NewRequest(http.MethodGet, base+startPath, nil)
	return spaLanding(t, browser(t, ""), req)
}

type apiUser struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Nickname string `json:"nickname"`
}

type tokenReply struct {
	AccessToken  string  `json:"access_token"`
	RefreshToken string  `json:"refresh_token"`
	TokenType    string  `json:"token_type"`
	User         apiUser `json:"user"`
}

type apiError struct {
	Code   int    `json:"code"`
	Reason string `json:"reason"`
}

// noRedirects is an API client: a redirect is an answer, not followed.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// call does a JSON API call and returns the status and body.
func call(t *testing.T, method, u, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// wantAPIError checks an error answer's status and reason.
func wantAPIError(t *testing.T, what string, status int, body []byte, wantStatus int, wantReason string) {
	t.Helper()
	var e apiError
	_ = json.Unmarshal(body, &e)
	if status != wantStatus || e.Reason != wantReason {
		t.Fatalf("%s: got %d %s, want %d %s (body %s)", what, status, e.Reason, wantStatus, wantReason, body)
	}
}

// exchangeTicket trades the ticket the SPA received for tokens.
func exchangeTicket(t *testing.T, base string, q url.Values) tokenReply {
	t.Helper()
	ticket := q.Get("ticket")
	if ticket == "" || q.Get("error") != "" {
		t.Fatalf("SPA got %v, want a ticket", q)
	}
	status, body := call(t, http.MethodPost, base+"/v1/user/oauth/exchange", "", map[string]string{"ticket": ticket})
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %s", status, body)
	}
	tr := decode[tokenReply](t, body)
	if tr.AccessToken == "" || tr.RefreshToken == "" || tr.User.ID == "" {
		t.Fatalf("exchange returned %s", body)
	}
	return tr
}

// me returns the account an access token belongs to.
func me(t *testing.T, base, token string) apiUser {
	t.Helper()
	status, body := call(t, http.MethodGet, base+"/v1/user/me", token, nil)
	if status != http.StatusOK {
		t.Fatalf("me: %d %s", status, body)
	}
	return decode[apiUser](t, body)
}

// TestGitHubOAuth_FakeProvider runs the whole GitHub web flow of the real
// user module against a local fake of GitHub (nothing leaves the machine).
func TestGitHubOAuth_FakeProvider(t *testing.T) {
	const clientID, secret = "Iv1.fakeclient", "fake-client-secret"
	gh := newFakeGitHub(t, clientID, secret)
	base := startUserService(t, func(c *Config, base string) {
		g := c.Oauth.Github
		g.ClientId, g.ClientSecret = clientID, secret
		g.AuthUrl = gh.srv.URL + "/login/oauth/authorize"
		g.TokenUrl = gh.srv.URL + "/login/oauth/access_token"
		g.ApiUrl = gh.srv.URL + "/api"
		g.RedirectUrl = base + "/v1/user/oauth/github/callback"
		gh.redirectURI = g.RedirectUrl
	})
	alice := &ghUser{ID: 1001, Login: "octo-alice", Name: "Alice Octo", Email: "alice@gh.example"}
	bobGH := &ghUser{ID: 2002, Login: "octo-bob", Name: "Bob on GitHub", Email: "bob@gh.example"}

	// A first GitHub sign-in creates an account and hands the SPA a ticket.
	q := githubSignIn(t, gh, base, "/v1/user/oauth/github", alice)
	if a, x := gh.counts(); a != 1 || x != 1 {
		t.Fatalf("fake github saw %d authorizes and %d code exchanges, want 1 and 1", a, x)
	}
	first := exchangeTicket(t, base, q)
	aliceID := first.User.ID
	if first.User.Username != alice.Login || first.User.Nickname != alice.Name {
		t.Errorf("new account is %+v, want username %q nickname %q", first.User, alice.Login, alice.Name)
	}
	if got := me(t, base, first.AccessToken); got.ID != aliceID || got.Username != alice.Login {
		t.Errorf("the exchanged access token is for %+v, want %s", got, aliceID)
	}

	// The ticket works once.
	status, body := call(t, http.MethodPost, base+"/v1/user/oauth/exchange", "", map[string]string{"ticket": q.Get("ticket")})
	wantAPIError(t, "second exchange of a ticket", status, body, http.StatusBadRequest, "OAUTH_FAILED")
	status, body = call(t, http.MethodPost, base+"/v1/user/oauth/exchange", "", map[string]string{"ticket": "not-a-ticket"})
	wantAPIError(t, "exchange of a made-up ticket", status, body, http.StatusBadRequest, "OAUTH_FAILED")

	// Signing in again with the same GitHub user is the same account.
	q2 := githubSignIn(t, gh, base, "/v1/user/oauth/github", alice)
	if q2.Get("ticket") == q.Get("ticket") {
		t.Errorf("a second sign-in reused the first ticket")
	}
	if again := exchangeTicket(t, base, q2); again.User.ID != aliceID {
		t.Fatalf("second GitHub sign-in got user %s, want %s", again.User.ID, aliceID)
	}

	t.Run("state and nonce are checked", func(t *testing.T) {
		// Start the flow in a browser and stop it at the service's callback
		// (the fake GitHub has already issued a code for it).
		gh.signInAs(alice)
		srvHost := strings.TrimPrefix(base, "http://")
		b := browser(t, srvHost)
		resp, err := b.Get(base + "/v1/user/oauth/github")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("begin: status %d", resp.StatusCode)
		}
		cb, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || cb.Path != "/v1/user/oauth/github/callback" || cb.Query().Get("code") == "" {
			t.Fatalf("fake github redirected to %q", resp.Header.Get("Location"))
		}
		var nonce string
		for _, ck := range b.Jar.Cookies(cb) {
			if ck.Name == "cd_oauth_nonce" {
				nonce = ck.Value
			}
		}
		if nonce == "" {
			t.Fatalf("begin set no cd_oauth_nonce cookie for %s", cb)
		}
		state := cb.Query().Get("state")
		withState := func(s string) string {
			u := *cb
			v := u.Query()
			v.Set("state", s)
			u.RawQuery = v.Encode()
			return u.String()
		}
		// A plain client: cookies are set by hand, redirects not followed.
		land := func(u, cookie string) url.Values {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			if cookie != "" {
				req.AddCookie(&http.Cookie{Name: "cd_oauth_nonce", Value: cookie})
			}
			return spaLanding(t, noRedirects, req)
		}
		parts := strings.Split(state, ".")
		if len(parts) != 3 {
			t.Fatalf("state %q is not uid.exp.mac", state)
		}
		mac := []byte(parts[2])
		mac[0] ^= 1
		cases := []struct{ name, url, cookie string }{
			{"tampered mac", withState(parts[0] + "." + parts[1] + "." + string(mac)), nonce},
			{"tampered uid", withState("1." + parts[1] + "." + parts[2]), nonce},
			{"tampered expiry", withState(parts[0] + ".9999999999." + parts[2]), nonce},
			{"no state", withState(""), nonce},
			{"no nonce cookie", cb.String(), ""},
			{"another browser's nonce", cb.String(), "someone-elses-nonce"},
		}
		for _, tc := range cases {
			got := land(tc.url, tc.cookie)
			if got.Get("error") != "OAUTH_FAILED" || got.Get("ticket") != "" {
				t.Errorf("%s: SPA got %v, want error=OAUTH_FAILED and no ticket", tc.name, got)
			}
		}
		// The untouched callback in the browser that started it still works:
		// the failures above were the tampering's.
		if got := exchangeTicket(t, base, land(cb.String(), nonce)); got.User.ID != aliceID {
			t.Errorf("untampered callback signed in %s, want %s", got.User.ID, aliceID)
		}
		// And the code is spent now: replaying the callback fails.
		if got := land(cb.String(), nonce); got.Get("error") != "OAUTH_FAILED" {
			t.Errorf("replayed callback: SPA got %v, want error=OAUTH_FAILED", got)
		}
	})

	t.Run("link GitHub to a password account", func(t *testing.T) {
		status, body := call(t, http.MethodPost, base+"/v1/user/register", "",
			map[string]string{"username": "bob", "password": "correct horse battery", "email": "bob@example.com"})
		if status != http.StatusOK {
			t.Fatalf("register: %d %s", status, body)
		}
		status, body = call(t, http.MethodPost, base+"/v1/user/login", "",
			map[string]string{"username": "bob", "password": "correct horse battery"})
		if status != http.StatusOK {
			t.Fatalf("login: %d %s", status, body)
		}
		bob := decode[tokenReply](t, body)
		if bob.User.ID == aliceID {
			t.Fatalf("bob got alice's id")
		}

		status, body = call(t, http.MethodPost, base+"/v1/user/oauth/link", "", map[string]string{})
		wantAPIError(t, "link URL without a token", status, body, http.StatusUnauthorized, "UNAUTHENTICATED")

		status, body = call(t, http.MethodPost, base+"/v1/user/oauth/link", bob.AccessToken, map[string]string{})
		if status != http.StatusOK {
			t.Fatalf("link URL: %d %s", status, body)
		}
		link := decode[struct {
			URL string `json:"url"`
		}](t, body).URL
		if !strings.HasPrefix(link, "/v1/user/oauth/github?link=") {
			t.Fatalf("link URL %q, want /v1/user/oauth/github?link=...", link)
		}

		// A forged link value is refused before anyone goes to GitHub.
		authorizes, _ := gh.counts()
		status, body = call(t, http.MethodGet, base+"/v1/user/oauth/github?link=1.9999999999.forged", "", nil)
		wantAPIError(t, "forged link", status, body, http.StatusBadRequest, "OAUTH_FAILED")
		if a, _ := gh.counts(); a != authorizes {
			t.Errorf("a forged link still went to GitHub")
		}

		// The callback links nothing and signs no one in: it hands the SPA a
		// link ticket that only bob's own session may confirm.
		q := githubSignIn(t, gh, base, link, bobGH)
		lt := q.Get("link_ticket")
		if lt == "" || q.Get("ticket") != "" {
			t.Fatalf("link callback gave the SPA %v, want only a link_ticket", q)
		}
		status, body = call(t, http.MethodPost, base+"/v1/user/register", "",
			map[string]string{"username": "mallory", "password": "correct horse battery"})
		if status != http.StatusOK {
			t.Fatalf("register mallory: %d %s", status, body)
		}
		status, body = call(t, http.MethodPost, base+"/v1/user/login", "",
			map[string]string{"username": "mallory", "password": "correct horse battery"})
		mallory := decode[tokenReply](t, body)
		status, body = call(t, http.MethodPost, base+"/v1/user/oauth/link/confirm", mallory.AccessToken, map[string]string{"ticket": lt})
		wantAPIError(t, "someone else confirming bob's link", status, body, http.StatusBadRequest, "OAUTH_FAILED")
		// The refused try used the ticket up: bob starts again and confirms.
		lt = githubSignIn(t, gh, base, link, bobGH).Get("link_ticket")
		status, body = call(t, http.MethodPost, base+"/v1/user/oauth/link/confirm", bob.AccessToken, map[string]string{"ticket": lt})
		if status != http.StatusOK || !strings.Contains(string(body), bobGH.Login) {
			t.Fatalf("bob confirming his link: %d %s", status, body)
		}
		// A GitHub account linked to someone else cannot be linked again.
		q = githubSignIn(t, gh, base, link, alice)
		if q.Get("error") != "OAUTH_ALREADY_LINKED" {
			t.Fatalf("linking alice's GitHub to bob gave %v, want error=OAUTH_ALREADY_LINKED", q)
		}
		// From now on that GitHub identity signs in as bob...
		later := exchangeTicket(t, base, githubSignIn(t, gh, base, "/v1/user/oauth/github", bobGH))
		if later.User.ID != bob.User.ID {
			t.Fatalf("GitHub sign-in as %s after linking got user %s, want bob %s", bobGH.Login, later.User.ID, bob.User.ID)
		}
		// ...bob's password still works, and alice is still alice.
		status, body = call(t, http.MethodPost, base+"/v1/user/login", "",
			map[string]string{"username": "bob", "password": "correct horse battery"})
		if status != http.StatusOK {
			t.Errorf("password login after linking: %d %s", status, body)
		}
		if a := exchangeTicket(t, base, githubSignIn(t, gh, base, "/v1/user/oauth/github", alice)); a.User.ID != aliceID {
			t.Errorf("alice's GitHub sign-in got %s, want %s", a.User.ID, aliceID)
		}
	})

	t.Run("no takeover of a local account by username or email", func(t *testing.T) {
		// A local account holds the GitHub user's login as its username and
		// the GitHub user's verified email as its (unverified) email.
		carolGH := &ghUser{ID: 3003, Login: "octo-carol", Name: "Carol", Email: "carol@gh.example"}
		status, body := call(t, http.MethodPost, base+"/v1/user/register", "",
			map[string]string{"username": carolGH.Login, "password": "correct horse battery", "email": carolGH.Email})
		if status != http.StatusOK {
			t.Fatalf("register: %d %s", status, body)
		}
		local := decode[struct {
			User apiUser `json:"user"`
		}](t, body).User
		got := exchangeTicket(t, base, githubSignIn(t, gh, base, "/v1/user/oauth/github", carolGH))
		if got.User.ID == local.ID {
			t.Fatalf("GitHub sign-in as %s took over the local account %s", carolGH.Login, local.ID)
		}
		if got.User.Username == carolGH.Login || !strings.HasPrefix(got.User.Username, carolGH.Login) {
			t.Errorf("new account's username %q, want a free variant of %q", got.User.Username, carolGH.Login)
		}
		if again := exchangeTicket(t, base, githubSignIn(t, gh, base, "/v1/user/oauth/github", carolGH)); again.User.ID != got.User.ID {
			t.Errorf("second GitHub sign-in as %s got %s, want %s", carolGH.Login, again.User.ID, got.User.ID)
		}
	})

	// Without a client id the routes say GitHub sign-in is off.
	t.Run("disabled without client id", func(t *testing.T) {
		off := startUserService(t, func(c *Config, offBase string) {
			c.Oauth.Github.ClientId = ""
			c.Oauth.Github.ClientSecret = "set-but-useless"
			c.Oauth.Github.RedirectUrl = offBase + "/v1/user/oauth/github/callback"
		})
		status, body := call(t, http.MethodGet, off+"/v1/user/oauth/github", "", nil)
		wantAPIError(t, "begin with GitHub disabled", status, body, http.StatusNotFound, "OAUTH_DISABLED")

		status, body = call(t, http.MethodPost, off+"/v1/user/register", "",
			map[string]string{"username": "carol", "password": "correct horse battery"})
		if status != http.StatusOK {
			t.Fatalf("register: %d %s", status, body)
		}
		status, body = call(t, http.MethodPost, off+"/v1/user/login", "",
			map[string]string{"username": "carol", "password": "correct horse battery"})
		if status != http.StatusOK {
			t.Fatalf("login: %d %s", status, body)
		}
		status, body = call(t, http.MethodPost, off+"/v1/user/oauth/link", decode[tokenReply](t, body).AccessToken, map[string]string{})
		wantAPIError(t, "link URL with GitHub disabled", status, body, http.StatusNotFound, "OAUTH_DISABLED")
	})
}
