// Package service is the WebDAV transport: Basic authentication, checks
// of every path a request names, and x/net/webdav's handler over the
// user's tree (fileSystem) and locks (lockSystem).
package service

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"golang.org/x/net/webdav"

	"clouddrive/app/webdav/internal/biz"
	"clouddrive/pkg/apiserver"
)

// Options configure the handler.
type Options struct {
	// Prefix is where the service is mounted ("/dav").
	Prefix string
	// TempDir holds PUT bodies while they are hashed (empty: the system's).
	TempDir string
	// TrustedProxies' X-Forwarded-For is believed (the throttled IP).
	TrustedProxies []string
}

// Handler serves WebDAV.
type Handler struct {
	o       Options
	trusted []netip.Prefix
	signin  *biz.SignInUsecase
	tree    *biz.TreeUsecase
	locks   *biz.LockUsecase
	log     *log.Helper
	access  *log.Helper
}

// NewHandler builds the handler.
func NewHandler(o Options, signin *biz.SignInUsecase, tree *biz.TreeUsecase, locks *biz.LockUsecase, logger log.Logger) *Handler {
	o.Prefix = "/" + strings.Trim(o.Prefix, "/")
	return &Handler{o: o, trusted: apiserver.ParseProxies(o.TrustedProxies), signin: signin, tree: tree, locks: locks,
		log: log.NewHelper(log.With(logger, "module", "service/webdav")), access: log.NewHelper(log.With(logger, "module", "access"))}
}

// Prefix is where the handler is mounted.
func (h *Handler) Prefix() string { return h.o.Prefix }

// checkPath refuses, before anything is resolved, a path that is not under
// the prefix or that names something no node can be called: "..", ".",
// an encoded "/" or "\" inside a name, control characters. Nothing could
// leave the user's root anyway (paths are resolved from it, name by name),
// but a clear 400 is better than a guess.
func (h *Handler) checkPath(decoded, escaped string) (int, string) {
	if decoded != h.o.Prefix && !strings.HasPrefix(decoded, h.o.Prefix+"/") {
		return http.StatusNotFound, "not under " + h.o.Prefix + "/"
	}
	lower := strings.ToLower(escaped)
	if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(lower, "%00") {
		return http.StatusBadRequest, "an encoded slash, backslash or NUL in a name"
	}
	if _, err := biz.SplitPath(strings.TrimPrefix(decoded, h.o.Prefix)); err != nil {
		return http.StatusBadRequest, err.Error()
	}
	return 0, ""
}

// checkDestination applies the same rules to COPY and MOVE's Destination:
// another host is x/net/webdav's 502 (it changes nothing), and a path
// outside the prefix or with a bad name is refused here.
func (h *Handler) checkDestination(r *http.Request) (int, string) {
	hdr := r.Header.Get("Destination")
	if hdr == "" {
		return 0, ""
	}
	u, err := url.Parse(hdr)
	if err != nil {
		return http.StatusBadRequest, "the Destination header is not a URL"
	}
	if u.Host != "" && u.Host != r.Host {
		return http.StatusBadGateway, "the Destination is on another server"
	}
	if u.Scheme != "" && u.Host == "" {
		return http.StatusBadRequest, "the Destination header is not a URL"
	}
	return h.checkPath(u.Path, u.EscapedPath())
}

func fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

// ServeHTTP serves one request, with an access line like every service's:
// method, status, latency and user, never the path (file names are the
// user's) nor the credentials.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start, sw := time.Now(), &statusWriter{ResponseWriter: w, req: &request{}}
	h.serve(sw, r)
	kv := []any{"kind", "webdav", "op", r.Method, "code", sw.code, "latency_ms", time.Since(start).Milliseconds()}
	if sw.uid != 0 {
		kv = append(kv, "uid", sw.uid)
	}
	if sw.code >= 500 {
		h.access.WithContext(r.Context()).Infow(kv...)
	} else {
		h.access.WithContext(r.Context()).Debugw(kv...)
	}
}

