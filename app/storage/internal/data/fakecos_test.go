package data

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash/crc64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeCOS is an in-memory stand-in for a Tencent COS bucket, speaking just
// the part of the COS XML API that COSStore uses through cos-go-sdk-v5:
// object PUT/HEAD/GET (Range)/DELETE and multipart initiate, upload part,
// complete and abort. Real COS cannot be reached from the test machines.
// Requests must be signed (an Authorization header); signatures are not
// verified.
type fakeCOS struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	objects map[string]*fakeCOSObject
	uploads map[string]*fakeCOSUpload
	nextID  int

	// Counters for tests: requests by method, GETs with their Range header,
	// bytes of part bodies received so far.
	gets      atomic.Int64
	heads     atomic.Int64
	partBytes atomic.Int64
	rangesMu  sync.Mutex
	ranges    []string
}

type fakeCOSObject struct {
	data     []byte
	etag     string
	modified time.Time
}

type fakeCOSUpload struct {
	key   string
	parts map[int]*fakeCOSPart
}

type fakeCOSPart struct {
	data []byte
	etag string
}

// fakeCOSMinPart is COS's least size of a part other than the last.
const fakeCOSMinPart = 1 << 20

func newFakeCOS(t testing.TB) *fakeCOS {
	f := &fakeCOS{t: t, objects: map[string]*fakeCOSObject{}, uploads: map[string]*fakeCOSUpload{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// store is a COSStore on the fake; CRC is off as against any fake unless
// crc asks for it (the fake sends x-cos-hash-crc64ecma like COS does).
func (f *fakeCOS) store(t testing.TB, crc bool) *COSStore {
	t.Helper()
	s, err := NewCOSStore(COSConfig{BucketURL: f.srv.URL, SecretID: "AKIDfake", SecretKey: "fake-secret",
		Transport: f.srv.Client().Transport, DisableCRC: !crc})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fakeCOS) object(key string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[key]
	if !ok {
		return nil, false
	}
	return o.data, true
}

func (f *fakeCOS) openUploads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.uploads)
}

func (f *fakeCOS) rangesSeen() []string {
	f.rangesMu.Lock()
	defer f.rangesMu.Unlock()
	return append([]string(nil), f.ranges...)
}

type fakeCOSError struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string
	Message   string
	Resource  string
	RequestID string `xml:"RequestId"`
}

func (f *fakeCOS) fail(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	w.Header().Set("X-Cos-Request-Id", "fake-"+strconv.Itoa(status))
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(fakeCOSError{Code: code, Message: msg, Resource: r.URL.Path, RequestID: "fake"})
}

func (f *fakeCOS) xml(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Cos-Request-Id", "fake-200")
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(v)
}

func fakeCOSETag(data []byte) string {
	sum := md5.Sum(data)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

var fakeCOSCRCTable = crc64.MakeTable(crc64.ECMA)

func (f *fakeCOS) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "q-sign-algorithm=") {
		f.fail(w, r, http.StatusForbidden, "AccessDenied", "the request is not signed")
		return
	}
	key := strings.TrimPrefix(r.URL.Path, "/")
	if key == "" {
		f.fail(w, r, http.StatusBadRequest, "InvalidRequest", "bucket operations are not faked")
		return
	}
	q := r.URL.Query()
	_, initiate := q["uploads"]
	uploadID := q.Get("uploadId")
	switch {
	case r.Method == http.MethodPost && initiate:
		f.initiate(w, key)
	case r.Method == http.MethodPut && uploadID != "":
		f.uploadPart(w, r, key, uploadID)
	case r.Method == http.MethodPost && uploadID != "":
		f.complete(w, r, key, uploadID)
	case r.Method == http.MethodDelete && uploadID != "":
		f.abort(w, r, key, uploadID)
	case r.Method == http.MethodPut && r.Header.Get("x-cos-copy-source") != "":
		f.copy(w, r, key)
	case r.Method == http.MethodPut:
		f.put(w, r, key)
	case r.Method == http.MethodHead:
		f.heads.Add(1)
		f.get(w, r, key, true)
	case r.Method == http.MethodGet:
		f.gets.Add(1)
		f.get(w, r, key, false)
	case r.Method == http.MethodDelete:
		f.mu.Lock()
		delete(f.objects, key)
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		f.fail(w, r, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" is not faked")
	}
}

