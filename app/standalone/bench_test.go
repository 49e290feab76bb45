package standalone_test

// Benchmarks of the storage service through the standalone binary, each with
// a baseline measured in the same run (docs/BENCHMARKS.md, section Storage):
//
//	BenchmarkStorageUpload1GiB       1 GiB over HTTP, 4 chunk PUTs at a time, then
//	                                 complete (durable): MB/s, and the server's peak
//	                                 RSS growth; baselines: the same PUTs to a
//	                                 loopback sink, and dd conv=fsync on the data disk
//	BenchmarkStorageDownload1GiB     the signed URL, one stream and 4 Range requests:
//	                                 MB/s and RSS growth; baseline: a loopback source
//	BenchmarkStorageSmallFiles       500 files of 4 KiB, 8 workers: files/s;
//	                                 baselines: 500 × 3 trivial loopback round trips,
//	                                 and 500 durable 4 KiB files written on the data disk
//	BenchmarkStorageInstantUpload    200 × (init + prove) of a stored 64 MiB file by
//	                                 another user: p50/p99; baseline: 2 round trips
//
// Each also reports the server's CPU time (user + system) in the measured
// part, which says whether a figure is bound by the server's CPU or by
// waiting, and moves much less than wall time when other work shares the
// machine.
//
// One iteration moves a whole GiB: run them once each,
//
//	go test -run '^$' -bench Storage -benchtime=1x -timeout 60m ./app/standalone/
//
// (or tools/scripts/bench-storage.sh). Every figure is a b.ReportMetric; none
// is asserted. The binary is built and started once, on a fresh data folder
// under $CLOUDDRIVE_BENCH_DIR (default: the system temp folder, which must be
// a real disk for the dd baseline to mean anything). The baselines talk to a
// helper process (this test binary re-run as a trivial HTTP server), so the
// client, the server under test and the baseline server are separate
// processes alike. A reaper process bound to this one by a pipe kills the
// server and the helper and removes the data folder when this process ends,
// however it ends.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	binenc "encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	userv1 "clouddrive/api/user/v1"
)

const (
	benchBigSize      = 1 << 30  // the 1 GiB file
	benchPiece        = 8 << 20  // the baselines' request size (the server's default chunk)
	benchBlock        = 4 << 20  // the content hash's block
	benchInstantSize  = 64 << 20 // the file of the instant-upload benchmark
	benchInstantRuns  = 200      // init + prove pairs per iteration
	benchSmallFiles   = 500
	benchSmallSize    = 4 << 10
	benchSmallWorkers = 8
	benchWorkers      = 4         // parallel chunk PUTs, and Range requests
	benchCopyBuf      = 256 << 10 // the copy buffer of every client and sink
	benchRSSTarget    = 32        // MiB: the target for the RSS growth
	benchHelperEnv    = "CLOUDDRIVE_BENCH_HELPER"
)

// ---------------------------------------------------------------------------
// Content: a counter-based PRNG (splitmix64 of the 8-byte word's index), so
// any range is generated on its own: no GiB is ever held in memory and every
// worker fills its own chunk.

type benchContent struct {
	seed uint64
	size int64
	hash string // the content hash, from a first streaming pass
}

func newBenchContent(seed uint64, size int64) *benchContent {
	c := &benchContent{seed: seed, size: size}
	c.hash = c.contentHash()
	return c
}

