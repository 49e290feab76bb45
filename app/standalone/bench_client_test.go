package standalone_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
)

// The benchmarks' client: plain HTTP, as the web app and the CLI speak it.

// refusals counts 429 answers that were retried: a cluster's adaptive
// limiter sheds calls when the CPU it sees is saturated (issue 15); the
// count is reported beside the figures it inflates.
type refusals struct{ n atomic.Int64 }

const benchMaxRetries = 100

// benchHTTPError is an answer other than 2xx.
type benchHTTPError struct {
	status int
	msg    string
}

func (e *benchHTTPError) Error() string { return e.msg }

// do sends one request and reads the whole answer; a 429 is retried after
// its Retry-After (or 20 ms) and counted. It returns the answer's size.
func (e *benchEnv) do(method, u, token string, body []byte, out proto.Message) (int, error) {
	for try := 0; ; try++ {
		req, err := http.NewRequest(method, u, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
			if method == http.MethodPut {
				req.Header.Set("Content-Type", "application/octet-stream")
			}
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := e.hc.Do(req)
		if err != nil {
			return 0, err
		}
		rb, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return 0, err
		}
		if resp.StatusCode == http.StatusTooManyRequests && try < benchMaxRetries {
			e.refused.n.Add(1)
			wait := 20 * time.Millisecond
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				wait = time.Duration(s) * time.Second
			}
			time.Sleep(wait)
			continue
		}
		if resp.StatusCode/100 != 2 {
			return len(rb), &benchHTTPError{status: resp.StatusCode,
				msg: fmt.Sprintf("%s %s: %d %s", method, u, resp.StatusCode, bytes.TrimSpace(rb))}
		}
		if out != nil {
			if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(rb, out); err != nil {
				return len(rb), fmt.Errorf("%s %s: %v", method, u, err)
			}
		}
		return len(rb), nil
	}
}

// call POSTs body as JSON to the server and decodes the answer into out.
func (e *benchEnv) call(path, token string, body any, out proto.Message) error {
	_, err := e.callN(path, token, body, out)
	return err
}

// callN is call, returning the answer's size.
func (e *benchEnv) callN(path, token string, body any, out proto.Message) (int, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	return e.do(http.MethodPost, e.base+path, token, raw, out)
}

// getN GETs an API path with a query and decodes the answer into out.
func (e *benchEnv) getN(path, token string, q url.Values, out proto.Message) (int, error) {
	return e.do(http.MethodGet, e.base+path+"?"+q.Encode(), token, nil, out)
}

// put sends body with PUT and wants a 2xx.
func (e *benchEnv) put(u, token string, body []byte) error {
	_, err := e.do(http.MethodPut, u, token, body, nil)
	return err
}

// putPieces PUTs the count pieces of c (pieceSize each) to url(i), workers
// requests at a time, each worker filling its own buffer: the content is
// generated as a client reads its file.
func (e *benchEnv) putPieces(c *benchContent, pieceSize, count int64, workers int, url func(int64) string, token string) error {
	return benchRunWorkers(int(count), workers, func(buf *[]byte, i int) error {
		if *buf == nil {
			*buf = make([]byte, pieceSize)
		}
		off := int64(i) * pieceSize
		p := (*buf)[:min(pieceSize, c.size-off)]
		c.fill(p, off)
		return e.put(url(int64(i)), token, p)
	})
}

// Answers of about this size stand in for init's and complete's in the
// loopback baselines (an upload session, a node).
const (
	benchSessionJSON = 400
	benchNodeJSON    = 350
)

// chunkSize is the server's chunk size for a file of size bytes, from an
// init that is aborted at once (untimed).
func (e *benchEnv) chunkSize(u *benchUser, size int64) (int64, error) {
	tok, err := e.token(u)
	if err != nil {
		return 0, err
	}
	hash := newBenchContent(benchNextSeed(), 1).hash // content nobody stored
	var s storagev1.UploadSession
	if err := e.call("/v1/upload/init", tok, map[string]any{"name": "probe.bin", "size": size, "content_hash": hash, "on_conflict": "rename"}, &s); err != nil {
		return 0, err
	}
	if err := e.call("/v1/upload/abort", tok, map[string]string{"upload_id": s.GetUploadId()}, nil); err != nil {
		return 0, err
	}
	return s.GetChunkSize(), nil
}

