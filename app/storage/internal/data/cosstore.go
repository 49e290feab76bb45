package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	cos "github.com/tencentyun/cos-go-sdk-v5"

	"clouddrive/app/storage/internal/biz"
)

// COSConfig is how to reach a Tencent COS bucket.
type COSConfig struct {
	// BucketURL is https://<bucket>-<appid>.cos.<region>.myqcloud.com.
	BucketURL string
	SecretID  string
	SecretKey string
	// Transport carries the signed requests; nil is a clone of
	// http.DefaultTransport. Tests give a fake server's transport.
	Transport http.RoundTripper
	// DisableCRC turns off the SDK's CRC64 check of what it uploads, which
	// needs the x-cos-hash-crc64ecma header real COS returns. Only for a
	// fake server that does not send it; production keeps the check on.
	DisableCRC bool
}

// COSStore keeps blobs in a Tencent COS bucket. An upload is a multipart
// upload and a chunk is one of its parts, so chunks go straight to COS, in
// any order and in parallel, and completing is COS's own merge.
type COSStore struct {
	c *cos.Client
}

var _ biz.BlobStore = (*COSStore)(nil)

// NewCOSStore opens a bucket.
func NewCOSStore(c COSConfig) (*COSStore, error) {
	if c.BucketURL == "" {
		return nil, errors.New("cos store: no bucket_url")
	}
	u, err := url.Parse(c.BucketURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("cos store: bucket_url %q is not an http(s) URL", c.BucketURL)
	}
	if c.SecretID == "" || c.SecretKey == "" {
		return nil, errors.New("cos store: secret_id and secret_key are required")
	}
	rt := c.Transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Chunks of one upload (and several uploads) go in parallel.
		t.MaxIdleConnsPerHost = 64
		t.ResponseHeaderTimeout = 5 * time.Minute // a big part's merge or a slow answer
		rt = t
	}
	// No overall client timeout: a part or a download may take long; the
	// callers' contexts bound each request.
	client := cos.NewClient(&cos.BaseURL{BucketURL: u}, &http.Client{
		Transport: &cos.AuthorizationTransport{SecretID: c.SecretID, SecretKey: c.SecretKey, Transport: rt},
	})
	client.Conf.EnableCRC = !c.DisableCRC
	return &COSStore{c: client}, nil
}

// cosCode is the COS error code of err ("NoSuchUpload", ...) and its HTTP
// status, or "" and 0.
func cosCode(err error) (string, int) {
	var e *cos.ErrorResponse
	if errors.As(err, &e) {
		status := 0
		if e.Response != nil {
			status = e.Response.StatusCode
		}
		return e.Code, status
	}
	return "", 0
}

func isCOSNotFound(err error) bool {
	_, status := cosCode(err)
	return status == http.StatusNotFound
}

// Begin implements biz.BlobStore. The multipart upload is started at the
// blob's final key, BlobKey(u.ContentHash), not at a staging key that would
// need a copy later. That is safe: a multipart upload is invisible until it
// is completed, and biz calls Publish (the completion) only after it has
// checked the content hash from the digests of the very chunks it passes,
// whose ETags pin the parts COS merges. So the key only ever holds content
// that hashes to its name. Twin uploads of the same content get distinct
// upload ids at the same key; whichever completes writes the same bytes,
// and aborting the other leaves the object alone.
func (s *COSStore) Begin(ctx context.Context, u *biz.Upload) (string, error) {
	if u.Size == 0 {
		// No chunks: Publish writes the empty object directly.
		return "", nil
	}
	res, _, err := s.c.Object.InitiateMultipartUpload(ctx, uploadKey(u), nil)
	if err != nil {
		return "", fmt.Errorf("cos: initiate multipart upload: %w", err)
	}
	if res.UploadID == "" {
		return "", errors.New("cos: initiate multipart upload: no upload id")
	}
	return res.UploadID, nil
}

// WriteChunk implements biz.BlobStore: chunk index is part index+1,
// streamed to COS with its length declared, never held in memory whole.
// The ETag COS returns identifies the part at completion.
func (s *COSStore) WriteChunk(ctx context.Context, u *biz.Upload, index int64, r io.Reader, n int64) (string, error) {
	if u.BackendRef == "" {
		return "", biz.ErrNotFound
	}
	body := &fencedReader{r: io.LimitReader(r, n)}
	resp, err := s.c.Object.UploadPart(ctx, uploadKey(u), u.BackendRef, int(index)+1, body,
		&cos.ObjectUploadPartOptions{ContentLength: n})
	// The HTTP client may still hold the body after it returns (a server that
	// answered early): cut it off, so nothing reads r behind the caller.
	body.fence()
	if err != nil {
		if code, _ := cosCode(err); code == "NoSuchUpload" {
			return "", biz.ErrNotFound
		}
		if read := body.read(); read < n {
			return "", fmt.Errorf("cos: part %d: %w (%d of %d bytes): %v", index+1, io.ErrUnexpectedEOF, read, n, err)
		}
		return "", fmt.Errorf("cos: upload part %d: %w", index+1, err)
	}
	if read := body.read(); read != n {
		return "", fmt.Errorf("cos: part %d: %w (%d of %d bytes)", index+1, io.ErrUnexpectedEOF, read, n)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		return "", fmt.Errorf("cos: upload part %d: no ETag in the answer", index+1)
	}
	return etag, nil
}

