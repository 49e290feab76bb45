package standalone_test

// Helpers of the storage end-to-end test: deterministic content of any size
// generated on the fly (never held in memory whole), the content hash
// computed by streaming, a signed-in user of the storage API over HTTP and
// gRPC, chunk uploads with several PUTs at a time, streamed downloads, and
// restarting the binary on the same data folder.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	encbin "encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"

	fv1 "clouddrive/api/file/v1"
	sv1 "clouddrive/api/storage/v1"
	"clouddrive/pkg/auth"
)

// blockSize is the unit of the content hash (4 MiB).
const blockSize = 4 << 20

const (
	uploadInit     = "/v1/upload/init"
	uploadStatus   = "/v1/upload/status"
	uploadComplete = "/v1/upload/complete"
	uploadAbort    = "/v1/upload/abort"
	uploadProve    = "/v1/upload/prove"
	downloadURL    = "/v1/download/url"
	downloadZip    = "/v1/download/zip"
)

// ---------------------------------------------------------------------------
// Content: size bytes from a seeded PRNG (xorshift64*, fast enough not to
// be what the test measures). Every 4 MiB block has its own stream, seeded
// from the content's seed and the block's index, so any range can be made
// without generating what comes before its block.

type content struct {
	seed uint64
	size int64
}

// splitmix64 spreads a seed over all 64 bits.
func splitmix64(z uint64) uint64 {
	z += 0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// blockState is the generator's state at the start of a block (never 0).
func (c content) blockState(block int64) uint64 {
	return splitmix64(splitmix64(c.seed)^uint64(block)) | 1
}

// next advances a xorshift64* state and returns the next word.
func next(s *uint64) uint64 {
	x := *s
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	*s = x
	return x * 0x2545F4914F6CDD1D
}

// reader streams bytes [off, off+n) of the content.
func (c content) reader(off, n int64) io.Reader {
	if off < 0 || n < 0 || off+n > c.size {
		panic(fmt.Sprintf("range [%d, %d) outside a %d-byte content", off, off+n, c.size))
	}
	return &contentReader{c: c, pos: off, end: off + n, block: -1}
}

type contentReader struct {
	c        content
	pos, end int64
	block    int64
	state    uint64
	word     [8]byte // the current word, when pos is inside it
	inWord   int     // bytes of word already used (0: none pending)
}

func (r *contentReader) Read(p []byte) (int, error) {
	if r.pos >= r.end {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.end-r.pos)]
	total := 0
	for len(p) > 0 {
		if b := r.pos / blockSize; b != r.block {
			// Position the generator at pos: whole words skipped, then
			// the part of a word before pos.
			r.block, r.state, r.inWord = b, r.c.blockState(b), 0
			in := r.pos - b*blockSize
			for w := in / 8; w > 0; w-- {
				next(&r.state)
			}
			if k := int(in % 8); k > 0 {
				encbin.LittleEndian.PutUint64(r.word[:], next(&r.state))
				r.inWord = k
			}
		}
		var k int
		switch {
		case r.inWord > 0:
			k = copy(p, r.word[r.inWord:])
			r.inWord = (r.inWord + k) % 8
		case len(p) >= 8:
			// Whole words, up to the end of the block.
			k = min(len(p), int((r.block+1)*blockSize-r.pos)) &^ 7
			for i := 0; i < k; i += 8 {
				encbin.LittleEndian.PutUint64(p[i:], next(&r.state))
			}
		default:
			encbin.LittleEndian.PutUint64(r.word[:], next(&r.state))
			k = copy(p, r.word[:])
			r.inWord = k % 8
		}
		p = p[k:]
		r.pos += int64(k)
		total += k
	}
	return total, nil
}

// bytes returns [off, off+n) (small ranges only).
func (c content) bytes(off, n int64) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(c.reader(off, n), b); err != nil {
		panic(err)
	}
	return b
}

// hash is the content hash, computed in one streaming pass.
func (c content) hash() string {
	h := newContentHasher()
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(h, c.reader(0, c.size), buf); err != nil {
		panic(err)
	}
	return h.sum()
}

