package testkit

import (
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// FakeNacos is a FAKE of the Nacos server's HTTP config API (v1), enough
// for the SDK the kratos contrib source uses: GET /nacos/v1/cs/configs and
// the long-polling POST /nacos/v1/cs/configs/listener. Nacos (Java) cannot
// run here.
type FakeNacos struct {
	URL     *url.URL
	mu      sync.Mutex
	configs map[string]string // "dataId\x02group" -> content
	changed chan struct{}     // closed and replaced on every Publish
}

// NewFakeNacos starts the fake; it stops with the test.
func NewFakeNacos(t testing.TB) *FakeNacos {
	f := &FakeNacos{configs: map[string]string{}, changed: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL, _ = url.Parse(srv.URL)
	return f
}

// Addr is host:port for NACOS_ADDR.
func (f *FakeNacos) Addr() string { return f.URL.Host }

// Publish sets a configuration; listeners hear of it.
func (f *FakeNacos) Publish(dataID, group, content string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.configs[dataID+"\x02"+group] = content
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *FakeNacos) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	switch {
	case r.URL.Path == "/nacos/v1/cs/configs" && r.Method == http.MethodGet:
		f.mu.Lock()
		c, ok := f.configs[r.Form.Get("dataId")+"\x02"+r.Form.Get("group")]
		f.mu.Unlock()
		if !ok {
			http.Error(w, "config data not exist", http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte(c))
	case r.URL.Path == "/nacos/v1/cs/configs/listener" && r.Method == http.MethodPost:
		f.listen(w, r)
	default:
		http.NotFound(w, r)
	}
}

// listen answers with the keys whose content differs from the client's md5,
// holding the request (as Nacos does, though shorter) while none does.
func (f *FakeNacos) listen(w http.ResponseWriter, r *http.Request) {
	hangUp := r.Header.Get("Long-Pulling-Timeout-No-Hangup") != "true"
	deadline := time.After(2 * time.Second)
	for {
		f.mu.Lock()
		var out strings.Builder
		for _, entry := range strings.Split(r.Form.Get("Listening-Configs"), "\x01") {
			parts := strings.Split(entry, "\x02")
			if len(parts) < 3 {
				continue
			}
			sum := md5.Sum([]byte(f.configs[parts[0]+"\x02"+parts[1]]))
			if hex.EncodeToString(sum[:]) != parts[2] {
				out.WriteString(parts[0] + "\x02" + parts[1] + "\x01")
			}
		}
		changed := f.changed
		f.mu.Unlock()
		if out.Len() > 0 || !hangUp {
			_, _ = w.Write([]byte(url.QueryEscape(out.String())))
			return
		}
		select {
		case <-changed:
		case <-deadline:
			return
		case <-r.Context().Done():
			return
		}
	}
}