func benchWord(seed, w uint64) uint64 {
	z := seed + (w+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// fill writes the bytes [off, off+len(p)) of the content into p.
func (c *benchContent) fill(p []byte, off int64) {
	w := uint64(off / 8)
	var tmp [8]byte
	if skip := int(off % 8); skip != 0 {
		binenc.LittleEndian.PutUint64(tmp[:], benchWord(c.seed, w))
		p = p[copy(p, tmp[skip:]):]
		w++
	}
	for len(p) >= 8 {
		binenc.LittleEndian.PutUint64(p, benchWord(c.seed, w))
		p = p[8:]
		w++
	}
	if len(p) > 0 {
		binenc.LittleEndian.PutUint64(tmp[:], benchWord(c.seed, w))
		copy(p, tmp[:])
	}
}

// contentHash is SHA-256 over the SHA-256 digests of each 4 MiB block, hex.
func (c *benchContent) contentHash() string {
	buf := make([]byte, min(int64(benchBlock), c.size))
	var digests []byte
	for off := int64(0); off < c.size; off += benchBlock {
		b := buf[:min(int64(benchBlock), c.size-off)]
		c.fill(b, off)
		d := sha256.Sum256(b)
		digests = append(digests, d[:]...)
	}
	sum := sha256.Sum256(digests)
	return hex.EncodeToString(sum[:])
}

// bytes returns the whole content (for the small ones only).
func (c *benchContent) bytes() []byte {
	b := make([]byte, c.size)
	c.fill(b, 0)
	return b
}

var benchSeeds atomic.Uint64 // fresh content and names for every iteration

func benchNextSeed() uint64 { return benchSeeds.Add(1) * 0x2545f4914f6cdd1d }

// ---------------------------------------------------------------------------
// The helper process: a trivial loopback HTTP server for the baselines.
//   PUT  /sink/...        reads the body into nothing (256 KiB buffer), 204
//   GET  /source?size=N   N bytes of a repeated 8 MiB PRNG buffer, with Range
//   POST /rt              reads the body, answers {"ok":true}
// It exits when its stdin closes (this process ended).

func init() {
	if os.Getenv(benchHelperEnv) == "1" {
		os.Exit(benchHelperMain())
	}
}

type benchDiscard struct{} // an io.Writer without ReadFrom: copies use our buffer

func (benchDiscard) Write(p []byte) (int, error) { return len(p), nil }

var benchBufs = sync.Pool{New: func() any { b := make([]byte, benchCopyBuf); return &b }}

func benchHelperMain() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	pattern := make([]byte, benchPiece)
	(&benchContent{seed: 42}).fill(pattern, 0)
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /sink/", func(w http.ResponseWriter, r *http.Request) {
		buf := benchBufs.Get().(*[]byte)
		defer benchBufs.Put(buf)
		if _, err := io.CopyBuffer(benchDiscard{}, r.Body, *buf); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /source", func(w http.ResponseWriter, r *http.Request) {
		size, err := strconv.ParseInt(r.URL.Query().Get("size"), 10, 64)
		if err != nil || size < 0 {
			http.Error(w, "size", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", time.Time{}, &benchRepeat{pattern: pattern, size: size})
	})
	mux.HandleFunc("POST /rt", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	fmt.Printf("addr=%s\n", ln.Addr())
	err = (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// benchRepeat is size bytes of pattern repeated, seekable for ServeContent.
type benchRepeat struct {
	pattern   []byte
	size, off int64
}

func (r *benchRepeat) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	i := r.off % int64(len(r.pattern))
	n := int64(copy(p, r.pattern[i:]))
	n = min(n, r.size-r.off)
	r.off += n
	return int(n), nil
}

func (r *benchRepeat) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += r.off
	case io.SeekEnd:
		off += r.size
	}
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	r.off = off
	return off, nil
}

// ---------------------------------------------------------------------------
// The environment: the server, the helper, the users, started once.

type benchUser struct {
	id, name, password string

	mu    sync.Mutex
	token string
	at    time.Time
}

type benchEnv struct {
	root, dataDir string
	base          string // the server's HTTP origin
	pid           int    // the server's pid
	helper        string // the helper's HTTP origin
	hc            *http.Client

	admin, other *benchUser // admin is the first account

	big     *benchContent // 1 GiB
	bigOnce sync.Once
	bigMu   sync.Mutex
	bigNode string // a stored node of big (once uploaded)

	inst     *benchContent // 64 MiB, stored by admin
	instOnce sync.Once
	instErr  error
}

var (
	benchOnce   sync.Once
	benchShared *benchEnv
	benchErr    error
	// The write ends of the reaper's and the helper's stdin: open as long
	// as this process lives (a package variable, so never finalised).
	benchLifelines []*os.File
)

func getBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	if testing.Short() {
		b.Skip("storage benchmarks: build and run the standalone binary, move GiBs (skipped with -short)")
	}
	benchOnce.Do(func() { benchShared, benchErr = startBenchEnv(b) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchShared
}

func benchTransport() *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		WriteBufferSize:     benchCopyBuf,
		ReadBufferSize:      benchCopyBuf,
	}
}