func (h *Handler) serve(w *statusWriter, r *http.Request) {
	if status, why := h.checkPath(r.URL.Path, r.URL.EscapedPath()); status != 0 {
		fail(w, status, why)
		return
	}
	if status, why := h.checkDestination(r); status != 0 {
		fail(w, status, why)
		return
	}
	ctx := r.Context()
	name, pass, ok := r.BasicAuth()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="clouddrive", charset="UTF-8"`)
		fail(w, http.StatusUnauthorized, "sign in with your username and an app password")
		return
	}
	ip := apiserver.RealIP(r.RemoteAddr, r.Header.Get("X-Forwarded-For"), h.trusted)
	u, err := h.signin.SignIn(ctx, name, pass, ip)
	if t, ok := biz.IsThrottled(err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(t.RetryAfter.Seconds())+1))
		fail(w, http.StatusTooManyRequests, "too many sign-in attempts; try again later")
		return
	}
	if errors.Is(err, biz.ErrBadCredentials) {
		h.log.WithContext(ctx).Infow("msg", "webdav sign-in failed", "ip", ip)
		w.Header().Set("WWW-Authenticate", `Basic realm="clouddrive", charset="UTF-8"`)
		fail(w, http.StatusUnauthorized, "wrong username or app password (the account password is not accepted here)")
		return
	}
	if err != nil {
		h.log.WithContext(ctx).Errorw("msg", "webdav sign-in", "err", err)
		w.Header().Set("Retry-After", "1")
		fail(w, http.StatusServiceUnavailable, "sign-in is unavailable; try again")
		return
	}
	if r.Method == "PROPFIND" && !strings.EqualFold(r.Header.Get("Depth"), "0") && r.Header.Get("Depth") != "1" {
		// RFC 4918 §9.1: a server may refuse Depth: infinity (the default),
		// which would list a whole tree, a call per folder, in one answer.
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n" +
			`<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>`))
		return
	}
	switch r.Method {
	case "PROPFIND", "PROPPATCH", "LOCK":
		if status, err := checkXMLBody(r); status != 0 {
			fail(w, status, err.Error())
			return
		}
	}
	w.uid = u.ID
	req := &request{view: h.tree.View(u), tempDir: h.o.TempDir,
		renew: func(ctx context.Context) (*biz.User, error) { return h.signin.SignIn(ctx, name, pass, ip) }}
	if r.Method == http.MethodPut && r.ContentLength > 0 {
		// Refuse what cannot fit before taking the bytes.
		if us, err := req.view.Usage(ctx); err == nil && us.Limit > 0 && us.Used+r.ContentLength > us.Limit {
			fail(w, webdav.StatusInsufficientStorage, "not enough space left")
			return
		}
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		req.get, req.header = strings.TrimPrefix(r.URL.Path, h.o.Prefix), w.Header()
	}
	fsys := &fileSystem{r: req}
	ls := &lockSystem{ctx: ctx, owner: u.ID, uc: h.locks, fs: fsys}
	if li, ok := sharedLock(r); ok {
		h.handleSharedLock(w, r, li, fsys, ls)
		return
	}
	dav := &webdav.Handler{
		Prefix:     h.o.Prefix,
		FileSystem: fsys,
		LockSystem: ls,
		Logger: func(r *http.Request, err error) {
			if err != nil {
				// Without the path a PathError names: file names stay out of logs.
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				h.log.WithContext(r.Context()).Debugw("msg", "webdav", "method", r.Method, "err", err)
			}
		},
	}
	w.req = req
	if r.Method == "PROPFIND" {
		if status := h.prefetch(ctx, req, strings.TrimPrefix(r.URL.Path, h.o.Prefix), r.Header.Get("Depth") == "1"); status != 0 {
			if status == http.StatusUnauthorized {
				h.signin.Forget(name, pass)
			}
			w.WriteHeader(status)
			return
		}
	}
	dav.ServeHTTP(w, r)
	if req.status == http.StatusUnauthorized {
		h.signin.Forget(name, pass)
	}
}

// statusWriter gives the status x/net/webdav cannot pick (507 for quota,
// 400 for a name the file service refused) where it would say 405, and
// notes the status for the access line.
type statusWriter struct {
	http.ResponseWriter
	req  *request
	code int
	uid  int64
}

func (s *statusWriter) WriteHeader(code int) {
	switch {
	case s.req.status == http.StatusUnauthorized && code >= 400:
		// Signed out meanwhile (a revoked app password): whatever
		// x/net/webdav made of the failure, the client must sign in.
		code = http.StatusUnauthorized
		s.Header().Set("WWW-Authenticate", `Basic realm="clouddrive", charset="UTF-8"`)
	case s.req.status == http.StatusServiceUnavailable && code >= 400:
		// A service shed the call: a client retries a 503, not a 405.
		code = http.StatusServiceUnavailable
		s.Header().Set("Retry-After", "1")
	case (code == http.StatusMethodNotAllowed || code == http.StatusForbidden || code == http.StatusInternalServerError) && s.req.status != 0:
		code = s.req.status
	}
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Flush lets a long PROPFIND stream.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// prefetch reads, before x/net/webdav writes a byte, everything a PROPFIND
// answer needs: the node, its folder's listing (Depth: 1), the quota and
// the dead properties. x/net/webdav streams its 207 and, when a listing
// fails half way, closes it as if the folder were empty, which a sync
// client takes for deleted files; a failure here is a clean 503 (or 401)
// instead. It returns 0 when the request may go on.
func (h *Handler) prefetch(ctx context.Context, req *request, name string, depth1 bool) int {
	fail := func(err error) int {
		_ = req.osErr("propfind", name, err)
		if req.status == 0 {
			req.status = http.StatusInternalServerError
		}
		h.log.WithContext(ctx).Infow("msg", "webdav propfind refused", "err", err)
		return req.status
	}
	n, err := req.view.Resolve(ctx, name)
	if errors.Is(err, biz.ErrNotFound) || errors.Is(err, biz.ErrNotFolder) {
		return 0 // x/net/webdav answers 404
	}
	if err != nil {
		return fail(err)
	}
	nodes := []*biz.Node{n}
	if n.Folder {
		if req.usage, err = req.view.Usage(ctx); err != nil {
			return fail(err)
		}
		if depth1 {
			children, err := req.view.Children(ctx, n)
			if err != nil {
				return fail(err)
			}
			nodes = append(nodes, children...)
		}
	}
	for _, c := range nodes {
		if _, err := req.view.Props(ctx, c); err != nil {
			return fail(err)
		}
	}
	return 0
}
