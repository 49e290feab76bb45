package standalone_test

// The power-cut test's client: the drive's HTTP API with errors returned,
// not fatal (the cut makes requests fail on purpose), and the journal of
// every upload tried and acknowledged.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	fv1 "clouddrive/api/file/v1"
	sv1 "clouddrive/api/storage/v1"
	uv1 "clouddrive/api/user/v1"
)

type pcClient struct {
	base string
	tok  string
	hc   *http.Client
}

func newPCClient(base string) *pcClient {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16, DisableCompression: true}
	return &pcClient{base: base, hc: &http.Client{Transport: tr, Timeout: 2 * time.Minute}}
}

func (c *pcClient) close() { c.hc.CloseIdleConnections() }

// pcError is an answer other than success.
type pcError struct {
	status   int
	reason   string
	metadata map[string]string
	body     string
}

func (e *pcError) Error() string { return fmt.Sprintf("%d %s", e.status, e.body) }

// do sends a request (body: nil, []byte or a value sent as JSON) and decodes
// a success into out (a proto message, or nil).
func (c *pcClient) do(method, path string, body any, out proto.Message) error {
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			return err
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	if _, isJSON := body.([]byte); body != nil && !isJSON {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.tok != "" {
		req.Header.Set("Authorization", "Bearer "+c.tok)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		e := &pcError{status: resp.StatusCode, body: string(rb)}
		var ae apiError
		if json.Unmarshal(rb, &ae) == nil {
			e.reason, e.metadata = ae.Reason, ae.Metadata
		}
		return e
	}
	if out == nil {
		return nil
	}
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(rb, out)
}

func (c *pcClient) register(username, password string) error {
	return c.do(http.MethodPost, "/v1/user/register", map[string]string{"username": username, "password": password}, nil)
}

func (c *pcClient) login(username, password string) error {
	var tr uv1.TokenReply
	if err := c.do(http.MethodPost, loginPath, map[string]string{"username": username, "password": password}, &tr); err != nil {
		return err
	}
	c.tok = tr.GetAccessToken()
	return nil
}

func (c *pcClient) mkdir(parent, name string) (*fv1.Node, error) {
	var n fv1.Node
	return &n, c.do(http.MethodPost, fileMkdir, map[string]string{"parent_id": parent, "name": name}, &n)
}

// list returns every live child of parent, by name.
func (c *pcClient) list(parent string) (map[string]*fv1.Node, error) {
	out := map[string]*fv1.Node{}
	token := ""
	for {
		var r fv1.ListReply
		q := url.Values{"parent_id": {parent}, "page_size": {"1000"}, "page_token": {token}}
		if err := c.do(http.MethodGet, fileList+"?"+q.Encode(), nil, &r); err != nil {
			return nil, err
		}
		for _, n := range r.GetItems() {
			if out[n.GetName()] != nil {
				return nil, fmt.Errorf("%q is listed twice in %q", n.GetName(), parent)
			}
			out[n.GetName()] = n
		}
		if token = r.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}

func (c *pcClient) versions(node string) (*fv1.ListVersionsReply, error) {
	var r fv1.ListVersionsReply
	return &r, c.do(http.MethodGet, versionsList+"?"+url.Values{"node_id": {node}}.Encode(), nil, &r)
}

func (c *pcClient) init(parent, name string, ct content, hash string) (*sv1.UploadSession, error) {
	var s sv1.UploadSession
	return &s, c.do(http.MethodPost, uploadInit, initBody(parent, name, ct, hash), &s)
}

func (c *pcClient) status(id string) (*sv1.UploadSession, error) {
	var s sv1.UploadSession
	return &s, c.do(http.MethodGet, uploadStatus+"?"+url.Values{"upload_id": {id}}.Encode(), nil, &s)
}

// putChunks sends the chunks of ct that s does not hold, inFlight at a time.
func (c *pcClient) putChunks(s *sv1.UploadSession, ct content, inFlight int) error {
	held := map[int64]bool{}
	for _, i := range s.GetUploadedChunks() {
		held[i] = true
	}
	var todo []int64
	for i := int64(0); i < s.GetChunkCount(); i++ {
		if !held[i] {
			todo = append(todo, i)
		}
	}
	return c.sendChunks(s, ct, todo, inFlight)
}

func (c *pcClient) sendChunks(s *sv1.UploadSession, ct content, todo []int64, inFlight int) error {
	jobs := make(chan int64)
	errs := make(chan error, len(todo))
	var wg sync.WaitGroup
	for range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				off, n := chunkOf(s, ct, i)
				b := ct.bytes(off, n)
				req, err := http.NewRequest(http.MethodPut, c.base+chunkPath(s.GetUploadId(), i), bytes.NewReader(b))
				if err == nil {
					req.Header.Set("Authorization", "Bearer "+c.tok)
					h := digestHeader(b)
					req.Header.Set(h.key, h.value)
					var resp *http.Response
					if resp, err = c.hc.Do(req); err == nil {
						rb, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusNoContent {
							err = &pcError{status: resp.StatusCode, body: string(rb)}
						}
					}
				}
				if err != nil {
					errs <- fmt.Errorf("chunk %d: %w", i, err)
				}
			}
		}()
	}
	for _, i := range todo {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	return <-errs
}

