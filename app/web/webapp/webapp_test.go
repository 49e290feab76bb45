package webapp

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/go-kratos/kratos/v2/transport/http"
)

const indexHTML = `<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>`

var bigJS = strings.Repeat("console.log('clouddrive');\n", 400)

func built() fstest.MapFS {
	return fstest.MapFS{
		"index.html":           {Data: []byte(indexHTML)},
		"favicon.svg":          {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
		"assets/index-abc1.js": {Data: []byte(bigJS)},
		"assets/app-x9.css":    {Data: []byte("body{margin:0}")},
		".gitkeep":             {Data: nil},
	}
}

func get(t *testing.T, h nethttp.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestRouting(t *testing.T) {
	h := New(built())
	tests := []struct {
		name, method, path string
		status             int
		wantIndex          bool
		cache              string
		ctype              string
	}{
		{"root", "GET", "/", 200, true, "no-cache", "text/html"},
		{"client route", "GET", "/drive/42", 200, true, "no-cache", "text/html"},
		{"share page", "GET", "/s/AbCd-ef_12", 200, true, "no-cache", "text/html"},
		{"oauth callback", "GET", "/oauth/callback?ticket=x", 200, true, "no-cache", "text/html"},
		{"index itself", "GET", "/index.html", 200, true, "no-cache", "text/html"},
		{"head", "HEAD", "/settings", 200, false, "no-cache", "text/html"},
		{"hashed asset", "GET", "/assets/index-abc1.js", 200, false, "public, max-age=31536000, immutable", "javascript"},
		{"css asset", "GET", "/assets/app-x9.css", 200, false, "public, max-age=31536000, immutable", "text/css"},
		{"top-level file", "GET", "/favicon.svg", 200, false, "no-cache", "image/svg+xml"},
		{"missing asset", "GET", "/assets/gone-123.js", 404, false, "", ""},
		{"missing top-level file", "GET", "/robots.txt", 404, false, "", ""},
		{"dotfile never served", "GET", "/.gitkeep", 404, false, "", ""},
		{"post to a page", "POST", "/drive", 405, false, "", "application/json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := get(t, h, tc.method, tc.path, nil)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tc.status, w.Body.String())
			}
			if tc.wantIndex && w.Body.String() != indexHTML {
				t.Fatalf("body is not index.html: %q", w.Body.String())
			}
			if tc.cache != "" && w.Header().Get("Cache-Control") != tc.cache {
				t.Fatalf("Cache-Control %q, want %q", w.Header().Get("Cache-Control"), tc.cache)
			}
			if tc.ctype != "" && !strings.Contains(w.Header().Get("Content-Type"), tc.ctype) {
				t.Fatalf("Content-Type %q, want %q", w.Header().Get("Content-Type"), tc.ctype)
			}
			if tc.wantIndex && !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'self'") {
				t.Fatalf("no CSP on the page")
			}
		})
	}
}

func TestAPIPathsAreNeverThePage(t *testing.T) {
	for _, isBuilt := range []bool{true, false} {
		fsys := fstest.MapFS{".gitkeep": {}}
		if isBuilt {
			fsys = built()
		}
		h := New(fsys)
		for _, p := range []string{"/v1/nope", "/v1/user/login", "/openapi.yaml", "/docs", "/docs/x.js", "/healthz", "/metrics"} {
			w := get(t, h, "GET", p, map[string]string{"Accept-Language": "en"})
			if w.Code != 404 {
				t.Fatalf("built=%v %s: status %d", isBuilt, p, w.Code)
			}
			var e struct {
				Code   int    `json:"code"`
				Reason string `json:"reason"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Reason != "NOT_FOUND" || e.Code != 404 {
				t.Fatalf("built=%v %s: body %q", isBuilt, p, w.Body.String())
			}
		}
	}
}

func TestGzipAndRevalidation(t *testing.T) {
	h := New(built())
	w := get(t, h, "GET", "/assets/index-abc1.js", map[string]string{"Accept-Encoding": "br, gzip"})
	if w.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(w.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("not gzipped: %v", w.Header())
	}
	zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if string(plain) != bigJS {
		t.Fatal("gzip body does not decode to the file")
	}
	etag := w.Header().Get("ETag")
	if w2 := get(t, h, "GET", "/assets/index-abc1.js", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag}); w2.Code != 304 {
		t.Fatalf("If-None-Match: %d", w2.Code)
	}
	// Identity for clients that refuse gzip, with its own validator and ranges.
	w3 := get(t, h, "GET", "/assets/index-abc1.js", map[string]string{"Accept-Encoding": "gzip;q=0"})
	if w3.Header().Get("Content-Encoding") != "" || w3.Body.String() != bigJS {
		t.Fatal("q=0 still got gzip")
	}
	if w4 := get(t, h, "GET", "/assets/index-abc1.js", map[string]string{"Range": "bytes=0-9"}); w4.Code != 206 || w4.Body.Len() != 10 {
		t.Fatalf("range: %d %d", w4.Code, w4.Body.Len())
	}
	pageTag := get(t, h, "GET", "/drive", nil).Header().Get("ETag")
	if w5 := get(t, h, "GET", "/trash", map[string]string{"If-None-Match": pageTag}); w5.Code != 304 {
		t.Fatalf("index revalidation: %d", w5.Code)
	}
}

func TestNotBuilt(t *testing.T) {
	h := New(fstest.MapFS{".gitkeep": {}})
	for _, p := range []string{"/", "/drive/1", "/assets/x.js"} {
		w := get(t, h, "GET", p, nil)
		if w.Code != 503 || !strings.Contains(w.Body.String(), "make web") {
			t.Fatalf("%s: %d %q", p, w.Code, w.Body.String())
		}
	}
}

// TestMountedOnKratos mounts the app the way the standalone binary does:
// after every API route, as the catch-all prefix. API routes must win.
func TestMountedOnKratos(t *testing.T) {
	s := http.NewServer()
	s.HandleFunc("/v1/user/me", func(w nethttp.ResponseWriter, _ *nethttp.Request) { _, _ = w.Write([]byte("me")) })
	s.Handle("/openapi.yaml", nethttp.HandlerFunc(func(w nethttp.ResponseWriter, _ *nethttp.Request) { _, _ = w.Write([]byte("openapi")) }))
	s.HandlePrefix("/", New(built()))
	for path, want := range map[string]string{"/v1/user/me": "me", "/openapi.yaml": "openapi", "/drive/7": indexHTML, "/": indexHTML} {
		if w := get(t, s, "GET", path, nil); w.Body.String() != want {
			t.Fatalf("%s: %q", path, w.Body.String())
		}
	}
	if w := get(t, s, "GET", "/v1/unknown", nil); w.Code != 404 || !strings.Contains(w.Body.String(), "NOT_FOUND") {
		t.Fatalf("unknown API path: %d %q", w.Code, w.Body.String())
	}
}

func TestEmbedded(t *testing.T) {
	// Compiles and serves something whether or not `make web` ran.
	w := get(t, Handler(), "GET", "/", nil)
	if Built() && w.Code != 200 || !Built() && w.Code != 503 {
		t.Fatalf("built=%v status=%d", Built(), w.Code)
	}
}
