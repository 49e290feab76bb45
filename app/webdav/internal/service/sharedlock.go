package service

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"clouddrive/app/webdav/internal/biz"
)

// lockRequest is the part of a LOCK body that says the scope.
type lockRequest struct {
	XMLName xml.Name  `xml:"DAV: lockinfo"`
	Shared  *struct{} `xml:"DAV: lockscope>shared"`
	Write   *struct{} `xml:"DAV: locktype>write"`
	Owner   struct {
		InnerXML string `xml:",innerxml"`
	} `xml:"DAV: owner"`
}

// sharedLock reads a LOCK body (already in memory) and reports whether it
// asks for a shared lock, which x/net/webdav refuses with 501.
func sharedLock(r *http.Request) (*lockRequest, bool) {
	if r.Method != "LOCK" || r.Body == nil {
		return nil, false
	}
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil || len(body) == 0 {
		return nil, false
	}
	var li lockRequest
	if xml.Unmarshal(body, &li) != nil || li.Shared == nil || li.Write == nil {
		return nil, false
	}
	return &li, true
}

// parseTimeout reads the Timeout header as x/net/webdav does.
func parseTimeout(s string) (time.Duration, bool) {
	if i := strings.IndexByte(s, ','); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if s == "" || s == "Infinite" {
		return -1, true
	}
	n, err := strconv.ParseUint(strings.TrimPrefix(s, "Second-"), 10, 32)
	if !strings.HasPrefix(s, "Second-") || err != nil {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// handleSharedLock takes a shared write lock (RFC 4918 §6.2): several
// owners may hold one on a resource, and each keeps every exclusive lock
// (and so every unlocked write) out.
func (h *Handler) handleSharedLock(w http.ResponseWriter, r *http.Request, li *lockRequest, fsys *fileSystem, ls *lockSystem) {
	ctx := r.Context()
	duration, ok := parseTimeout(r.Header.Get("Timeout"))
	if !ok {
		fail(w, http.StatusBadRequest, "invalid Timeout header")
		return
	}
	depth := r.Header.Get("Depth")
	if depth != "" && depth != "0" && !strings.EqualFold(depth, "infinity") {
		fail(w, http.StatusBadRequest, "a LOCK's Depth is 0 or infinity")
		return
	}
	name := strings.TrimPrefix(r.URL.Path, h.o.Prefix)
	if name == "" {
		name = "/"
	}
	token, err := h.locks.Create(ctx, ls.owner, time.Now(), biz.Lock{Root: name, ZeroDepth: depth == "0",
		OwnerXML: li.Owner.InnerXML, Duration: duration, Shared: true})
	if errors.Is(err, biz.ErrLocked) {
		fail(w, http.StatusLocked, "locked")
		return
	}
	if err != nil {
		h.log.WithContext(ctx).Errorw("msg", "webdav shared lock", "err", err)
		fail(w, http.StatusInternalServerError, "the lock could not be taken")
		return
	}
	created := false
	if _, err := fsys.Stat(ctx, name); err != nil {
		// A lock on an unmapped URL makes an empty file (RFC 4918 §7.3).
		f, err := fsys.OpenFile(ctx, name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
		if err == nil {
			err = f.Close()
		}
		if err != nil {
			_ = h.locks.Unlock(ctx, ls.owner, time.Now(), token)
			status := http.StatusConflict
			if !os.IsNotExist(err) {
				status = http.StatusInternalServerError
			}
			fail(w, status, "the resource could not be made")
			return
		}
		created = true
	}
	timeout := "Infinite"
	if duration >= 0 {
		timeout = fmt.Sprintf("Second-%d", duration/time.Second)
	}
	d := "infinity"
	if depth == "0" {
		d = "0"
	}
	w.Header().Set("Lock-Token", "<"+token+">")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	if created {
		w.WriteHeader(http.StatusCreated)
	}
	var root bytes.Buffer
	_ = xml.EscapeText(&root, []byte(r.URL.Path))
	_, _ = fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"+
		"<D:prop xmlns:D=\"DAV:\"><D:lockdiscovery><D:activelock>\n"+
		"\t<D:locktype><D:write/></D:locktype>\n"+
		"\t<D:lockscope><D:shared/></D:lockscope>\n"+
		"\t<D:depth>%s</D:depth>\n"+
		"\t<D:owner>%s</D:owner>\n"+
		"\t<D:timeout>%s</D:timeout>\n"+
		"\t<D:locktoken><D:href>%s</D:href></D:locktoken>\n"+
		"\t<D:lockroot><D:href>%s</D:href></D:lockroot>\n"+
		"</D:activelock></D:lockdiscovery></D:prop>", d, li.Owner.InnerXML, timeout, token, root.String())
}
