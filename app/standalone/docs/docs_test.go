package docs

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"clouddrive/api"
)

func get(t *testing.T, rawURL string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestSpec(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()

	resp, body := get(t, srv.URL+"/openapi.yaml", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc == "" {
		t.Error("no Cache-Control")
	}
	if !bytes.Contains(body, []byte("openapi:")) {
		t.Errorf("body has no \"openapi:\": %.200q", body)
	}
	if !bytes.Equal(body, api.OpenAPI) {
		t.Error("body differs from api.OpenAPI")
	}
}

// attrURL finds the URLs in src, href and data-spec-url attributes.
var attrURL = regexp.MustCompile(`\s(?:src|href|data-spec-url)="([^"]*)"`)

// external finds absolute and scheme-relative URLs.
var external = regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9.\[]`)

// TestPage fetches the page at each of its paths, also behind a proxy that
// strips a prefix, and then every URL that the page references.
func TestPage(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/", Handler())
	mux.Handle("/api/", http.StripPrefix("/api", Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	origin, _ := url.Parse(srv.URL)

	for _, pagePath := range []string{"/docs", "/docs/", "/api/docs", "/api/docs/"} {
		t.Run(pagePath, func(t *testing.T) {
			pageURL, _ := url.Parse(srv.URL + pagePath)
			resp, body := get(t, pageURL.String(), nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			html := string(body)
			if m := external.FindString(html); m != "" {
				t.Errorf("page refers to another origin (%q):\n%s", m, html)
			}

			refs := attrURL.FindAllStringSubmatch(html, -1)
			seen := map[string]bool{}
			for _, m := range refs {
				ref, err := url.Parse(m[1])
				if err != nil {
					t.Fatalf("bad URL %q: %v", m[1], err)
				}
				if ref.IsAbs() || ref.Host != "" || strings.HasPrefix(ref.Path, "/") {
					t.Errorf("URL %q is not relative to the page", m[1])
				}
				u := pageURL.ResolveReference(ref)
				if u.Scheme != origin.Scheme || u.Host != origin.Host {
					t.Errorf("URL %q leaves the origin", m[1])
				}
				seen[path.Base(u.Path)] = true

				resp, body := get(t, u.String(), nil)
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s: status %d", u, resp.StatusCode)
					continue
				}
				want := map[string]string{
					".js":   "text/javascript; charset=utf-8",
					".css":  "text/css; charset=utf-8",
					".png":  "image/png",
					".yaml": "application/yaml",
				}[path.Ext(u.Path)]
				if ct := resp.Header.Get("Content-Type"); want == "" || ct != want {
					t.Errorf("%s: Content-Type %q, want %q", u, ct, want)
				}
				if len(body) == 0 {
					t.Errorf("%s: empty", u)
				}
				if strings.Contains(u.Path, "/docs/assets/") {
					if cc := resp.Header.Get("Cache-Control"); cc != cacheImmutable {
						t.Errorf("%s: Cache-Control %q", u, cc)
					}
				}
			}
			for _, name := range []string{"swagger-ui-bundle.js", "swagger-ui.css", "init.js", "openapi.yaml"} {
				if !seen[name] {
					t.Errorf("page does not refer to %s:\n%s", name, html)
				}
			}
		})
	}
}

// TestOwnFilesStayLocal checks that the page's own script and style name no
// other origin, and that the script turns off the validator badge, Swagger
// UI's one call to the internet.
func TestOwnFilesStayLocal(t *testing.T) {
	for _, name := range []string{"ui/init.js", "ui/page.css", "ui/index.html"} {
		b, err := ui.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if m := external.Find(b); m != nil {
			t.Errorf("%s refers to another origin: %q", name, m)
		}
	}
	b, _ := ui.ReadFile("ui/init.js")
	if !bytes.Contains(b, []byte("validatorUrl: null")) {
		t.Error("init.js does not set validatorUrl: null")
	}
}

func TestAssetCaching(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	s := loadSite()
	js := s.assets["swagger-ui-bundle.js"]

	// Without the current version, the browser must revalidate.
	// (An explicit Accept-Encoding stops the client's transparent gzip.)
	identity := http.Header{"Accept-Encoding": {"identity"}}
	resp, _ := get(t, srv.URL+"/docs/assets/swagger-ui-bundle.js", identity)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("unversioned Cache-Control %q", cc)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	resp, body := get(t, srv.URL+"/docs/assets/swagger-ui-bundle.js",
		http.Header{"If-None-Match": {etag}, "Accept-Encoding": {"identity"}})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("If-None-Match: status %d, %d bytes", resp.StatusCode, len(body))
	}

	// Compressed for a client that asks, identical once uncompressed.
	u := srv.URL + "/docs/assets/swagger-ui-bundle.js?v=" + js.version
	resp, body = get(t, u, http.Header{"Accept-Encoding": {"gzip"}})
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("not gzipped: %v", resp.Header)
	}
	if resp.Header.Get("ETag") == etag {
		t.Error("gzipped and identity bodies share an ETag")
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain, js.body) {
		t.Error("gunzipped body differs")
	}
	t.Logf("swagger-ui-bundle.js: %d bytes, %d gzipped", len(js.body), len(body))

	resp, body = get(t, u, http.Header{"Accept-Encoding": {"gzip;q=0, identity"}})
	if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, js.body) {
		t.Error("gzip;q=0 still got gzip")
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	for _, p := range []string{"/", "/docsx", "/docs/assets/", "/docs/assets/nope.js",
		"/docs/assets/swagger-ui-bundle.js.map", "/docs/index.html", "/openapi.json"} {
		if resp, _ := get(t, srv.URL+p, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, resp.StatusCode)
		}
	}
	resp, err := http.Post(srv.URL+"/openapi.yaml", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	resp, err = http.Head(srv.URL + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD: status %d", resp.StatusCode)
	}
}

// exactMux is a router like the kratos HTTP server's Handle: exact paths only.
type exactMux map[string]http.Handler

func (m exactMux) Handle(p string, h http.Handler) { m[p] = h }

func TestRegister(t *testing.T) {
	exact := exactMux{}
	Register(exact)
	std := http.NewServeMux()
	Register(std)
	for _, p := range Paths() {
		if exact[p] == nil {
			t.Errorf("%s not registered", p)
		}
		rec := httptest.NewRecorder()
		std.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("ServeMux %s: status %d", p, rec.Code)
		}
	}
	for _, p := range []string{"/openapi.yaml", "/docs", "/docs/", "/docs/assets/swagger-ui-bundle.js"} {
		if exact[p] == nil {
			t.Errorf("%s missing from Paths", p)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                     false,
		"gzip":                 true,
		"deflate, gzip;q=0.5":  true,
		"br, GZIP":             true,
		"gzip;q=0":             false,
		"gzip; q=0.000, br":    false,
		"identity":             false,
		"x-gzip":               true,
		"gzipper, deflate":     false,
		"gzip;level=1;q=0.001": true,
	} {
		if got := acceptsGzip(accept); got != want {
			t.Errorf("acceptsGzip(%q) = %v", accept, got)
		}
	}
}

// TestAssetsReadme checks that assets/README.md names the version that
// update-assets.sh pins, and the license.
func TestAssetsReadme(t *testing.T) {
	script, err := os.ReadFile("update-assets.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^VERSION=(\S+)$`).FindSubmatch(script)
	if m == nil {
		t.Fatal("no VERSION= in update-assets.sh")
	}
	readme, err := os.ReadFile("assets/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"version **" + string(m[1]) + "**", "Apache-2.0"} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("assets/README.md lacks %q", want)
		}
	}
}
