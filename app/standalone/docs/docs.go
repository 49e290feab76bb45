// Package docs serves the API documentation of the standalone binary: the
// generated OpenAPI document at /openapi.yaml and, at /docs, a page that
// renders it with Swagger UI.
//
// Everything the page loads comes from the binary itself: the Swagger UI
// files, vendored from the npm package swagger-ui-dist into assets/ by
// update-assets.sh, and the page's own markup and start-up script in ui/ are
// embedded, and a Content-Security-Policy keeps the browser from loading
// anything from another origin. Swagger UI was chosen over Redoc because its
// dist bundle and stylesheet need nothing else at run time (no web fonts: it
// uses the system's; Redoc's page as documented loads its fonts from Google
// Fonts), its one outside call, the validator badge, can be switched off, and
// its "Try it out" lets a reader call the API from the page. The two files
// weigh under 2 MB, and are sent gzipped to browsers that accept it.
//
// Every URL in the page is relative, so the documentation also works when the
// server is reached through a reverse proxy that strips a path prefix.
package docs

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"clouddrive/api"
)

// The Swagger UI files that the page loads (see assets/README.md).
//
//go:embed assets/swagger-ui-bundle.js assets/swagger-ui.css assets/favicon-32x32.png
var vendored embed.FS

// The page and what it adds to Swagger UI.
//
//go:embed ui/index.html ui/init.js ui/page.css
var ui embed.FS

const (
	// SpecPath is where the OpenAPI document is served.
	SpecPath = "/openapi.yaml"
	// PagePath is where the documentation page is served; it is served at
	// PagePath+"/" too, and its files under PagePath+"/assets/".
	PagePath = "/docs"

	assetsPrefix = PagePath + "/assets/"

	// Content-Security-Policy of the page: scripts, styles, images and
	// requests from this origin only. Swagger UI sets style attributes, hence
	// 'unsafe-inline' for styles; it needs no inline script nor eval.
	pageCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

	cacheImmutable   = "public, max-age=31536000, immutable"
	cacheRevalidate  = "no-cache"
	methodsAllowed   = "GET, HEAD"
	contentTypeHTML  = "text/html; charset=utf-8"
	contentTypeYAML  = "application/yaml"
	gzipMinimumBytes = 1024
)

// contentTypes maps the extensions of the served files to their media types.
// It is fixed here rather than taken from the system's MIME tables, which
// differ from one machine to another.
var contentTypes = map[string]string{
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".png":  "image/png",
	".html": contentTypeHTML,
	".yaml": contentTypeYAML,
}

// file is one response body, ready to serve.
type file struct {
	body    []byte
	ctype   string
	etag    string // strong, quoted
	version string // short content hash, the ?v= of asset URLs
	gzipped func() []byte
}

func newFile(body []byte, ctype string) *file {
	sum := sha256.Sum256(body)
	version := hex.EncodeToString(sum[:8])
	f := &file{body: body, ctype: ctype, etag: strconv.Quote(version), version: version}
	if len(body) >= gzipMinimumBytes && !strings.HasPrefix(ctype, "image/") {
		f.gzipped = sync.OnceValue(func() []byte {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(body) // writes to a bytes.Buffer do not fail
			zw.Close()
			return buf.Bytes()
		})
	}
	return f
}

// site is everything that the handler serves.
type site struct {
	spec   *file
	pages  map[string]*file // by request path
	assets map[string]*file // by name under assetsPrefix
}

var loadSite = sync.OnceValue(func() *site {
	s, err := buildSite()
	if err != nil {
		// Only the embedded files go in, so this is a build mistake.
		panic("docs: " + err.Error())
	}
	return s
})

func buildSite() (*site, error) {
	s := &site{
		spec:   newFile(api.OpenAPI, contentTypeYAML),
		pages:  map[string]*file{},
		assets: map[string]*file{},
	}
	for _, src := range []struct {
		fs    embed.FS
		dir   string
		names []string
	}{
		{vendored, "assets", []string{"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}},
		{ui, "ui", []string{"init.js", "page.css"}},
	} {
		for _, name := range src.names {
			body, err := src.fs.ReadFile(src.dir + "/" + name)
			if err != nil {
				return nil, err
			}
			ctype, ok := contentTypes[path.Ext(name)]
			if !ok {
				return nil, fmt.Errorf("no content type for %s", name)
			}
			s.assets[name] = newFile(body, ctype)
		}
	}

	tmpl, err := template.ParseFS(ui, "ui/index.html")
	if err != nil {
		return nil, err
	}
	versions := map[string]string{}
	for name, f := range s.assets {
		versions[name] = f.version
	}
	// The same page at /docs and /docs/, each with URLs relative to itself.
	for reqPath, base := range map[string]struct{ assets, spec string }{
		PagePath:       {"docs/assets/", "openapi.yaml"},
		PagePath + "/": {"assets/", "../openapi.yaml"},
	} {
		var buf bytes.Buffer
		err := tmpl.Execute(&buf, map[string]any{
			"Assets":   base.assets,
			"Spec":     base.spec,
			"Versions": versions,
		})
		if err != nil {
			return nil, err
		}
		s.pages[reqPath] = newFile(buf.Bytes(), contentTypeHTML)
	}
	return s, nil
}

// Handler returns the handler of /openapi.yaml, /docs, /docs/ and
// /docs/assets/…; it answers 404 to any other path. Mount it at the root of a
// server or under http.StripPrefix, or let Register add its paths to a router.
func Handler() http.Handler {
	return handler{loadSite()}
}

// Register adds the documentation's paths to mux, each as an exact path, so
// that it suits both the kratos HTTP server (whose Handle matches a path
// exactly) and net/http's ServeMux.
func Register(mux interface{ Handle(string, http.Handler) }) {
	for _, p := range Paths() {
		mux.Handle(p, Handler())
	}
}

// Paths returns every path that Handler serves.
func Paths() []string {
	s := loadSite()
	paths := []string{SpecPath, PagePath, PagePath + "/"}
	names := make([]string, 0, len(s.assets))
	for name := range s.assets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		paths = append(paths, assetsPrefix+name)
	}
	return paths
}

type handler struct{ *site }

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	var (
		f     *file
		cache = cacheRevalidate
	)
	switch {
	case p == SpecPath:
		f = h.spec
	case h.pages[p] != nil:
		f = h.pages[p]
		w.Header().Set("Content-Security-Policy", pageCSP)
		w.Header().Set("Referrer-Policy", "no-referrer")
	case strings.HasPrefix(p, assetsPrefix):
		f = h.assets[strings.TrimPrefix(p, assetsPrefix)]
		// A URL that names the current version never changes meaning.
		if f != nil && r.URL.Query().Get("v") == f.version {
			cache = cacheImmutable
		}
	}
	if f == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", methodsAllowed)
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}

	hdr := w.Header()
	hdr.Set("Content-Type", f.ctype)
	hdr.Set("Cache-Control", cache)
	hdr.Set("X-Content-Type-Options", "nosniff")
	body, etag := f.body, f.etag
	if f.gzipped != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = f.gzipped(), strconv.Quote(f.version+"-gzip")
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip tells whether an Accept-Encoding header value allows gzip.
func acceptsGzip(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" {
			continue
		}
		for _, param := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(param, "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q == 0 {
					return false
				}
			}
		}
		return true
	}
	return false
}