// fencedReader passes reads through until it is fenced; a read in progress
// finishes first, and none runs after.
type fencedReader struct {
	mu     sync.Mutex
	r      io.Reader
	n      int64
	fenced bool
}

func (f *fencedReader) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fenced {
		return 0, errors.New("cos: request body read after the request ended")
	}
	n, err := f.r.Read(p)
	f.n += int64(n)
	return n, err
}

func (f *fencedReader) fence() {
	f.mu.Lock()
	f.fenced = true
	f.mu.Unlock()
}

func (f *fencedReader) read() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// Publish implements biz.BlobStore: it completes the multipart upload with
// the chunks' ETags in part order. COS refuses a part whose ETag differs
// (InvalidPart), so only the parts biz checked are merged. An empty file
// is one plain PUT of no bytes.
func (s *COSStore) Publish(ctx context.Context, u *biz.Upload, chunks []*biz.Chunk) error {
	key := biz.BlobKey(u.ContentHash)
	if u.Size == 0 {
		if _, err := s.c.Object.Put(ctx, key, strings.NewReader(""), nil); err != nil {
			return fmt.Errorf("cos: put empty object: %w", err)
		}
		return nil
	}
	if want := u.Layout().Count(); int64(len(chunks)) != want {
		return fmt.Errorf("cos: publish: %d chunks given, the upload has %d", len(chunks), want)
	}
	parts := make([]cos.Object, len(chunks))
	for i, c := range chunks {
		if c.ETag == "" {
			return fmt.Errorf("cos: publish: chunk %d has no ETag", c.Index)
		}
		parts[i] = cos.Object{PartNumber: int(c.Index) + 1, ETag: c.ETag}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].PartNumber < parts[j].PartNumber })
	if u.Hashless {
		return s.publishStaged(ctx, u, parts)
	}
	_, _, err := s.c.Object.CompleteMultipartUpload(ctx, key, u.BackendRef, &cos.CompleteMultipartUploadOptions{Parts: parts})
	if err == nil {
		return nil
	}
	if code, _ := cosCode(err); code == "NoSuchUpload" {
		// Completed already (a retry after the answer was lost, or after the
		// blob's record failed to be written): the object is the proof.
		if size, herr := s.head(ctx, key); herr == nil && size == u.Size {
			return nil
		}
		return fmt.Errorf("cos: complete: multipart upload %s is gone: %w", u.BackendRef, biz.ErrNotFound)
	}
	return fmt.Errorf("cos: complete multipart upload: %w", err)
}

// publishStaged publishes a hashless upload: its checked parts are merged
// at its staging key, copied within the bucket to the blob's key (the price
// of not naming the hash at init) and the staging object removed. A retry
// after a try that died finds the staging object (merged, not yet copied)
// or the blob (copied).
func (s *COSStore) publishStaged(ctx context.Context, u *biz.Upload, parts []cos.Object) error {
	staging, key := stagingKey(u), biz.BlobKey(u.ContentHash)
	_, _, err := s.c.Object.CompleteMultipartUpload(ctx, staging, u.BackendRef, &cos.CompleteMultipartUploadOptions{Parts: parts})
	if code, _ := cosCode(err); err != nil && code == "NoSuchUpload" {
		if size, herr := s.head(ctx, key); herr == nil && size == u.Size {
			return nil
		}
		if size, herr := s.head(ctx, staging); herr != nil || size != u.Size {
			return fmt.Errorf("cos: complete: multipart upload %s is gone: %w", u.BackendRef, biz.ErrNotFound)
		}
	} else if err != nil {
		return fmt.Errorf("cos: complete multipart upload: %w", err)
	}
	// One PUT-copy up to 5 GB; part copies beyond.
	source := s.c.BaseURL.BucketURL.Host + "/" + staging
	if u.Size <= 5<<30 {
		_, _, err = s.c.Object.Copy(ctx, key, source, nil)
	} else {
		_, _, err = s.c.Object.MultiCopy(ctx, key, source, &cos.MultiCopyOptions{PartSize: 1024, ThreadPoolSize: 4})
	}
	if err != nil {
		return fmt.Errorf("cos: copy to the blob's key: %w", err)
	}
	return s.remove(ctx, staging)
}