// readBody reads a request body, which must have a declared length (the
// SDK streams a part with Content-Length, never chunked).
func (f *fakeCOS) readBody(w http.ResponseWriter, r *http.Request, count *atomic.Int64) ([]byte, bool) {
	if r.ContentLength < 0 || len(r.TransferEncoding) > 0 {
		f.fail(w, r, http.StatusLengthRequired, "MissingContentLength", "a Content-Length is required")
		return nil, false
	}
	buf := bytes.NewBuffer(make([]byte, 0, r.ContentLength))
	chunk := make([]byte, 64<<10)
	for {
		n, err := r.Body.Read(chunk)
		buf.Write(chunk[:n])
		if count != nil {
			count.Add(int64(n))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			f.fail(w, r, http.StatusBadRequest, "IncompleteBody", err.Error())
			return nil, false
		}
	}
	if int64(buf.Len()) != r.ContentLength {
		f.fail(w, r, http.StatusBadRequest, "IncompleteBody", "the body is shorter than its Content-Length")
		return nil, false
	}
	return buf.Bytes(), true
}

func (f *fakeCOS) stored(w http.ResponseWriter, data []byte, etag string) {
	w.Header().Set("ETag", etag)
	w.Header().Set("x-cos-hash-crc64ecma", strconv.FormatUint(crc64.Checksum(data, fakeCOSCRCTable), 10))
	w.Header().Set("X-Cos-Request-Id", "fake-200")
	w.WriteHeader(http.StatusOK)
}

func (f *fakeCOS) put(w http.ResponseWriter, r *http.Request, key string) {
	data, ok := f.readBody(w, r, nil)
	if !ok {
		return
	}
	etag := fakeCOSETag(data)
	f.mu.Lock()
	f.objects[key] = &fakeCOSObject{data: data, etag: etag, modified: time.Now()}
	f.mu.Unlock()
	f.stored(w, data, etag)
}

// copy is a PUT-copy within the bucket: x-cos-copy-source is
// "<bucket host>/<key>".
func (f *fakeCOS) copy(w http.ResponseWriter, r *http.Request, key string) {
	src := r.Header.Get("x-cos-copy-source")
	host, srcKey, _ := strings.Cut(src, "/")
	if host != f.srv.Listener.Addr().String() {
		f.fail(w, r, http.StatusBadRequest, "InvalidArgument", "copies from another bucket are not faked: "+src)
		return
	}
	if k, err := url.PathUnescape(srcKey); err == nil {
		srcKey = k
	}
	f.mu.Lock()
	o, ok := f.objects[srcKey]
	if ok {
		f.objects[key] = &fakeCOSObject{data: o.data, etag: o.etag, modified: time.Now()}
	}
	f.mu.Unlock()
	if !ok {
		f.fail(w, r, http.StatusNotFound, "NoSuchKey", "no such source key "+srcKey)
		return
	}
	f.xml(w, struct {
		XMLName xml.Name `xml:"CopyObjectResult"`
		ETag    string
	}{ETag: o.etag})
}

type fakeCOSInitiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Bucket   string
	Key      string
	UploadID string `xml:"UploadId"`
}

func (f *fakeCOS) initiate(w http.ResponseWriter, key string) {
	f.mu.Lock()
	f.nextID++
	id := fmt.Sprintf("fake-upload-%06d", f.nextID)
	f.uploads[id] = &fakeCOSUpload{key: key, parts: map[int]*fakeCOSPart{}}
	f.mu.Unlock()
	f.xml(w, fakeCOSInitiateResult{Bucket: "fake-1250000000", Key: key, UploadID: id})
}

func (f *fakeCOS) upload(w http.ResponseWriter, r *http.Request, key, id string) (*fakeCOSUpload, bool) {
	u, ok := f.uploads[id]
	if !ok || u.key != key {
		f.fail(w, r, http.StatusNotFound, "NoSuchUpload", "the specified upload does not exist")
		return nil, false
	}
	return u, true
}

func (f *fakeCOS) uploadPart(w http.ResponseWriter, r *http.Request, key, id string) {
	n, err := strconv.Atoi(r.URL.Query().Get("partNumber"))
	if err != nil || n < 1 || n > 10000 {
		f.fail(w, r, http.StatusBadRequest, "InvalidArgument", "partNumber must be 1..10000")
		return
	}
	f.mu.Lock()
	_, ok := f.upload(w, r, key, id)
	f.mu.Unlock()
	if !ok {
		return
	}
	data, ok := f.readBody(w, r, &f.partBytes)
	if !ok {
		return
	}
	etag := fakeCOSETag(data)
	f.mu.Lock()
	u, ok := f.upload(w, r, key, id) // aborted meanwhile?
	if ok {
		u.parts[n] = &fakeCOSPart{data: data, etag: etag}
	}
	f.mu.Unlock()
	if ok {
		f.stored(w, data, etag)
	}
}