// proof answers a challenge: hex SHA-256(nonce ‖ each challenged range of
// the content, in order).
func (c content) proof(t *testing.T, ch *sv1.Challenge) string {
	t.Helper()
	nonce, err := hex.DecodeString(ch.GetNonce())
	if err != nil {
		t.Fatalf("challenge nonce %q is not hex", ch.GetNonce())
	}
	h := sha256.New()
	h.Write(nonce)
	for _, r := range ch.GetRanges() {
		if _, err := io.Copy(h, c.reader(r.GetOffset(), r.GetLength())); err != nil {
			t.Fatal(err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// contentHasher is an io.Writer that computes the content hash (SHA-256
// over the SHA-256 digests of each 4 MiB block) as bytes stream through.
// It is written here from the description, independently of the server's.
type contentHasher struct {
	block   [blockSize]byte
	n       int
	digests []byte
	total   int64
}

func newContentHasher() *contentHasher { return &contentHasher{} }

func (h *contentHasher) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		k := copy(h.block[h.n:], p)
		h.n += k
		p = p[k:]
		if h.n == blockSize {
			d := sha256.Sum256(h.block[:])
			h.digests = append(h.digests, d[:]...)
			h.n = 0
		}
	}
	h.total += int64(total)
	return total, nil
}

func (h *contentHasher) sum() string {
	if h.n > 0 {
		d := sha256.Sum256(h.block[:h.n])
		h.digests = append(h.digests, d[:]...)
		h.n = 0
	}
	s := sha256.Sum256(h.digests)
	return hex.EncodeToString(s[:])
}

// comparer is an io.Writer that checks what it is given against the
// content, byte for byte, from offset 0; the first difference is kept.
type comparer struct {
	want   io.Reader
	buf    []byte
	off    int64
	diffAt int64 // -1: none yet
}

func newComparer(c content) *comparer {
	return &comparer{want: c.reader(0, c.size), diffAt: -1}
}

func (m *comparer) Write(p []byte) (int, error) {
	if m.diffAt < 0 {
		if cap(m.buf) < len(p) {
			m.buf = make([]byte, len(p))
		}
		w := m.buf[:len(p)]
		n, _ := io.ReadFull(m.want, w)
		for i := 0; i < len(p); i++ {
			if i >= n || p[i] != w[i] {
				m.diffAt = m.off + int64(i)
				break
			}
		}
	}
	m.off += int64(len(p))
	return len(p), nil
}

// mbps is a throughput in MB/s (10^6 bytes a second).
func rateMBps(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / 1e6 / d.Seconds()
}

// ---------------------------------------------------------------------------
// A signed-in user of the storage API.

type storeUser struct {
	*fileUser
	e   *env
	big *http.Client // no overall timeout: whole files go through it
	st  sv1.StorageClient
}

func (e *env) storeUser(t *testing.T, username string) *storeUser {
	t.Helper()
	fu := e.fileUser(t, username)
	tr := &http.Transport{Proxy: nil, DialContext: dialerFrom(fu.c.ip).DialContext, MaxIdleConnsPerHost: 8,
		DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &storeUser{fileUser: fu, e: e, big: &http.Client{Transport: tr}, st: sv1.NewStorageClient(fu.g.conn)}
}

// with returns the user reporting to t (for sub-tests).
func (u *storeUser) with(t *testing.T) *storeUser {
	fu := *u.fileUser
	fu.t, fu.c = t, u.c.with(t)
	uu := *u
	uu.fileUser = &fu
	return &uu
}

// raw sends a request with a body read from r (n bytes; -1 unknown) and
// reads the whole answer.
func (u *storeUser) raw(method, path, token string, r io.Reader, n int64, hs ...header) *response {
	u.t.Helper()
	resp, err := u.rawStream(method, path, token, r, n, hs...)
	if err != nil {
		u.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		u.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return &response{method: method, path: path, status: resp.StatusCode, header: resp.Header, body: b}
}

// rawStream sends a request and returns the answer unread.
func (u *storeUser) rawStream(method, path, token string, r io.Reader, n int64, hs ...header) (*http.Response, error) {
	req, err := http.NewRequest(method, u.c.base+path, r)
	if err != nil {
		return nil, err
	}
	if r != nil {
		req.ContentLength = n
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range hs {
		req.Header.Set(h.key, h.value)
	}
	return u.big.Do(req)
}

// initBody is the JSON of an init request for content c.
func initBody(parent, name string, c content, hash string) map[string]any {
	return map[string]any{"parent_id": parent, "name": name, "size": strconv.FormatInt(c.size, 10), "content_hash": hash}
}

// initRaw starts (or resumes) an upload and returns the raw answer too.
func (u *storeUser) initRaw(parent, name string, c content, hash string) (*sv1.UploadSession, *response) {
	u.t.Helper()
	r := u.post(uploadInit, initBody(parent, name, c, hash))
	var s sv1.UploadSession
	u.c.ok(r, &s)
	if s.GetUploadId() == "" || s.GetChallenge() == nil {
		u.t.Fatalf("init %q: no upload id or challenge: %s", name, r)
	}
	return &s, r
}

func (u *storeUser) init(parent, name string, c content, hash string) *sv1.UploadSession {
	u.t.Helper()
	s, _ := u.initRaw(parent, name, c, hash)
	return s
}

func (u *storeUser) status(id string) *sv1.UploadSession {
	u.t.Helper()
	var s sv1.UploadSession
	u.c.ok(u.get(uploadStatus, url.Values{"upload_id": {id}}), &s)
	return &s
}

func (u *storeUser) complete(id string) *fv1.Node {
	u.t.Helper()
	var n fv1.Node
	u.c.ok(u.post(uploadComplete, map[string]string{"upload_id": id}), &n)
	return &n
}

// chunkPath is where chunk index of upload id is PUT.
func chunkPath(id string, index int64) string {
	return "/v1/upload/" + url.PathEscape(id) + "/" + strconv.FormatInt(index, 10)
}

// digestHeader is an RFC 9530 Content-Digest of b.
func digestHeader(b []byte) header {
	d := sha256.Sum256(b)
	return header{"Content-Digest", "sha-256=:" + base64.StdEncoding.EncodeToString(d[:]) + ":"}
}

// putChunk sends b as chunk index, with its Content-Digest.
func (u *storeUser) putChunk(id string, index int64, b []byte, hs ...header) *response {
	u.t.Helper()
	return u.raw(http.MethodPut, chunkPath(id, index), u.tok, bytes.NewReader(b), int64(len(b)), hs...)
}

// chunkOf is the byte range of chunk i of content c in session s.
func chunkOf(s *sv1.UploadSession, c content, i int64) (off, n int64) {
	off = i * s.GetChunkSize()
	return off, min(s.GetChunkSize(), c.size-off)
}

// putChunks sends the listed chunks of c, workers PUTs at a time, each with
// its Content-Digest; a chunk is generated into a buffer of the worker's,
// so memory is workers × chunk size. It returns how many were sent.
func (u *storeUser) putChunks(s *sv1.UploadSession, c content, indexes []int64, workers int) int {
	u.t.Helper()
	jobs := make(chan int64)
	var (
		wg     sync.WaitGroup
		sent   atomic.Int64
		mu     sync.Mutex
		failed []string
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, s.GetChunkSize())
			for i := range jobs {
				off, n := chunkOf(s, c, i)
				b := buf[:n]
				if _, err := io.ReadFull(c.reader(off, n), b); err != nil {
					panic(err)
				}
				resp, err := u.rawStream(http.MethodPut, chunkPath(s.GetUploadId(), i), u.tok, bytes.NewReader(b), n, digestHeader(b))
				if err != nil {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("chunk %d: %v", i, err))
					mu.Unlock()
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusNoContent {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("chunk %d: %d %s", i, resp.StatusCode, body))
					mu.Unlock()
					continue
				}
				sent.Add(1)
			}
		}()
	}
	for _, i := range indexes {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if len(failed) > 0 {
		u.t.Fatalf("%d chunk PUT(s) failed: %s", len(failed), strings.Join(failed, "; "))
	}
	return int(sent.Load())
}

func allChunks(s *sv1.UploadSession) []int64 {
	out := make([]int64, s.GetChunkCount())
	for i := range out {
		out[i] = int64(i)
	}
	return out
}

// uploadHTTP uploads c whole (4 PUTs at a time) and completes it.
func (u *storeUser) uploadHTTP(parent, name string, c content) *fv1.Node {
	u.t.Helper()
	s := u.init(parent, name, c, c.hash())
	u.putChunks(s, c, allChunks(s), 4)
	n := u.complete(s.GetUploadId())
	if n.GetName() != name || n.GetSize() != c.size || n.GetKind() != "file" {
		u.t.Fatalf("upload of %q made %v", name, nodeLine(n))
	}
	return n
}

// fileURL signs a download URL for node id.
func (u *storeUser) fileURL(id string) string {
	u.t.Helper()
	var su sv1.SignedURL
	u.c.ok(u.post(downloadURL, map[string]string{"id": id}), &su)
	if !strings.HasPrefix(su.GetUrl(), "/") || su.GetExpiresAt() == "" {
		u.t.Fatalf("download url for %s: %v", id, &su)
	}
	return su.GetUrl()
}

// fetched is a download read through a hasher and a comparer.
type fetched struct {
	status   int
	header   http.Header
	n        int64
	hash     string
	diffAt   int64
	took     time.Duration
	errBody  []byte
	firstErr error
}

// fetch GETs a signed URL (no token) and streams the body through the
// content hash and a byte-for-byte comparison with c.
func (u *storeUser) fetch(path string, c content, hs ...header) *fetched {
	u.t.Helper()
	start := time.Now()
	resp, err := u.rawStream(http.MethodGet, path, "", nil, 0, hs...)
	if err != nil {
		u.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	f := &fetched{status: resp.StatusCode, header: resp.Header, diffAt: -1}
	if resp.StatusCode != http.StatusOK {
		f.errBody, _ = io.ReadAll(resp.Body)
		return f
	}
	h, m := newContentHasher(), newComparer(c)
	f.n, f.firstErr = io.CopyBuffer(io.MultiWriter(h, m), resp.Body, make([]byte, 1<<20))
	f.took = time.Since(start)
	f.hash, f.diffAt = h.sum(), m.diffAt
	return f
}

// grpcCtx is a call context with the user's token and a generous timeout.
func (u *storeUser) grpcCtx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	u.t.Cleanup(cancel)
	return bearerCtx(ctx, u.tok)
}

// listed reports whether the user's root (or folder parent) shows name.
func (u *storeUser) listed(parent, name string) bool {
	u.t.Helper()
	for _, n := range u.list(parent) {
		if n.GetName() == name {
			return true
		}
	}
	return false
}

// watchList polls the root listing until stop is closed and counts the
// listings that showed name (which must be none before completion).
type listWatch struct {
	stop  chan struct{}
	done  chan struct{}
	polls atomic.Int64
	seen  atomic.Int64
	errs  atomic.Int64
}

func (u *storeUser) watchList(name string) *listWatch {
	w := &listWatch{stop: make(chan struct{}), done: make(chan struct{})}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, DialContext: dialerFrom(u.c.ip).DialContext}}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			req, _ := http.NewRequest(http.MethodGet, u.c.base+fileList+"?page_size=1000", nil)
			req.Header.Set("Authorization", "Bearer "+u.tok)
			resp, err := hc.Do(req)
			if err != nil {
				w.errs.Add(1)
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var r fv1.ListReply
			if resp.StatusCode != http.StatusOK || protojson.Unmarshal(b, &r) != nil {
				w.errs.Add(1)
				continue
			}
			w.polls.Add(1)
			for _, n := range r.GetItems() {
				if n.GetName() == name {
					w.seen.Add(1)
				}
			}
		}
	}()
	return w
}