// Discard implements biz.BlobStore. An upload COS no longer knows (aborted,
// completed, expired by a lifecycle rule) is already discarded.
func (s *COSStore) Discard(ctx context.Context, u *biz.Upload) error {
	if u.BackendRef == "" {
		return nil
	}
	_, err := s.c.Object.AbortMultipartUpload(ctx, uploadKey(u), u.BackendRef)
	if code, _ := cosCode(err); err != nil && code != "NoSuchUpload" {
		return fmt.Errorf("cos: abort multipart upload: %w", err)
	}
	if u.Hashless { // merged at its staging key by a publish that stopped there
		return s.remove(ctx, stagingKey(u))
	}
	return nil
}

func (s *COSStore) head(ctx context.Context, key string) (int64, error) {
	resp, err := s.c.Object.Head(ctx, key, nil)
	if isCOSNotFound(err) {
		return 0, biz.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("cos: head: %w", err)
	}
	size, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	if err != nil || size < 0 {
		return 0, fmt.Errorf("cos: head: bad Content-Length %q", resp.Header.Get("Content-Length"))
	}
	return size, nil
}

// Open implements biz.BlobStore: one HEAD for the size (404 is
// biz.ErrNotFound), then ranged GETs issued lazily. Seeking costs nothing;
// the next Read asks for the bytes from there to the end, and reading on
// continues that one response. The GETs run under ctx, so the reader lives
// no longer than the request that opened it.
func (s *COSStore) Open(ctx context.Context, hash string, _ int64) (io.ReadSeekCloser, error) {
	key := biz.BlobKey(hash)
	size, err := s.head(ctx, key)
	if err != nil {
		return nil, err
	}
	return &cosReader{ctx: ctx, c: s.c, key: key, size: size}, nil
}

// Delete implements biz.BlobStore.
func (s *COSStore) Delete(ctx context.Context, hash string) error {
	return s.remove(ctx, biz.BlobKey(hash))
}

func (s *COSStore) remove(ctx context.Context, key string) error {
	// COS answers 204 for a missing key; a 404 NoSuchKey is as good. Any
	// other error (NoSuchBucket, AccessDenied) is reported.
	_, err := s.c.Object.Delete(ctx, key)
	if code, _ := cosCode(err); err != nil && code != "NoSuchKey" {
		return fmt.Errorf("cos: delete: %w", err)
	}
	return nil
}

// cosReader is a COS object as an io.ReadSeekCloser.
type cosReader struct {
	ctx  context.Context
	c    *cos.Client
	key  string
	size int64
	off  int64
	// body streams from off; nil until a Read needs it.
	body io.ReadCloser
}

func (r *cosReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.body == nil {
		if err := r.get(); err != nil {
			return 0, err
		}
	}
	n, err := r.body.Read(p)
	r.off += int64(n)
	if err == io.EOF && r.off < r.size {
		err = fmt.Errorf("cos: get %s: %w at %d of %d bytes", r.key, io.ErrUnexpectedEOF, r.off, r.size)
	}
	return n, err
}

// get opens a response from r.off to the end.
func (r *cosReader) get() error {
	opt := &cos.ObjectGetOptions{Range: "bytes=" + strconv.FormatInt(r.off, 10) + "-"}
	resp, err := r.c.Object.Get(r.ctx, r.key, opt)
	if err != nil {
		if isCOSNotFound(err) {
			return biz.ErrNotFound
		}
		return fmt.Errorf("cos: get %s: %w", r.key, err)
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if cr := resp.Header.Get("Content-Range"); !strings.HasPrefix(cr, "bytes "+strconv.FormatInt(r.off, 10)+"-") {
			resp.Body.Close()
			return fmt.Errorf("cos: get %s: asked from %d, got Content-Range %q", r.key, r.off, cr)
		}
	case http.StatusOK: // the Range was ignored: skip to the offset
		if _, err := io.CopyN(io.Discard, resp.Body, r.off); err != nil {
			resp.Body.Close()
			return fmt.Errorf("cos: get %s: skipping to %d: %w", r.key, r.off, err)
		}
	default:
		resp.Body.Close()
		return fmt.Errorf("cos: get %s: status %d", r.key, resp.StatusCode)
	}
	r.body = resp.Body
	return nil
}

func (r *cosReader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.off + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, errors.New("cos: seek: bad whence")
	}
	if abs < 0 {
		return 0, errors.New("cos: seek: negative position")
	}
	if abs != r.off {
		r.drop()
		r.off = abs
	}
	return abs, nil
}

func (r *cosReader) drop() {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
}

func (r *cosReader) Close() error {
	r.drop()
	return nil
}