type fakeCOSComplete struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int
		ETag       string
	} `xml:"Part"`
}

type fakeCOSCompleteResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	Location string
	Bucket   string
	Key      string
	ETag     string
}

// complete checks the listed parts as COS does (ascending, each held with
// that ETag, all but the last at least 1 MiB) and joins them.
func (f *fakeCOS) complete(w http.ResponseWriter, r *http.Request, key, id string) {
	var req fakeCOSComplete
	if err := xml.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Parts) == 0 {
		f.fail(w, r, http.StatusBadRequest, "MalformedXML", "the part list is malformed or empty")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.upload(w, r, key, id)
	if !ok {
		return
	}
	var data []byte
	etags := md5.New()
	for i, p := range req.Parts {
		if i > 0 && p.PartNumber <= req.Parts[i-1].PartNumber {
			f.fail(w, r, http.StatusBadRequest, "InvalidPartOrder", "parts must be listed in ascending order")
			return
		}
		got, ok := u.parts[p.PartNumber]
		if !ok || got.etag != p.ETag {
			f.fail(w, r, http.StatusBadRequest, "InvalidPart",
				fmt.Sprintf("part %d is not held with ETag %s", p.PartNumber, p.ETag))
			return
		}
		if i < len(req.Parts)-1 && len(got.data) < fakeCOSMinPart {
			f.fail(w, r, http.StatusBadRequest, "EntityTooSmall", fmt.Sprintf("part %d is under 1 MiB", p.PartNumber))
			return
		}
		data = append(data, got.data...)
		raw, _ := hex.DecodeString(strings.Trim(got.etag, `"`))
		etags.Write(raw)
	}
	etag := fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(etags.Sum(nil)), len(req.Parts))
	f.objects[key] = &fakeCOSObject{data: data, etag: etag, modified: time.Now()}
	delete(f.uploads, id)
	f.xml(w, fakeCOSCompleteResult{Location: f.srv.URL + "/" + key, Bucket: "fake-1250000000", Key: key, ETag: etag})
}

func (f *fakeCOS) abort(w http.ResponseWriter, r *http.Request, key, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.upload(w, r, key, id); !ok {
		return
	}
	delete(f.uploads, id)
	w.WriteHeader(http.StatusNoContent)
}

// get serves HEAD and GET, with one "bytes=" range (first-last, first- or
// -suffix) answered 206, and 416 when it is unsatisfiable.
func (f *fakeCOS) get(w http.ResponseWriter, r *http.Request, key string, head bool) {
	f.mu.Lock()
	o, ok := f.objects[key]
	f.mu.Unlock()
	if !ok {
		f.fail(w, r, http.StatusNotFound, "NoSuchKey", "the specified key does not exist")
		return
	}
	size := int64(len(o.data))
	h := w.Header()
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.modified.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Cos-Request-Id", "fake-200")
	rng := r.Header.Get("Range")
	if !head {
		f.rangesMu.Lock()
		f.ranges = append(f.ranges, rng)
		f.rangesMu.Unlock()
	}
	if head || rng == "" {
		h.Set("Content-Length", strconv.FormatInt(size, 10))
		w.WriteHeader(http.StatusOK)
		if !head {
			_, _ = w.Write(o.data)
		}
		return
	}
	first, last, ok := fakeCOSRange(rng, size)
	if !ok {
		h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
		f.fail(w, r, http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "the requested range is not satisfiable")
		return
	}
	h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, last, size))
	h.Set("Content-Length", strconv.FormatInt(last-first+1, 10))
	w.WriteHeader(http.StatusPartialContent)
	_, _ = w.Write(o.data[first : last+1])
}

func fakeCOSRange(rng string, size int64) (int64, int64, bool) {
	spec, ok := strings.CutPrefix(rng, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, 0, false
	}
	if a == "" { // the last b bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 || size == 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size - 1, true
	}
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil || first < 0 || first >= size {
		return 0, 0, false
	}
	last := size - 1
	if b != "" {
		if last, err = strconv.ParseInt(b, 10, 64); err != nil || last < first {
			return 0, 0, false
		}
		last = min(last, size-1)
	}
	return first, last, true
}

// keys lists the objects held, for tests.
func (f *fakeCOS) keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.objects))
	for k := range f.objects {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