func startBenchEnv(b *testing.B) (*benchEnv, error) {
	start := time.Now()
	root, err := os.MkdirTemp(os.Getenv("CLOUDDRIVE_BENCH_DIR"), "clouddrive-bench-")
	if err != nil {
		return nil, err
	}
	e := &benchEnv{root: root, dataDir: filepath.Join(root, "data"), hc: &http.Client{Transport: benchTransport()}}
	if err := e.startReaper(); err != nil {
		_ = os.RemoveAll(root)
		return nil, err
	}
	bin, err := e.build()
	if err != nil {
		return nil, err
	}
	if err := e.startHelper(); err != nil {
		return nil, err
	}
	if err := e.startServer(bin); err != nil {
		return nil, err
	}
	if err := e.users(); err != nil {
		return nil, err
	}
	e.big = newBenchContent(benchNextSeed(), benchBigSize)
	e.inst = newBenchContent(benchNextSeed(), benchInstantSize)
	b.Logf("bench env: server pid %d at %s, data %s, helper %s; ready in %v",
		e.pid, e.base, e.dataDir, e.helper, time.Since(start).Round(time.Millisecond))
	return e, nil
}

// startReaper starts `sh` reading a pipe whose write end only this process
// holds: at EOF (this process ended) it kills the pids listed in root/pids
// and removes root (kept when CLOUDDRIVE_BENCH_KEEP is set).
func (e *benchEnv) startReaper() error {
	script := `cat >/dev/null; for p in $(cat "$0/pids" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done; sleep 0.2; [ -n "$1" ] || rm -rf "$0"`
	return startWithLifeline(exec.Command("sh", "-c", script, e.root, os.Getenv("CLOUDDRIVE_BENCH_KEEP")))
}

// startWithLifeline starts cmd with a stdin that reaches EOF when this
// process ends: the pipe's write end is kept open here and is not inherited
// by any child (Go opens it close-on-exec).
func startWithLifeline(cmd *exec.Cmd) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdin = r
	err = cmd.Start()
	_ = r.Close()
	if err != nil {
		_ = w.Close()
		return err
	}
	benchLifelines = append(benchLifelines, w)
	go func() { _ = cmd.Wait() }()
	return nil
}

func (e *benchEnv) notePid(pid int) error {
	f, err := os.OpenFile(filepath.Join(e.root, "pids"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, pid)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (e *benchEnv) build() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module (go env GOMOD = %q)", gomod)
	}
	bin := filepath.Join(e.root, "clouddrive")
	cmd := exec.Command("go", "build", "-o", bin, "./app/standalone/cmd/clouddrive")
	cmd.Dir = filepath.Dir(gomod)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./app/standalone/cmd/clouddrive: %v\n%s", err, b)
	}
	return bin, nil
}

func (e *benchEnv) startHelper() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), benchHelperEnv+"=1")
	logf, err := os.Create(filepath.Join(e.root, "helper.log"))
	if err != nil {
		return err
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := startWithLifeline(cmd); err != nil {
		return err
	}
	if err := e.notePid(cmd.Process.Pid); err != nil {
		return err
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "addr="); ok {
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		e.helper = "http://" + a
		return nil
	case <-time.After(20 * time.Second):
		return fmt.Errorf("the helper process did not start (see %s)", logf.Name())
	}
}

func benchFreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (e *benchEnv) startServer(bin string) error {
	httpAddr, err := benchFreeAddr()
	if err != nil {
		return err
	}
	grpcAddr, err := benchFreeAddr()
	if err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(e.root, "service.log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "-data", e.dataDir, "-http", httpAddr, "-grpc", grpcAddr)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	e.pid, e.base = cmd.Process.Pid, "http://"+httpAddr
	if err := e.notePid(e.pid); err != nil {
		return err
	}
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-done:
			return fmt.Errorf("the server exited before it was healthy: %v (log: %s)", err, logf.Name())
		default:
		}
		if resp, err := hc.Get(e.base + "/healthz"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("GET /healthz did not answer 200 within 20s (log: %s)", logf.Name())
}

// users registers the administrator (the first account) and another user,
// and lifts both quotas: the benchmarks store tens of GiB (instant uploads
// count against the quota like any file).
func (e *benchEnv) users() error {
	tag := make([]byte, 4)
	_, _ = rand.Read(tag)
	var err error
	if e.admin, err = e.register("bench-admin-" + hex.EncodeToString(tag)); err != nil {
		return err
	}
	if e.other, err = e.register("bench-other-" + hex.EncodeToString(tag)); err != nil {
		return err
	}
	tok, err := e.token(e.admin)
	if err != nil {
		return err
	}
	for _, u := range []*benchUser{e.admin, e.other} {
		if err := e.call("/v1/admin/quota/set", tok, map[string]any{"user_id": u.id, "limit_bytes": strconv.FormatInt(1<<50, 10)}, nil); err != nil {
			return err
		}
	}
	return nil
}

func (e *benchEnv) register(name string) (*benchUser, error) {
	pw := make([]byte, 12)
	_, _ = rand.Read(pw)
	u := &benchUser{name: name, password: "Bench-" + hex.EncodeToString(pw) + "x9"}
	var reply userv1.RegisterReply
	if err := e.call("/v1/user/register", "", map[string]string{"username": u.name, "password": u.password}, &reply); err != nil {
		return nil, err
	}
	u.id = reply.GetUser().GetId()
	return u, nil
}

// token is an access token of u, signed in again well before it expires.
func (e *benchEnv) token(u *benchUser) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.token != "" && time.Since(u.at) < 5*time.Minute {
		return u.token, nil
	}
	var tr userv1.TokenReply
	if err := e.call("/v1/user/login", "", map[string]string{"username": u.name, "password": u.password}, &tr); err != nil {
		return "", err
	}
	u.token, u.at = tr.GetAccessToken(), time.Now()
	return u.token, nil
}