func (c *pcClient) complete(id string) (*fv1.Node, error) {
	var n fv1.Node
	return &n, c.do(http.MethodPost, uploadComplete, map[string]string{"upload_id": id}, &n)
}

func (c *pcClient) prove(s *sv1.UploadSession, ct content) (*fv1.Node, error) {
	proof, err := proofOf(ct, s.GetChallenge())
	if err != nil {
		return nil, err
	}
	var n fv1.Node
	return &n, c.do(http.MethodPost, uploadProve, map[string]string{"upload_id": s.GetUploadId(), "proof": proof}, &n)
}

// proofOf is content.proof with an error instead of a failed test.
func proofOf(ct content, ch *sv1.Challenge) (string, error) {
	nonce, err := hex.DecodeString(ch.GetNonce())
	if err != nil {
		return "", fmt.Errorf("challenge nonce %q is not hex", ch.GetNonce())
	}
	h := sha256.New()
	h.Write(nonce)
	for _, r := range ch.GetRanges() {
		if r.GetOffset() < 0 || r.GetLength() < 0 || r.GetOffset()+r.GetLength() > ct.size {
			return "", fmt.Errorf("challenge range %v is outside the content", r)
		}
		if _, err := io.Copy(h, ct.reader(r.GetOffset(), r.GetLength())); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// small uploads ct in one request (a file of at most one chunk).
func (c *pcClient) small(parent, name string, ct content) (*fv1.Node, error) {
	q := url.Values{"name": {name}, "parent_id": {parent}}
	var n fv1.Node
	return &n, c.do(http.MethodPut, uploadFile+"?"+q.Encode(), ct.bytes(0, ct.size), &n)
}

// download fetches a node's content (or one of its versions) and reports
// where it first differs from ct (-1: nowhere, and as long).
func (c *pcClient) download(node, version string, ct content) (int64, error) {
	body := map[string]string{"id": node}
	if version != "" {
		body["version_id"] = version
	}
	var su sv1.SignedURL
	if err := c.do(http.MethodPost, downloadURL, body, &su); err != nil {
		return 0, err
	}
	resp, err := c.hc.Get(c.base + su.GetUrl())
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return 0, &pcError{status: resp.StatusCode, body: string(b)}
	}
	m := newComparer(ct)
	n, err := io.CopyBuffer(m, resp.Body, make([]byte, 1<<20))
	if err != nil {
		return 0, err
	}
	switch {
	case m.diffAt >= 0:
		return m.diffAt, nil
	case n != ct.size:
		return min(n, ct.size), nil
	}
	return -1, nil
}

// ---------------------------------------------------------------------------
// The journal: every name the test writes is written by one worker at a
// time, so the order of its uploads is known.

type pcAttempt struct {
	kind  string // "chunked", "small", "instant", "resumed"
	c     content
	hash  string
	acked bool   // the server answered with the node
	node  string // its id, when acked
	// Chunked: the upload, and whether init was sent no hash.
	upload   string
	hashless bool
}

type pcSlot struct {
	folder, name string
	attempts     []*pcAttempt
}

func (s *pcSlot) String() string { return strconv.Quote(s.folder + "/" + s.name) }

// lastAcked is the index of the last acknowledged attempt (-1: none).
func (s *pcSlot) lastAcked() int {
	for i := len(s.attempts) - 1; i >= 0; i-- {
		if s.attempts[i].acked {
			return i
		}
	}
	return -1
}

type pcJournal struct {
	mu    sync.Mutex
	slots []*pcSlot
	acks  map[string]int // by kind
	// Contents acknowledged (for instant uploads of stored content).
	stored []content
}

func (j *pcJournal) slot(folder, name string) *pcSlot {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := &pcSlot{folder: folder, name: name}
	j.slots = append(j.slots, s)
	return s
}

// try notes an attempt before it is sent.
func (j *pcJournal) try(s *pcSlot, kind string, c content) *pcAttempt {
	a := &pcAttempt{kind: kind, c: c, hash: c.hash()}
	j.mu.Lock()
	s.attempts = append(s.attempts, a)
	j.mu.Unlock()
	return a
}

func (j *pcJournal) ack(a *pcAttempt, node string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	a.acked, a.node = true, node
	if j.acks == nil {
		j.acks = map[string]int{}
	}
	j.acks[a.kind]++
	j.stored = append(j.stored, a.c)
}

func (j *pcJournal) count(kind string) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.acks[kind]
}

func (j *pcJournal) countAll() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for _, k := range j.acks {
		n += k
	}
	return n
}

// unacked counts the uploads sent and not (yet) answered.
func (j *pcJournal) unacked() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for _, s := range j.slots {
		for _, a := range s.attempts {
			if !a.acked {
				n++
			}
		}
	}
	return n
}

func (j *pcJournal) storedContent(pick int) (content, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.stored) == 0 {
		return content{}, false
	}
	return j.stored[pick%len(j.stored)], true
}