// sinkUpload is the loopback baseline of an upload: the same requests (a
// JSON POST, the chunk PUTs of chunkSize with workers in flight, a JSON
// POST) to a helper that does nothing with them.
func (e *benchEnv) sinkUpload(c *benchContent, chunkSize int64, workers int) error {
	init := []byte(`{"name":"sink.bin","size":` + strconv.FormatInt(c.size, 10) + `,"content_hash":"` + hex.EncodeToString(make([]byte, 32)) + `"}`)
	if err := e.rt(http.MethodPost, init, benchSessionJSON); err != nil {
		return err
	}
	count := (c.size + chunkSize - 1) / chunkSize
	sink := func(i int64) string { return e.helper + "/sink/" + strconv.FormatInt(i, 10) }
	if err := e.putPieces(c, chunkSize, count, workers, sink, ""); err != nil {
		return err
	}
	return e.rt(http.MethodPost, []byte(`{"upload_id":"0123456789"}`), benchNodeJSON)
}

// upload stores c (whose hash is known) as name for u: init with the hash,
// the chunks (workers at a time), complete. It returns the node.
func (e *benchEnv) upload(u *benchUser, c *benchContent, name string, workers int) (*filev1.Node, error) {
	tok, err := e.token(u)
	if err != nil {
		return nil, err
	}
	var s storagev1.UploadSession
	if err := e.call("/v1/upload/init", tok, map[string]any{"name": name, "size": c.size, "content_hash": c.hash, "on_conflict": "rename"}, &s); err != nil {
		return nil, err
	}
	return e.sendAndComplete(tok, c, &s, workers)
}

func (e *benchEnv) sendAndComplete(tok string, c *benchContent, s *storagev1.UploadSession, workers int) (*filev1.Node, error) {
	held := map[int64]bool{}
	for _, i := range s.GetUploadedChunks() {
		held[i] = true
	}
	if len(held) > 0 {
		return nil, fmt.Errorf("init of fresh content found %d chunks held", len(held))
	}
	chunkURL := func(i int64) string {
		return e.base + "/v1/upload/" + s.GetUploadId() + "/" + strconv.FormatInt(i, 10)
	}
	if err := e.putPieces(c, s.GetChunkSize(), s.GetChunkCount(), workers, chunkURL, tok); err != nil {
		return nil, err
	}
	var n filev1.Node
	if err := e.call("/v1/upload/complete", tok, map[string]string{"upload_id": s.GetUploadId()}, &n); err != nil {
		return nil, err
	}
	if n.GetSize() != c.size {
		return nil, fmt.Errorf("complete returned %v, want size %d", &n, c.size)
	}
	return &n, nil
}

// uploadAsClient stores fresh content c (hash unknown) as a client does,
// the hashing timed with it. When the server takes an init without a hash
// (issue 10), it sends at once and hashes beside the sending, then checks
// the hash the server computed; otherwise it hashes the whole content
// first, as init then requires. It says which it did.
func (e *benchEnv) uploadAsClient(u *benchUser, c *benchContent, name string, workers int) (*filev1.Node, string, error) {
	tok, err := e.token(u)
	if err != nil {
		return nil, "", err
	}
	var s storagev1.UploadSession
	err = e.call("/v1/upload/init", tok, map[string]any{"name": name, "size": c.size, "on_conflict": "rename"}, &s)
	var herr *benchHTTPError
	if errors.As(err, &herr) && herr.status == http.StatusBadRequest {
		// An init that needs the hash: the client hashes first.
		c.hash = c.contentHash()
		n, err := e.upload(u, c, name, workers)
		if err == nil && n.GetContentHash() != c.hash {
			err = fmt.Errorf("complete returned hash %s, want %s", n.GetContentHash(), c.hash)
		}
		return n, "hash first", err
	}
	if err != nil {
		return nil, "", err
	}
	hashed := make(chan string, 1)
	go func() { hashed <- c.contentHash() }()
	n, err := e.sendAndComplete(tok, c, &s, workers)
	c.hash = <-hashed
	if err == nil && n.GetContentHash() != c.hash {
		err = fmt.Errorf("complete returned hash %s, the client computed %s", n.GetContentHash(), c.hash)
	}
	return n, "hash beside sending", err
}