func (e *benchEnv) mustToken(b *testing.B, u *benchUser) string {
	b.Helper()
	tok, err := e.token(u)
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

// ---------------------------------------------------------------------------
// Requests.

// call POSTs body as JSON to the server and decodes a 200's body into out.
func (e *benchEnv) call(path, token string, body any, out proto.Message) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return e.post(e.base+path, token, raw, out)
}

func (e *benchEnv) post(url, token string, raw []byte, out proto.Message) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, bytes.TrimSpace(rb))
	}
	if out == nil {
		return nil
	}
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(rb, out)
}

// put sends body with PUT and wants a 2xx.
func (e *benchEnv) put(url, token string, body []byte) error {
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("PUT %s: %d %s", url, resp.StatusCode, bytes.TrimSpace(rb))
	}
	return nil
}

// putPieces PUTs size bytes of c as pieces of pieceSize to url(i), with
// workers requests at a time, each worker filling its own buffer.
func (e *benchEnv) putPieces(c *benchContent, pieceSize, count int64, workers int, skip map[int64]bool, url func(int64) string, token string) error {
	jobs := make(chan int64, count)
	for i := int64(0); i < count; i++ {
		if !skip[i] {
			jobs <- i
		}
	}
	close(jobs)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, pieceSize)
			for i := range jobs {
				off := i * pieceSize
				p := buf[:min(pieceSize, c.size-off)]
				c.fill(p, off)
				if err := e.put(url(i), token, p); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// upload stores c as name for u over HTTP: init, the chunks (workers at a
// time), complete. It returns the node.
func (e *benchEnv) upload(u *benchUser, c *benchContent, name string, workers int) (*filev1.Node, error) {
	tok, err := e.token(u)
	if err != nil {
		return nil, err
	}
	var s storagev1.UploadSession
	if err := e.call("/v1/upload/init", tok, map[string]any{"name": name, "size": c.size, "content_hash": c.hash}, &s); err != nil {
		return nil, err
	}
	held := map[int64]bool{}
	for _, i := range s.GetUploadedChunks() {
		held[i] = true
	}
	url := func(i int64) string { return e.base + "/v1/upload/" + s.GetUploadId() + "/" + strconv.FormatInt(i, 10) }
	if err := e.putPieces(c, s.GetChunkSize(), s.GetChunkCount(), workers, held, url, tok); err != nil {
		return nil, err
	}
	var n filev1.Node
	if err := e.call("/v1/upload/complete", tok, map[string]string{"upload_id": s.GetUploadId()}, &n); err != nil {
		return nil, err
	}
	if n.GetSize() != c.size || n.GetContentHash() != c.hash {
		return nil, fmt.Errorf("complete returned %v, want size %d hash %s", &n, c.size, c.hash)
	}
	return &n, nil
}

// get reads url in parts Range requests at once (one plain GET when parts
// is 1) into nothing and returns the bytes read.
func (e *benchEnv) get(url string, size int64, parts int) (int64, error) {
	var (
		wg    sync.WaitGroup
		total atomic.Int64
		once  sync.Once
		first error
	)
	span := size / int64(parts)
	for p := 0; p < parts; p++ {
		from, to := int64(p)*span, int64(p+1)*span-1
		if p == parts-1 {
			to = size - 1
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := e.getRange(url, from, to, parts > 1)
			total.Add(n)
			if err != nil {
				once.Do(func() { first = err })
			}
		}()
	}
	wg.Wait()
	if first == nil && total.Load() != size {
		first = fmt.Errorf("GET %s: %d bytes, want %d", url, total.Load(), size)
	}
	return total.Load(), first
}

func (e *benchEnv) getRange(url string, from, to int64, ranged bool) (int64, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	want := http.StatusOK
	if ranged {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", from, to))
		want = http.StatusPartialContent
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return 0, fmt.Errorf("GET %s: %d %s, want %d", url, resp.StatusCode, bytes.TrimSpace(rb), want)
	}
	buf := benchBufs.Get().(*[]byte)
	defer benchBufs.Put(buf)
	n, err := io.CopyBuffer(benchDiscard{}, resp.Body, *buf)
	if err == nil && n != to-from+1 {
		err = fmt.Errorf("GET %s bytes=%d-%d: %d bytes", url, from, to, n)
	}
	return n, err
}

// signedURL asks for the download URL of a node.
func (e *benchEnv) signedURL(u *benchUser, id string) (string, error) {
	tok, err := e.token(u)
	if err != nil {
		return "", err
	}
	var s storagev1.SignedURL
	if err := e.call("/v1/download/url", tok, map[string]string{"id": id}, &s); err != nil {
		return "", err
	}
	return e.base + s.GetUrl(), nil
}

// bigFile is a stored node of the 1 GiB content: the one the upload
// benchmark stored, or one uploaded now (untimed).
func (e *benchEnv) bigFile(b *testing.B) string {
	b.Helper()
	e.bigMu.Lock()
	defer e.bigMu.Unlock()
	if e.bigNode == "" {
		n, err := e.upload(e.admin, e.big, fmt.Sprintf("big-%d.bin", benchNextSeed()%1e6), benchWorkers)
		if err != nil {
			b.Fatal(err)
		}
		e.bigNode = n.GetId()
	}
	return e.bigNode
}

// ---------------------------------------------------------------------------
// Measures.

// benchRSSWatch follows the server's resident set: VmRSS sampled every 10 ms,
// and VmHWM after resetting it (echo 5 > clear_refs), which also catches a
// peak between two samples.
type benchRSSWatch struct {
	pid      int
	before   int64 // kB
	hwmReset bool
	peak     atomic.Int64
	stop     chan struct{}
	done     chan struct{}
}

func benchProcKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func benchWatchRSS(pid int) *benchRSSWatch {
	w := &benchRSSWatch{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	w.before = benchProcKB(pid, "VmRSS")
	w.hwmReset = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
	w.peak.Store(w.before)
	go func() {
		defer close(w.done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				if v := benchProcKB(pid, "VmRSS"); v > w.peak.Load() {
					w.peak.Store(v)
				}
			}
		}
	}()
	return w
}

// end stops the watch and returns the RSS before and the peak growth, MiB.
func (w *benchRSSWatch) end() (beforeMiB, growthMiB float64) {
	close(w.stop)
	<-w.done
	peak := w.peak.Load()
	if w.hwmReset {
		peak = max(peak, benchProcKB(w.pid, "VmHWM"))
	}
	return float64(w.before) / 1024, float64(peak-w.before) / 1024
}

// benchCPU is the CPU time (user + system) the process has used, from
// /proc/<pid>/stat, so a figure can say whether the server was busy or waiting.
func benchCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (which may hold spaces): state is
	// field 3, utime 14, stime 15; ticks of 1/100 s (CLK_TCK on Linux).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

// benchLogLoad notes the machine's load average: other work on the two
// cores shows in every figure.
func benchLogLoad(b *testing.B) {
	if l, err := os.ReadFile("/proc/loadavg"); err == nil {
		b.Logf("load average (1, 5, 15 min): %s", strings.Join(strings.Fields(string(l))[:3], " "))
	}
}

func benchMBps(n int64, d time.Duration) float64 { return float64(n) / d.Seconds() / 1e6 }

// benchPercentile is the nearest-rank p-th benchPercentile of sorted durations, in ms.
func benchPercentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / float64(time.Millisecond)
}