func (w *listWatch) end() { close(w.stop); <-w.done }

// ---------------------------------------------------------------------------
// Errors, shapes and links.

// jsonKeys lists every key path of a JSON document ("challenge.nonce").
func jsonKeys(t *testing.T, body []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			for k, e := range m {
				out = append(out, prefix+k)
				walk(prefix+k+".", e)
			}
		}
	}
	walk("", v)
	sort.Strings(out)
	return out
}

// urlSigner signs URLs with the server's own secret (to make expired ones).
func (e *env) urlSigner(t *testing.T) *auth.URLSigner {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.srv.dataDir, "keys", "url_secret"))
	if err != nil {
		t.Fatalf("reading the URL secret: %v", err)
	}
	return auth.NewURLSigner([]byte(strings.TrimSpace(string(b))))
}

// vmHWM is the peak resident set size of the server process (Linux), or -1.
func (s *server) vmHWM() int64 {
	if s.cmd == nil || s.cmd.Process == nil {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return -1
}

// ---------------------------------------------------------------------------
// Restarting the binary on the same data folder.

// restart starts the binary again on s's data folder, on fresh ports, after
// s has exited (killed or stopped).
func restart(t *testing.T, bin string, s *server) *server {
	t.Helper()
	return launch(t, bin, "restart", func(attempt int) (string, string) {
		return s.dataDir, s.logPath + fmt.Sprintf(".restart%d", attempt)
	})
}

// rebind points a user at a restarted server (same account and token).
func (u *storeUser) rebind(t *testing.T, s *server) *storeUser {
	t.Helper()
	uu := u.with(t)
	c := *uu.c
	c.base = s.baseURL
	tr := &http.Transport{Proxy: nil, DialContext: dialerFrom(c.ip).DialContext, MaxIdleConnsPerHost: 8, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	c.hc = &http.Client{Transport: tr, Timeout: 20 * time.Second}
	uu.c = &c
	uu.big = &http.Client{Transport: tr}
	conn, err := grpc.NewClient("passthrough:///"+s.grpcAddr,
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithNoProxy(),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return dialerFrom(c.ip).DialContext(ctx, "tcp", addr)
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	uu.st = sv1.NewStorageClient(conn)
	return uu
}
