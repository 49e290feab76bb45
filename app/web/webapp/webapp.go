// Package webapp serves the single-page app on the API's port: the built
// files (hashed assets cached for a year, gzip when the client takes it),
// index.html for every client-side route so that a reload of /drive/42 or
// /s/<token> works, and never for the API's own paths. Without a build it
// serves a page that says how to make one.
package webapp

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/errors"

	commonv1 "clouddrive/api/common/v1"
	"clouddrive/app/web"
	"clouddrive/pkg/apierror"
)

// reserved are the paths the SPA never answers for: the API, its docs and
// the health check. A request that reaches this handler on one of them has
// no route (or used the wrong method) and gets the API's JSON error.
var reserved = []string{"/v1/", "/clouddrive.", "/openapi.yaml", "/docs", "/healthz", "/metrics"}

// CSP of the app's pages: everything from this origin; inline styles (the
// component library sets style attributes); blob: for previews (PDF frames,
// images) and data: for small inline images.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; frame-src 'self' blob:; object-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; " +
	"font-src 'self' data:; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

type file struct {
	body  []byte
	gz    []byte // nil when not worth compressing
	etag  string
	ctype string
}

// Handler serves the app embedded in the binary.
func Handler() http.Handler { return New(web.Dist()) }

// Built reports whether the embedded app has been built (has index.html).
func Built() bool {
	_, err := fs.Stat(web.Dist(), "index.html")
	return err == nil
}

// New serves the app in fsys (the contents of dist/). Files are read once.
func New(fsys fs.FS) http.Handler {
	h := &handler{files: map[string]*file{}}
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil
		}
		h.files["/"+p] = newFile(p, b)
		return nil
	})
	h.index = h.files["/index.html"]
	return h
}

func newFile(name string, b []byte) *file {
	sum := sha256.Sum256(b)
	f := &file{body: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: mime.TypeByExtension(path.Ext(name))}
	if f.ctype == "" {
		f.ctype = http.DetectContentType(b)
	}
	if compressible(f.ctype) && len(b) > 1024 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(b)
		_ = zw.Close()
		if buf.Len() < len(b)*9/10 {
			f.gz = buf.Bytes()
		}
	}
	return f
}

func compressible(ctype string) bool {
	for _, p := range []string{"text/", "application/javascript", "text/javascript", "application/json", "image/svg+xml", "application/manifest+json", "application/wasm"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

type handler struct {
	files map[string]*file
	index *file
}

func isReserved(p string) bool {
	for _, r := range reserved {
		if p == strings.TrimSuffix(r, "/") || strings.HasPrefix(p, r) || (!strings.HasSuffix(r, "/") && strings.HasPrefix(p, r+"/")) {
			return true
		}
	}
	return false
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if isReserved(p) {
		apierror.WriteHTTP(w, apierror.Localize(commonv1.ErrorNotFound("no route for %s %s", r.Method, r.URL.Path), r.Header.Get("Accept-Language")))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		apierror.WriteHTTP(w, errors.New(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "method "+r.Method+" is not allowed here"))
		return
	}
	if h.index == nil {
		notBuilt(w, r)
		return
	}
	clean := path.Clean(p)
	if f, ok := h.files[clean]; ok && clean != "/index.html" {
		if strings.HasPrefix(clean, "/assets/") {
			// Vite names them by content hash: they never change.
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		h.serve(w, r, f)
		return
	}
	if strings.HasPrefix(clean, "/assets/") || (path.Ext(clean) != "" && strings.Count(clean, "/") == 1 && clean != "/index.html") {
		// A missing asset (a stale page after a deploy) or top-level file
		// (/favicon.ico) must fail as one, not come back as HTML with 200.
		http.Error(w, "404 not found", http.StatusNotFound)
		return
	}
	// A client-side route: the app decides what to show.
	w.Header().Set("Cache-Control", "no-cache")
	pageHeaders(w)
	h.serve(w, r, h.index)
}

func pageHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	// Share links carry their token in the path: never send it elsewhere.
	hd.Set("Referrer-Policy", "same-origin")
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, f *file) {
	hd := w.Header()
	hd.Set("Content-Type", f.ctype)
	hd.Set("X-Content-Type-Options", "nosniff")
	if f.gz != nil {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			etag := strings.TrimSuffix(f.etag, `"`) + `-gz"`
			hd.Set("ETag", etag)
			if match(r.Header.Get("If-None-Match"), etag) {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			hd.Set("Content-Encoding", "gzip")
			hd.Set("Content-Length", strconv.Itoa(len(f.gz)))
			w.WriteHeader(http.StatusOK)
			if r.Method != http.MethodHead {
				_, _ = w.Write(f.gz)
			}
			return
		}
	}
	hd.Set("ETag", f.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

func match(ifNoneMatch, etag string) bool {
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding: gzip is taken unless absent or q=0.
func acceptsGzip(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "q") {
				if q, err := strconv.ParseFloat(v, 64); err == nil && q == 0 {
					return false
				}
			}
		}
		return true
	}
	return false
}

// notBuilt is the page of a binary built before the app was.
func notBuilt(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(http.StatusServiceUnavailable)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write([]byte(notBuiltPage))
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>clouddrive: web app not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;color:#222}code,pre{background:#f3f3f3;padding:.1em .3em;border-radius:4px}pre{padding:.8em}</style></head>
<body>
<h1>The web app is not built into this binary</h1>
<p>The API works (see <a href="/docs">/docs</a>); the browser app has not been built yet.
Build it (it needs Node.js 20.19 or later and npm) and rebuild the binary:</p>
<pre>make web      # npm ci &amp;&amp; npm run build in app/web
make run      # does both when needed</pre>
<p lang="zh">网页端尚未构建：请先运行 <code>make web</code>（需要 Node.js ≥ 20.19），再重新构建并启动（<code>make run</code> 会自动完成）。</p>
</body></html>
`