var benchDDCopied = regexp.MustCompile(`copied, ([0-9.]+) s`)

// benchDD is `dd if=/dev/zero of=<dir>/ddtest bs=8M count=128 conv=fsync`:
// 1 GiB written and fsynced once, in MB/s (dd's own time when it prints one).
func benchDD(dir string) (float64, error) {
	path := filepath.Join(dir, "ddtest")
	defer os.Remove(path)
	cmd := exec.Command("dd", "if=/dev/zero", "of="+path, "bs=8M", "count=128", "conv=fsync")
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("dd: %v\n%s", err, out)
	}
	if m := benchDDCopied.FindSubmatch(out); m != nil {
		if s, err := strconv.ParseFloat(string(m[1]), 64); err == nil && s > 0 {
			return float64(benchBigSize) / s / 1e6, nil
		}
	}
	return benchMBps(benchBigSize, took), nil
}

// ---------------------------------------------------------------------------
// The benchmarks.

// BenchmarkStorageUpload1GiB: 1 GiB over HTTP, init + 128 chunk PUTs of 8 MiB
// (4 at a time) + complete, which answers once the content is durable.
// Baselines: the same PUTs to the loopback sink (no init, no complete), and
// dd conv=fsync of 1 GiB into the server's data folder.
func BenchmarkStorageUpload1GiB(b *testing.B) {
	e := getBenchEnv(b)
	defer benchLogLoad(b)
	c := e.big
	sinkStart := time.Now()
	sinkURL := func(i int64) string { return e.helper + "/sink/" + strconv.FormatInt(i, 10) }
	if err := e.putPieces(c, benchPiece, benchBigSize/benchPiece, benchWorkers, nil, sinkURL, ""); err != nil {
		b.Fatal(err)
	}
	sink := benchMBps(benchBigSize, time.Since(sinkStart))
	dd, err := benchDD(e.dataDir)
	if err != nil {
		b.Fatal(err)
	}
	var (
		took, cpu  time.Duration
		growth     float64
		rssBefore  float64
		lastNodeID string
	)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("upload-%d.bin", benchNextSeed()%1e9)
		w := benchWatchRSS(e.pid)
		cpu0, start := benchCPU(e.pid), time.Now()
		n, err := e.upload(e.admin, c, name, benchWorkers)
		took += time.Since(start)
		cpu += benchCPU(e.pid) - cpu0
		before, g := w.end()
		if err != nil {
			b.Fatal(err)
		}
		rssBefore, growth, lastNodeID = before, max(growth, g), n.GetId()
	}
	b.StopTimer()
	e.bigMu.Lock()
	e.bigNode = lastNodeID
	e.bigMu.Unlock()
	b.ReportMetric(benchMBps(int64(b.N)*benchBigSize, took), "MB/s")
	b.ReportMetric(sink, "sink_MB/s")
	b.ReportMetric(dd, "dd_fsync_MB/s")
	b.ReportMetric(growth, "rss_growth_MiB")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "server_cpu_s/op")
	b.Logf("upload: %.0f MB/s; sink %.0f MB/s; dd conv=fsync %.0f MB/s; server RSS %.1f MiB before, peak growth %.1f MiB (target < %d)",
		benchMBps(int64(b.N)*benchBigSize, took), sink, dd, rssBefore, growth, benchRSSTarget)
}