// putSmall stores a whole small file in one request (PUT /v1/upload/file),
// with its hash so that the server checks what it received.
func (e *benchEnv) putSmall(tok, parent, name string, c *benchContent, body []byte) (*filev1.Node, error) {
	q := url.Values{"name": {name}, "content_hash": {c.hash}, "on_conflict": {"rename"}}
	if parent != "" {
		q.Set("parent_id", parent)
	}
	var n filev1.Node
	if _, err := e.do(http.MethodPut, e.base+"/v1/upload/file?"+q.Encode(), tok, body, &n); err != nil {
		return nil, err
	}
	if n.GetContentHash() != c.hash {
		return nil, fmt.Errorf("PUT %s returned %v, want hash %s", name, &n, c.hash)
	}
	return &n, nil
}

// discard moves ids to the trash and purges them (untimed cleanup: the
// scenarios stay inside a default quota and leave the drive as they found it).
func (e *benchEnv) discard(u *benchUser, ids []string) error {
	tok, err := e.token(u)
	if err != nil {
		return err
	}
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		if err := e.call("/v1/file/delete", tok, map[string]any{"ids": ids[:n]}, nil); err != nil {
			return err
		}
		if err := e.call("/v1/file/purge", tok, map[string]any{"ids": ids[:n]}, nil); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// mkdir makes a folder and returns its id.
func (e *benchEnv) mkdir(tok, parent, name string) (string, error) {
	var n filev1.Node
	if err := e.call("/v1/file/mkdir", tok, map[string]string{"parent_id": parent, "name": name, "on_conflict": "rename"}, &n); err != nil {
		return "", err
	}
	return n.GetId(), nil
}

// get reads u in parts Range requests at once (one plain GET when parts
// is 1) into nothing and returns the bytes read.
func (e *benchEnv) get(u string, size int64, parts int) (int64, error) {
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
			n, err := e.getRange(u, from, to, parts > 1)
			total.Add(n)
			if err != nil {
				once.Do(func() { first = err })
			}
		}()
	}
	wg.Wait()
	if first == nil && total.Load() != size {
		first = fmt.Errorf("GET %s: %d bytes, want %d", u, total.Load(), size)
	}
	return total.Load(), first
}

func (e *benchEnv) getRange(u string, from, to int64, ranged bool) (int64, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
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
		return 0, fmt.Errorf("GET %s: %d %s, want %d", u, resp.StatusCode, bytes.TrimSpace(rb), want)
	}
	buf := benchBufs.Get().(*[]byte)
	defer benchBufs.Put(buf)
	n, err := io.CopyBuffer(benchDiscard{}, resp.Body, *buf)
	if err == nil && n != to-from+1 {
		err = fmt.Errorf("GET %s bytes=%d-%d: %d bytes", u, from, to, n)
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

// prove answers an instant-upload challenge from the local copy.
func benchProof(ch *storagev1.Challenge, local []byte) (string, error) {
	nonce, err := hex.DecodeString(ch.GetNonce())
	if err != nil {
		return "", fmt.Errorf("bad challenge %v", ch)
	}
	h := sha256.New()
	h.Write(nonce)
	for _, r := range ch.GetRanges() {
		if r.GetOffset() < 0 || r.GetLength() < 0 || r.GetOffset()+r.GetLength() > int64(len(local)) {
			return "", fmt.Errorf("bad challenge %v", ch)
		}
		h.Write(local[r.GetOffset() : r.GetOffset()+r.GetLength()])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
