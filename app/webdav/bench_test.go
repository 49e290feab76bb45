package webdav_test

// Benchmarks of the WebDAV service against the standalone binary: a 1 GiB
// PUT and GET through /dav/, beside the same through the HTTP API (upload
// protocol; signed download URL) in the same run, with the server's peak
// RSS growth during each. One run moves the whole size in one transfer
// whatever b.N (b.N ops of size/b.N bytes each), so `make bench`'s
// -benchtime=200x moves it once per run, not 200 times.
//
// CLOUDDRIVE_BENCH_DAV_SIZE sets the size in bytes (default 1 GiB; 16 MiB
// with -short).

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"clouddrive/pkg/contenthash"
)

type benchServer struct {
	cmd   *exec.Cmd
	dir   string
	base  string
	user  string
	token string
	app   string
	hc    *http.Client
}

var (
	benchOnce sync.Once
	bench     *benchServer
	benchErr  error
	benchSeed atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if bench != nil {
		_ = bench.cmd.Process.Kill()
		_, _ = bench.cmd.Process.Wait()
		_ = os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

func benchSize() int64 {
	if s := os.Getenv("CLOUDDRIVE_BENCH_DAV_SIZE"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			return n
		}
	}
	if testing.Short() {
		return 16 << 20
	}
	return 1 << 30
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startBench builds and starts the standalone binary once, with an account
// and an app password.
func startBench(b *testing.B) *benchServer {
	benchOnce.Do(func() {
		s := &benchServer{hc: &http.Client{Transport: &http.Transport{Proxy: nil}}}
		if s.dir, benchErr = os.MkdirTemp("", "clouddrive-webdav-bench-"); benchErr != nil {
			return
		}
		bin := filepath.Join(s.dir, "clouddrive")
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			benchErr = err
			return
		}
		build := exec.Command("go", "build", "-o", bin, "./app/standalone/cmd/clouddrive")
		build.Dir = filepath.Dir(strings.TrimSpace(string(out)))
		if out, err := build.CombinedOutput(); err != nil {
			benchErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		httpAddr, err := freePort()
		if err != nil {
			benchErr = err
			return
		}
		grpcAddr, err := freePort()
		if err != nil {
			benchErr = err
			return
		}
		logf, err := os.Create(filepath.Join(s.dir, "server.log"))
		if err != nil {
			benchErr = err
			return
		}
		s.cmd = exec.Command(bin, "-data", filepath.Join(s.dir, "data"), "-http", httpAddr, "-grpc", grpcAddr)
		s.cmd.Stdout, s.cmd.Stderr = logf, logf
		if benchErr = s.cmd.Start(); benchErr != nil {
			return
		}
		bench = s
		s.base = "http://" + httpAddr
		for i := 0; ; i++ {
			resp, err := s.hc.Get(s.base + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if i > 400 {
				benchErr = fmt.Errorf("the binary did not become healthy: %v", err)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		s.user = "bench"
		pw := "Pw-x9-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		if benchErr = s.api("/v1/user/register", "", map[string]string{"username": s.user, "password": pw}, nil); benchErr != nil {
			return
		}
		var tr struct {
			AccessToken string `json:"access_token"`
		}
		if benchErr = s.api("/v1/user/login", "", map[string]string{"username": s.user, "password": pw}, &tr); benchErr != nil {
			return
		}
		s.token = tr.AccessToken
		var ap struct {
			Password string `json:"password"`
		}
		if benchErr = s.api("/v1/user/app_password", s.token, map[string]string{"name": "bench"}, &ap); benchErr != nil {
			return
		}
		s.app = ap.Password
		// The first account is an administrator: room for the runs.
		var me struct {
			ID string `json:"id"`
		}
		if benchErr = s.api("/v1/user/me", s.token, nil, &me); benchErr != nil {
			return
		}
		benchErr = s.api("/v1/admin/quota/set", s.token, map[string]any{"user_id": me.ID, "limit_bytes": int64(1) << 50}, nil)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return bench
}

func (s *benchServer) api(path, token string, body any, out any) error {
	method, rd := http.MethodGet, io.Reader(nil)
	if body != nil {
		j, _ := json.Marshal(body)
		method, rd = http.MethodPost, bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// content is size bytes, different for each seed (no deduplication
// between runs), made from one random MiB.
type content struct {
	seed, size, off int64
}

var (
	pieceOnce sync.Once
	piece     []byte
)

func newContent(size int64) *content {
	pieceOnce.Do(func() {
		piece = make([]byte, 1<<20)
		_, _ = rand.Read(piece)
	})
	return &content{seed: benchSeed.Add(1) + time.Now().UnixNano(), size: size}
}

func (c *content) Read(p []byte) (int, error) {
	if c.off >= c.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && c.off < c.size {
		at := c.off % int64(len(piece))
		k := copy(p[n:], piece[at:min(int64(len(piece)), at+c.size-c.off)])
		// The first 16 bytes of every MiB name the seed and the MiB.
		for i := 0; i < k; i++ {
			if pos := at + int64(i); pos < 16 {
				var tag [16]byte
				binary.LittleEndian.PutUint64(tag[:8], uint64(c.seed))
				binary.LittleEndian.PutUint64(tag[8:], uint64(c.off/int64(len(piece))))
				p[n+i] = tag[pos]
			}
		}
		n += k
		c.off += int64(k)
	}
	return n, nil
}

// rssWatch samples the server's resident set while a transfer runs.
type rssWatch struct {
	start, peak atomic.Int64
	stop        chan struct{}
	done        chan struct{}
}

func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func watchRSS(pid int) *rssWatch {
	w := &rssWatch{stop: make(chan struct{}), done: make(chan struct{})}
	w.start.Store(rss(pid))
	w.peak.Store(w.start.Load())
	go func() {
		defer close(w.done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				if r := rss(pid); r > w.peak.Load() {
					w.peak.Store(r)
				}
			}
		}
	}()
	return w
}

// growth stops the watch and returns the peak growth in MiB.
func (w *rssWatch) growth() float64 {
	close(w.stop)
	<-w.done
	return float64(w.peak.Load()-w.start.Load()) / (1 << 20)
}

func (s *benchServer) davPut(name string, size int64) error {
	req, _ := http.NewRequest(http.MethodPut, s.base+"/dav/"+name, newContent(size))
	req.ContentLength = size
	req.SetBasicAuth(s.user, s.app)
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		data, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("PUT %s: %d %s", name, resp.StatusCode, data)
	}
	return nil
}

func (s *benchServer) get(url string, auth func(*http.Request), size int64) error {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	auth(req)
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	n, err := io.CopyBuffer(io.Discard, resp.Body, make([]byte, 256<<10))
	if err == nil && n != size {
		err = fmt.Errorf("GET %s: %d bytes, want %d", url, n, size)
	}
	return err
}

// apiPut uploads through the upload protocol as the CLI does (hash first,
// outside the timer; then init, every chunk in order, complete) and
// returns the node id.
func (s *benchServer) apiPut(b *testing.B, name string, size int64) string {
	b.StopTimer()
	hash, _, err := contenthash.HashReader(newContentSeeded(size))
	if err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	var sess struct {
		UploadID   string `json:"upload_id"`
		ChunkSize  string `json:"chunk_size"`
		ChunkCount string `json:"chunk_count"`
	}
	if err := s.api("/v1/upload/init", s.token, map[string]any{"name": name, "size": size, "content_hash": hash}, &sess); err != nil {
		b.Fatal(err)
	}
	cs, _ := strconv.ParseInt(sess.ChunkSize, 10, 64)
	count, _ := strconv.ParseInt(sess.ChunkCount, 10, 64)
	body := newContentSeeded(size)
	for i := int64(0); i < count; i++ {
		n := min(cs, size-i*cs)
		req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/v1/upload/%s/%d", s.base, sess.UploadID, i), io.LimitReader(body, n))
		req.ContentLength = n
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := s.hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			b.Fatalf("chunk %d: %d %s", i, resp.StatusCode, data)
		}
	}
	var node struct {
		ID string `json:"id"`
	}
	if err := s.api("/v1/upload/complete", s.token, map[string]string{"upload_id": sess.UploadID}, &node); err != nil {
		b.Fatal(err)
	}
	return node.ID
}

// seeded content for the API upload: hashed, then sent, the same bytes.
var apiSeed atomic.Int64

func newContentSeeded(size int64) *content {
	c := newContent(size)
	c.seed = apiSeed.Load()
	return c
}

// report adds the server's peak RSS growth (MB/s comes from SetBytes).
func report(b *testing.B, growth float64) {
	b.ReportMetric(growth, "peak-rss-growth-MiB")
}

// BenchmarkWebDAVPut is a PUT of the whole size to /dav/, beside an upload
// of the same size through the HTTP API.
func BenchmarkWebDAVPut(b *testing.B) {
	s := startBench(b)
	size := benchSize()
	b.Run("webdav", func(b *testing.B) {
		b.SetBytes(size / int64(b.N))
		w := watchRSS(s.cmd.Process.Pid)
		if err := s.davPut(fmt.Sprintf("put-%d.bin", benchSeed.Add(1)), size); err != nil {
			b.Fatal(err)
		}
		report(b, w.growth())
	})
	b.Run("http-api", func(b *testing.B) {
		b.SetBytes(size / int64(b.N))
		apiSeed.Store(time.Now().UnixNano())
		w := watchRSS(s.cmd.Process.Pid)
		s.apiPut(b, fmt.Sprintf("api-put-%d.bin", benchSeed.Add(1)), size)
		report(b, w.growth())
	})
}

// BenchmarkWebDAVGet is a GET of the whole size from /dav/, beside a
// download of the same file through a signed URL of the HTTP API.
func BenchmarkWebDAVGet(b *testing.B) {
	s := startBench(b)
	size := benchSize()
	name := fmt.Sprintf("get-%d.bin", benchSeed.Add(1))
	if err := s.davPut(name, size); err != nil {
		b.Fatal(err)
	}
	var list struct {
		Items []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	if err := s.api("/v1/file/list?page_size=1000", s.token, nil, &list); err != nil {
		b.Fatal(err)
	}
	id := ""
	for _, n := range list.Items {
		if n.Name == name {
			id = n.ID
		}
	}
	b.Run("webdav", func(b *testing.B) {
		b.SetBytes(size / int64(b.N))
		w := watchRSS(s.cmd.Process.Pid)
		if err := s.get(s.base+"/dav/"+name, func(r *http.Request) { r.SetBasicAuth(s.user, s.app) }, size); err != nil {
			b.Fatal(err)
		}
		report(b, w.growth())
	})
	b.Run("http-api", func(b *testing.B) {
		b.SetBytes(size / int64(b.N))
		w := watchRSS(s.cmd.Process.Pid)
		var u struct {
			URL string `json:"url"`
		}
		if err := s.api("/v1/download/url", s.token, map[string]string{"id": id}, &u); err != nil {
			b.Fatal(err)
		}
		if err := s.get(s.base+u.URL, func(*http.Request) {}, size); err != nil {
			b.Fatal(err)
		}
		report(b, w.growth())
	})
}