// BenchmarkStorageDownload1GiB: the 1 GiB file through its signed URL (the
// URL is asked for in every iteration), as one stream and as 4 Range
// requests at once. Baseline: the same GETs of 1 GiB from the loopback
// source (a repeated 8 MiB buffer served by http.ServeContent).
func BenchmarkStorageDownload1GiB(b *testing.B) {
	e := getBenchEnv(b)
	defer benchLogLoad(b)
	id := e.bigFile(b)
	for _, parts := range []int{1, benchWorkers} {
		name := "stream"
		if parts > 1 {
			name = fmt.Sprintf("ranges=%d", parts)
		}
		b.Run(name, func(b *testing.B) {
			srcStart := time.Now()
			if _, err := e.get(e.helper+"/source?size="+strconv.Itoa(benchBigSize), benchBigSize, parts); err != nil {
				b.Fatal(err)
			}
			source := benchMBps(benchBigSize, time.Since(srcStart))
			var (
				took, cpu time.Duration
				growth    float64
				rssBefore float64
			)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w := benchWatchRSS(e.pid)
				cpu0, start := benchCPU(e.pid), time.Now()
				url, err := e.signedURL(e.admin, id)
				if err == nil {
					_, err = e.get(url, benchBigSize, parts)
				}
				took += time.Since(start)
				cpu += benchCPU(e.pid) - cpu0
				before, g := w.end()
				if err != nil {
					b.Fatal(err)
				}
				rssBefore, growth = before, max(growth, g)
			}
			b.StopTimer()
			b.ReportMetric(benchMBps(int64(b.N)*benchBigSize, took), "MB/s")
			b.ReportMetric(source, "source_MB/s")
			b.ReportMetric(growth, "rss_growth_MiB")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "server_cpu_s/op")
			b.Logf("download (%s): %.0f MB/s; source %.0f MB/s; server RSS %.1f MiB before, peak growth %.1f MiB (target < %d)",
				name, benchMBps(int64(b.N)*benchBigSize, took), source, rssBefore, growth, benchRSSTarget)
		})
	}
}

// BenchmarkStorageSmallFiles: 500 distinct files of 4 KiB, each init + one
// PUT + complete, 8 workers. Baseline: 500 × (POST JSON, PUT 4 KiB, POST
// JSON) to the loopback helper, 8 workers.
func BenchmarkStorageSmallFiles(b *testing.B) {
	e := getBenchEnv(b)
	defer benchLogLoad(b)
	tok := e.mustToken(b, e.admin)
	rtJSON := []byte(`{"name":"small-000000.bin","size":4096,"content_hash":"` + strings.Repeat("0", 64) + `"}`)
	payload := make([]byte, benchSmallSize)
	baseStart := time.Now()
	if err := benchRunWorkers(benchSmallFiles, benchSmallWorkers, func(i int) error {
		if err := e.post(e.helper+"/rt", "", rtJSON, nil); err != nil {
			return err
		}
		if err := e.put(e.helper+"/sink/"+strconv.Itoa(i), "", payload); err != nil {
			return err
		}
		return e.post(e.helper+"/rt", "", rtJSON, nil)
	}); err != nil {
		b.Fatal(err)
	}
	baseline := float64(benchSmallFiles) / time.Since(baseStart).Seconds()
	disk, err := benchDiskFiles(e.dataDir, payload)
	if err != nil {
		b.Fatal(err)
	}

	type small struct {
		name string
		c    *benchContent
		body []byte
	}
	var took, cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		files := make([]small, benchSmallFiles)
		for k := range files {
			c := newBenchContent(benchNextSeed(), benchSmallSize)
			files[k] = small{name: fmt.Sprintf("small-%d.bin", c.seed%1e12), c: c, body: c.bytes()}
		}
		tok = e.mustToken(b, e.admin)
		b.StartTimer()
		cpu0, start := benchCPU(e.pid), time.Now()
		err := benchRunWorkers(benchSmallFiles, benchSmallWorkers, func(k int) error {
			f := files[k]
			var s storagev1.UploadSession
			if err := e.call("/v1/upload/init", tok, map[string]any{"name": f.name, "size": f.c.size, "content_hash": f.c.hash}, &s); err != nil {
				return err
			}
			if s.GetChunkCount() != 1 {
				return fmt.Errorf("a 4 KiB file in %d chunks", s.GetChunkCount())
			}
			if err := e.put(e.base+"/v1/upload/"+s.GetUploadId()+"/0", tok, f.body); err != nil {
				return err
			}
			var n filev1.Node
			if err := e.call("/v1/upload/complete", tok, map[string]string{"upload_id": s.GetUploadId()}, &n); err != nil {
				return err
			}
			if n.GetContentHash() != f.c.hash {
				return fmt.Errorf("complete returned %v, want hash %s", &n, f.c.hash)
			}
			return nil
		})
		took += time.Since(start)
		cpu += benchCPU(e.pid) - cpu0
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	rate := float64(b.N*benchSmallFiles) / took.Seconds()
	b.ReportMetric(rate, "files/s")
	b.ReportMetric(baseline, "rt3_files/s")
	b.ReportMetric(disk, "disk_files/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "server_cpu_s/op")
	b.Logf("small files: %.0f files/s; baselines: 3 loopback round trips each %.0f files/s, durable 4 KiB files on the data disk %.0f files/s",
		rate, baseline, disk)
}

// benchDiskFiles is a second baseline of the small files: the least a
// durable file store does on this disk, 500 times with 8 workers: create a
// file, write 4 KiB, fsync, rename it into a folder, fsync the folder.
func benchDiskFiles(dir string, payload []byte) (float64, error) {
	root, err := os.MkdirTemp(dir, "disktest-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(root)
	dst := filepath.Join(root, "files")
	if err := os.Mkdir(dst, 0o700); err != nil {
		return 0, err
	}
	start := time.Now()
	err = benchRunWorkers(benchSmallFiles, benchSmallWorkers, func(i int) error {
		tmp := filepath.Join(root, fmt.Sprintf("%d.part", i))
		f, err := os.Create(tmp)
		if err != nil {
			return err
		}
		if _, err := f.Write(payload); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dst, fmt.Sprintf("%d", i))); err != nil {
			return err
		}
		d, err := os.Open(dst)
		if err != nil {
			return err
		}
		defer d.Close()
		return d.Sync()
	})
	if err != nil {
		return 0, err
	}
	return float64(benchSmallFiles) / time.Since(start).Seconds(), nil
}

// benchRunWorkers runs do(0..n-1) on workers goroutines; the first error wins.
func benchRunWorkers(n, workers int, do func(int) error) error {
	jobs := make(chan int, n)
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := do(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// BenchmarkStorageInstantUpload: another user stores a 64 MiB file the
// administrator stored already: init, then prove (hashing the challenged
// range of the local copy), 200 times one after another. Baseline: 200 ×
// two trivial loopback round trips (POST JSON, small JSON answer).
func BenchmarkStorageInstantUpload(b *testing.B) {
	e := getBenchEnv(b)
	defer benchLogLoad(b)
	e.instOnce.Do(func() {
		_, e.instErr = e.upload(e.admin, e.inst, "instant-source.bin", benchWorkers)
	})
	if e.instErr != nil {
		b.Fatal(e.instErr)
	}
	local := e.inst.bytes() // the client's copy, to answer challenges from

	rtJSON := []byte(`{"name":"instant-000000.bin","size":67108864,"content_hash":"` + strings.Repeat("0", 64) + `"}`)
	base := make([]time.Duration, 0, benchInstantRuns)
	for k := 0; k < benchInstantRuns; k++ {
		start := time.Now()
		err := e.post(e.helper+"/rt", "", rtJSON, nil)
		if err == nil {
			err = e.post(e.helper+"/rt", "", rtJSON, nil)
		}
		if err != nil {
			b.Fatal(err)
		}
		base = append(base, time.Since(start))
	}
	sort.Slice(base, func(i, j int) bool { return base[i] < base[j] })

	lat := make([]time.Duration, 0, b.N*benchInstantRuns)
	cpu0 := benchCPU(e.pid)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tok := e.mustToken(b, e.other)
		for k := 0; k < benchInstantRuns; k++ {
			name := fmt.Sprintf("instant-%d.bin", benchNextSeed()%1e12)
			start := time.Now()
			var s storagev1.UploadSession
			err := e.call("/v1/upload/init", tok, map[string]any{"name": name, "size": e.inst.size, "content_hash": e.inst.hash}, &s)
			if err != nil {
				b.Fatal(err)
			}
			ch := s.GetChallenge()
			nonce, err := hex.DecodeString(ch.GetNonce())
			if err != nil {
				b.Fatalf("bad challenge %v", ch)
			}
			h := sha256.New()
			h.Write(nonce)
			for _, r := range ch.GetRanges() {
				if r.GetOffset() < 0 || r.GetLength() < 0 || r.GetOffset()+r.GetLength() > e.inst.size {
					b.Fatalf("bad challenge %v", ch)
				}
				h.Write(local[r.GetOffset() : r.GetOffset()+r.GetLength()])
			}
			var n filev1.Node
			if err := e.call("/v1/upload/prove", tok, map[string]string{"upload_id": s.GetUploadId(), "proof": hex.EncodeToString(h.Sum(nil))}, &n); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
			if n.GetSize() != e.inst.size || n.GetContentHash() != e.inst.hash {
				b.Fatalf("prove returned %v", &n)
			}
		}
	}
	b.StopTimer()
	cpu := benchCPU(e.pid) - cpu0
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(benchPercentile(lat, 50), "p50_ms")
	b.ReportMetric(benchPercentile(lat, 99), "p99_ms")
	b.ReportMetric(benchPercentile(base, 50), "rt2_p50_ms")
	b.ReportMetric(benchPercentile(base, 99), "rt2_p99_ms")
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(len(lat)), "server_cpu_ms/pair")
	b.Logf("instant upload (init + prove, %d runs): p50 %.2f ms, p99 %.2f ms; 2 loopback round trips: p50 %.3f ms, p99 %.3f ms",
		len(lat), benchPercentile(lat, 50), benchPercentile(lat, 99), benchPercentile(base, 50), benchPercentile(base, 99))
}
