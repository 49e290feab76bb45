package standalone_test

// The end-to-end test of the storage service in the standalone drive, over
// real HTTP and gRPC: a 1 GiB file uploaded with 4 chunk PUTs at a time and
// downloaded byte-identical, the same over gRPC streams; kill -9 in the
// middle of an upload, restart, resume with only the missing chunks, and no
// partial file ever listed; instant upload by proof of possession; ranges;
// bad input; zips.
//
// Sizes: CLOUDDRIVE_E2E_BIG_MIB and CLOUDDRIVE_E2E_GRPC_MIB override the
// sizes of the two big transfers (MiB; defaults below).

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	fv1 "clouddrive/api/file/v1"
	sv1 "clouddrive/api/storage/v1"
)

// Default sizes of the big transfers.
const (
	bigHTTPSize = 1 << 30
	bigGRPCSize = 1 << 30
)

func sizeFromEnv(t *testing.T, name string, def int64) int64 {
	if v := os.Getenv(name); v != "" {
		mib, err := strconv.ParseInt(v, 10, 64)
		if err != nil || mib <= 0 {
			t.Fatalf("%s=%q: want a positive number of MiB", name, v)
		}
		return mib << 20
	}
	return def
}

func TestE2EStorage(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the standalone binary and moves gigabytes (skipped with -short)")
	}
	bin := binary(t)
	started := time.Now()
	srv := startServer(t, bin)
	t.Logf("standalone healthy in %v: http %s, grpc %s, data %s", time.Since(started).Round(time.Millisecond), srv.httpAddr, srv.grpcAddr, srv.dataDir)
	e := &env{srv: srv, book: newSecretBook(), ips: &ipPool{}}
	{
		c, _ := e.clients(t)
		e.admin = e.register(t, c, "root", "root@example.com")
		e.adminTok = e.login(t, c, e.admin).GetAccessToken()
	}

	t.Run("big_http", e.testBigHTTP)
	t.Run("big_grpc", e.testBigGRPC)
	t.Run("instant_upload", e.testInstantUpload)
	t.Run("small_file", e.testSmallFile)
	t.Run("thumbnails", e.testThumbnails)
	t.Run("ranges", e.testRanges)
	t.Run("bad_input", e.testStorageBadInput)
	t.Run("zip", e.testZip)
	t.Run("kill_and_resume", func(t *testing.T) { e.testKillResume(t, bin) })
}

// ---------------------------------------------------------------------------
// 1. A big file over HTTP: 4 chunk PUTs at a time, complete, download.

func (e *env) testBigHTTP(t *testing.T) {
	size := sizeFromEnv(t, "CLOUDDRIVE_E2E_BIG_MIB", bigHTTPSize)
	u := e.storeUser(t, "bighttp")
	c := content{seed: 1, size: size}
	start := time.Now()
	hash := c.hash()
	t.Logf("content hash of %d MiB by streaming: %s in %v", size>>20, hash, time.Since(start).Round(time.Millisecond))

	const name = "big-http.bin"
	hwm0 := e.srv.vmHWM()
	w := u.watchList(name)
	s := u.init("", name, c, hash)
	if s.GetChunkSize()%blockSize != 0 || s.GetChunkSize() <= 0 {
		t.Fatalf("chunk_size %d is not a positive multiple of 4 MiB", s.GetChunkSize())
	}
	if want := (size + s.GetChunkSize() - 1) / s.GetChunkSize(); s.GetChunkCount() != want {
		t.Fatalf("chunk_count %d, want %d", s.GetChunkCount(), want)
	}
	if len(s.GetUploadedChunks()) != 0 || s.GetSize() != size || s.GetContentHash() != hash || s.GetName() != name {
		t.Fatalf("fresh session: %v", s)
	}

	start = time.Now()
	sent := u.putChunks(s, c, allChunks(s), 4)
	upTook := time.Since(start)
	if st := u.status(s.GetUploadId()); int64(len(st.GetUploadedChunks())) != s.GetChunkCount() {
		t.Fatalf("after %d PUTs the status holds %d of %d chunks", sent, len(st.GetUploadedChunks()), s.GetChunkCount())
	}
	if u.listed("", name) {
		t.Fatalf("%q is listed before complete", name)
	}
	// The watch ends before complete: a listing answered while complete
	// runs may rightly show the file, whose node is made last (the blob is
	// on disk by then); complete syncs the whole file, so it takes a while.
	w.end()
	start = time.Now()
	n := u.complete(s.GetUploadId())
	completeTook := time.Since(start)
	if w.seen.Load() != 0 || w.polls.Load() == 0 {
		t.Errorf("root listings during the upload: %d polls, %d showed %q (want >0 and 0)", w.polls.Load(), w.seen.Load(), name)
	}
	if n.GetContentHash() != hash || n.GetSize() != size {
		t.Fatalf("node %v, want hash %s size %d", nodeLine(n), hash, size)
	}
	if again := u.complete(s.GetUploadId()); again.GetId() != n.GetId() {
		t.Errorf("complete again: node %s, want %s", again.GetId(), n.GetId())
	}
	if !u.listed("", name) {
		t.Errorf("%q is not listed after complete", name)
	}

	f := u.fetch(u.fileURL(n.GetId()), c)
	if f.status != http.StatusOK || f.firstErr != nil {
		t.Fatalf("download: %d %v %s", f.status, f.firstErr, f.errBody)
	}
	if f.n != size || f.hash != hash || f.diffAt != -1 {
		t.Fatalf("download: %d bytes, hash %s, first difference at %d; want %d bytes, hash %s, identical", f.n, f.hash, f.diffAt, size, hash)
	}
	if et := f.header.Get("ETag"); et != `"`+hash+`"` {
		t.Errorf("ETag %q, want the quoted content hash", et)
	}
	if cl := f.header.Get("Content-Length"); cl != strconv.FormatInt(size, 10) {
		t.Errorf("Content-Length %q, want %d", cl, size)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	hwm1 := e.srv.vmHWM()
	t.Logf("server peak RSS %d MiB before the upload, %d MiB after the download; this test process: %d MiB from the OS",
		hwm0>>20, hwm1>>20, ms.Sys>>20)
	// The server streams: its memory must not grow with the file (the
	// benchmark measures against the 32 MiB target; this is a loose guard).
	if hwm0 > 0 && hwm1-hwm0 > 64<<20 {
		t.Errorf("the server's peak RSS grew by %d MiB over a %d MiB upload and download", (hwm1-hwm0)>>20, size>>20)
	}
	t.Logf("HTTP: %d MiB in %d chunks of %d MiB: upload %v (%.0f MB/s, 4 PUTs at a time, Content-Digest on each), complete %v, download %v (%.0f MB/s, hashed and compared)",
		size>>20, s.GetChunkCount(), s.GetChunkSize()>>20, upTook.Round(time.Millisecond), rateMBps(size, upTook),
		completeTook.Round(time.Millisecond), f.took.Round(time.Millisecond), rateMBps(size, f.took))
}

// ---------------------------------------------------------------------------
// 1b. A big file over gRPC: client streams of chunks, a server stream down.

func (e *env) testBigGRPC(t *testing.T) {
	size := sizeFromEnv(t, "CLOUDDRIVE_E2E_GRPC_MIB", bigGRPCSize)
	u := e.storeUser(t, "biggrpc")
	c := content{seed: 2, size: size}
	hash := c.hash()
	ctx := u.grpcCtx(15 * time.Minute)
	hwm0 := e.srv.vmHWM()

	const name = "big-grpc.bin"
	s, err := u.st.InitUpload(ctx, &sv1.InitUploadRequest{Name: name, Size: size, ContentHash: hash})
	if err != nil {
		t.Fatalf("gRPC InitUpload: %v", err)
	}
	// Four streams at once, each sending every fourth chunk in messages of
	// the CLI's size (the messages of one chunk consecutive, with its index).
	const streams, message = 4, sv1.UploadMessageSize
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, streams)
	for w := 0; w < streams; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = func() error {
				st, err := u.st.UploadChunks(ctx)
				if err != nil {
					return err
				}
				buf := make([]byte, message)
				first := true
				for i := int64(w); i < s.GetChunkCount(); i += streams {
					off, n := chunkOf(s, c, i)
					r := c.reader(off, n)
					for n > 0 {
						k := min(n, message)
						if _, err := io.ReadFull(r, buf[:k]); err != nil {
							return err
						}
						msg := &sv1.ChunkData{Index: i, Data: buf[:k]}
						if first {
							msg.UploadId, first = s.GetUploadId(), false
						}
						if err := st.Send(msg); err != nil {
							_, rerr := st.CloseAndRecv()
							return fmt.Errorf("chunk %d: send: %v (%v)", i, err, rerr)
						}
						n -= k
					}
				}
				reply, err := st.CloseAndRecv()
				if err != nil {
					return err
				}
				if reply.GetUploadId() != s.GetUploadId() {
					return fmt.Errorf("stream reply names upload %q", reply.GetUploadId())
				}
				return nil
			}()
		}()
	}
	wg.Wait()
	upTook := time.Since(start)
	for w, err := range errs {
		if err != nil {
			t.Fatalf("UploadChunks stream %d: %v", w, err)
		}
	}
	hwmUp := e.srv.vmHWM()
	st, err := u.st.UploadStatus(ctx, &sv1.UploadStatusRequest{UploadId: s.GetUploadId()})
	if err != nil || int64(len(st.GetUploadedChunks())) != s.GetChunkCount() {
		t.Fatalf("gRPC UploadStatus: %v held of %d, %v", len(st.GetUploadedChunks()), s.GetChunkCount(), err)
	}
	n, err := u.st.CompleteUpload(ctx, &sv1.CompleteUploadRequest{UploadId: s.GetUploadId()})
	if err != nil || n.GetContentHash() != hash || n.GetSize() != size {
		t.Fatalf("gRPC CompleteUpload: %v, %v", n, err)
	}

	start = time.Now()
	ds, err := u.st.Download(ctx, &sv1.DownloadRequest{Id: n.GetId()})
	if err != nil {
		t.Fatalf("gRPC Download: %v", err)
	}
	h, m := newContentHasher(), newComparer(c)
	var got int64
	for i := 0; ; i++ {
		msg, err := ds.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("gRPC Download after %d bytes: %v", got, err)
		}
		if i == 0 && (msg.GetSize() != size || msg.GetContentHash() != hash) {
			t.Errorf("first message: size %d hash %q, want %d %s", msg.GetSize(), msg.GetContentHash(), size, hash)
		}
		_, _ = h.Write(msg.GetData())
		_, _ = m.Write(msg.GetData())
		got += int64(len(msg.GetData()))
	}
	downTook := time.Since(start)
	if got != size || h.sum() != hash || m.diffAt != -1 {
		t.Fatalf("gRPC download: %d bytes, hash %s, first difference at %d", got, h.sum(), m.diffAt)
	}

	// A range: offset and length.
	off, length := size-1000-7, int64(1000)
	ds, err = u.st.Download(ctx, &sv1.DownloadRequest{Id: n.GetId(), Offset: off, Length: length})
	if err != nil {
		t.Fatal(err)
	}
	var part []byte
	for {
		msg, err := ds.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("gRPC Download of a range: %v", err)
		}
		part = append(part, msg.GetData()...)
	}
	if !bytes.Equal(part, c.bytes(off, length)) {
		t.Errorf("gRPC Download offset %d length %d: %d bytes that differ", off, length, len(part))
	}
	t.Logf("server peak RSS: %d MiB before the gRPC upload, %d MiB after it, %d MiB after the download", hwm0>>20, hwmUp>>20, e.srv.vmHWM()>>20)
	t.Logf("gRPC: %d MiB: upload %v (%.0f MB/s, 4 streams), download %v (%.0f MB/s, one stream, hashed and compared)",
		size>>20, upTook.Round(time.Millisecond), rateMBps(size, upTook), downTook.Round(time.Millisecond), rateMBps(size, downTook))
}

// ---------------------------------------------------------------------------
// 3. Instant upload: a second user proves possession instead of sending.

func (e *env) testInstantUpload(t *testing.T) {
	a := e.storeUser(t, "instant-a")
	b := e.storeUser(t, "instant-b")
	c := content{seed: 3, size: 9<<20 + 77}
	hash := c.hash()
	na := a.uploadHTTP("", "original.bin", c)

	// B asks for A's content, and for content nobody has (same size).
	sb, rb := b.initRaw("", "copy.bin", c, hash)
	nobody := content{seed: 33, size: c.size}
	sf, rf := b.initRaw("", "fresh.bin", nobody, nobody.hash())
	if kb, kf := jsonKeys(t, rb.body), jsonKeys(t, rf.body); !slices.Equal(kb, kf) {
		t.Errorf("init answers differ in shape:\n stored content: %v\n fresh content:  %v", kb, kf)
	}
	if sb.GetChunkCount() != sf.GetChunkCount() || len(sb.GetUploadedChunks()) != 0 || len(sf.GetUploadedChunks()) != 0 ||
		len(sb.GetChallenge().GetRanges()) != len(sf.GetChallenge().GetRanges()) || len(sb.GetChallenge().GetNonce()) != len(sf.GetChallenge().GetNonce()) {
		t.Errorf("init answers differ:\n stored: %s\n fresh:  %s", rb.body, rf.body)
	}
	// Several ranges spread over the whole content.
	rs := sb.GetChallenge().GetRanges()
	if len(rs) < 8 {
		t.Errorf("challenge %v covers %d ranges", sb.GetChallenge(), len(rs))
	}
	for _, r := range rs {
		if r.GetLength() <= 0 || r.GetOffset() < 0 || r.GetOffset()+r.GetLength() > c.size {
			t.Errorf("challenge range %v is outside the content", r)
		}
	}
	if len(rs) > 0 && (rs[0].GetOffset() >= c.size/8 || rs[len(rs)-1].GetOffset() < c.size*7/8) {
		t.Errorf("challenge %v does not span the content", sb.GetChallenge())
	}

	// The hash alone: complete without chunks gets nothing.
	b.c.fail(b.post(uploadComplete, map[string]string{"upload_id": sb.GetUploadId()}), 409, "CHUNKS_MISSING")

	// A wrong proof, and a made-up proof for content nobody has: one answer.
	shifted := &sv1.Challenge{Nonce: sb.GetChallenge().GetNonce()}
	for _, r := range rs {
		shifted.Ranges = append(shifted.Ranges, &sv1.ChallengeRange{Offset: r.GetOffset() + 1, Length: r.GetLength() - 1})
	}
	wrongProof := c.proof(t, shifted)
	rw := b.post(uploadProve, map[string]string{"upload_id": sb.GetUploadId(), "proof": wrongProof})
	b.c.fail(rw, 403, "PROOF_REJECTED")
	rh := b.post(uploadProve, map[string]string{"upload_id": sf.GetUploadId(), "proof": strings.Repeat("ab", 32)})
	b.c.fail(rh, 403, "PROOF_REJECTED")
	if !bytes.Equal(rw.body, rh.body) {
		t.Errorf("a wrong proof and absent content are told apart:\n wrong proof: %s\n no content:  %s", rw.body, rh.body)
	}
	// Even the right proof of other content (the content nobody has) fails.
	b.c.fail(b.post(uploadProve, map[string]string{"upload_id": sf.GetUploadId(), "proof": nobody.proof(t, sf.GetChallenge())}), 403, "PROOF_REJECTED")
	if b.listed("", "copy.bin") || b.listed("", "fresh.bin") {
		t.Fatalf("a refused proof made a node")
	}

	// The right proof: a node at once, no chunk sent.
	start := time.Now()
	var nb fv1.Node
	b.c.ok(b.post(uploadProve, map[string]string{"upload_id": sb.GetUploadId(), "proof": c.proof(t, sb.GetChallenge())}), &nb)
	t.Logf("instant upload (prove) of %d bytes answered in %v", c.size, time.Since(start).Round(time.Microsecond))
	if nb.GetName() != "copy.bin" || nb.GetContentHash() != hash || nb.GetSize() != c.size || nb.GetId() == na.GetId() {
		t.Fatalf("proved node %v", nodeLine(&nb))
	}
	if st := b.status(sb.GetUploadId()); len(st.GetUploadedChunks()) != 0 {
		t.Errorf("after the proof the upload holds chunks %v; none were sent", st.GetUploadedChunks())
	}
	if !b.listed("", "copy.bin") {
		t.Errorf("copy.bin is not listed after the proof")
	}
	if us := b.usage(); us.GetUsedBytes() != c.size {
		t.Errorf("B's usage %d, want %d", us.GetUsedBytes(), c.size)
	}
	f := b.fetch(b.fileURL(nb.GetId()), c)
	if f.status != 200 || f.n != c.size || f.hash != hash || f.diffAt != -1 {
		t.Fatalf("B's download: %d, %d bytes, hash %s, diff at %d", f.status, f.n, f.hash, f.diffAt)
	}
	// Proving again returns the same node (idempotent).
	var again fv1.Node
	b.c.ok(b.post(uploadProve, map[string]string{"upload_id": sb.GetUploadId(), "proof": c.proof(t, sb.GetChallenge())}), &again)
	if again.GetId() != nb.GetId() {
		t.Errorf("prove again: node %s, want %s", again.GetId(), nb.GetId())
	}

	// Proofs are limited per upload: after the wrong ones, the right one is
	// refused too, and the chunks still go in the ordinary way.
	s2 := b.init("", "limited.bin", c, hash)
	for i := 0; i < 3; i++ {
		b.c.fail(b.post(uploadProve, map[string]string{"upload_id": s2.GetUploadId(), "proof": strings.Repeat("cd", 32)}), 403, "PROOF_REJECTED")
	}
	b.c.fail(b.post(uploadProve, map[string]string{"upload_id": s2.GetUploadId(), "proof": c.proof(t, s2.GetChallenge())}), 403, "PROOF_REJECTED")
	b.putChunks(s2, c, allChunks(s2), 2)
	if n := b.complete(s2.GetUploadId()); n.GetContentHash() != hash {
		t.Errorf("chunked upload after refused proofs: %v", nodeLine(n))
	}
}

// ---------------------------------------------------------------------------
// 4. Ranges, If-Range and ETag on the signed URL.

func (e *env) testRanges(t *testing.T) {
	u := e.storeUser(t, "ranges")
	c := content{seed: 4, size: 5<<20 + 333}
	hash := c.hash()
	const name = "报告 2024.bin"
	n := u.uploadHTTP("", name, c)
	link := u.fileURL(n.GetId())
	etag := `"` + hash + `"`

	whole := u.raw(http.MethodGet, link, "", nil, 0)
	if whole.status != 200 || !bytes.Equal(whole.body, c.bytes(0, c.size)) {
		t.Fatalf("GET whole: %d, %d bytes", whole.status, len(whole.body))
	}
	if got := whole.header.Get("ETag"); got != etag {
		t.Errorf("ETag %q, want %q", got, etag)
	}
	if got := whole.header.Get("Accept-Ranges"); got != "bytes" {
		t.Errorf("Accept-Ranges %q", got)
	}
	if _, params, err := mime.ParseMediaType(whole.header.Get("Content-Disposition")); err != nil || params["filename"] != name {
		t.Errorf("Content-Disposition %q: filename %q (%v), want %q", whole.header.Get("Content-Disposition"), params["filename"], err, name)
	}

	size := c.size
	for _, tc := range []struct {
		name, rng string
		off, n    int64
	}{
		{"first", "bytes=0-99", 0, 100},
		{"middle", "bytes=2000000-2000099", 2000000, 100},
		{"across a block boundary", "bytes=4194000-4194999", 4194000, 1000},
		{"suffix", "bytes=-100", size - 100, 100},
		{"open end", fmt.Sprintf("bytes=%d-", size-10), size - 10, 10},
		{"past the end is clipped", fmt.Sprintf("bytes=%d-%d", size-5, size+100), size - 5, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			uu := u.with(t)
			r := uu.raw(http.MethodGet, link, "", nil, 0, header{"Range", tc.rng})
			if r.status != http.StatusPartialContent {
				t.Fatalf("Range %s: status %d", tc.rng, r.status)
			}
			if want := fmt.Sprintf("bytes %d-%d/%d", tc.off, tc.off+tc.n-1, size); r.header.Get("Content-Range") != want {
				t.Errorf("Content-Range %q, want %q", r.header.Get("Content-Range"), want)
			}
			if !bytes.Equal(r.body, c.bytes(tc.off, tc.n)) {
				t.Errorf("Range %s: %d bytes that differ from [%d, %d)", tc.rng, len(r.body), tc.off, tc.off+tc.n)
			}
		})
	}
	for _, rng := range []string{fmt.Sprintf("bytes=%d-", size), fmt.Sprintf("bytes=%d-%d", size+10, size+20)} {
		r := u.raw(http.MethodGet, link, "", nil, 0, header{"Range", rng})
		if r.status != http.StatusRequestedRangeNotSatisfiable {
			t.Errorf("Range %s: status %d, want 416", rng, r.status)
		}
		if want := fmt.Sprintf("bytes */%d", size); r.header.Get("Content-Range") != want {
			t.Errorf("Range %s: Content-Range %q, want %q", rng, r.header.Get("Content-Range"), want)
		}
	}
	stale := `"` + strings.Repeat("0", 64) + `"`
	r := u.raw(http.MethodGet, link, "", nil, 0, header{"Range", "bytes=0-99"}, header{"If-Range", stale})
	if r.status != 200 || !bytes.Equal(r.body, c.bytes(0, size)) {
		t.Errorf("If-Range with a stale ETag: %d with %d bytes, want 200 and the whole file", r.status, len(r.body))
	}
	r = u.raw(http.MethodGet, link, "", nil, 0, header{"Range", "bytes=100-199"}, header{"If-Range", etag})
	if r.status != 206 || !bytes.Equal(r.body, c.bytes(100, 100)) {
		t.Errorf("If-Range with the current ETag: %d with %d bytes, want 206 and bytes 100-199", r.status, len(r.body))
	}
	r = u.raw(http.MethodGet, link, "", nil, 0, header{"If-None-Match", etag})
	if r.status != http.StatusNotModified {
		t.Errorf("If-None-Match with the current ETag: %d, want 304", r.status)
	}
	r = u.raw(http.MethodHead, link, "", nil, 0)
	if r.status != 200 || r.header.Get("Content-Length") != strconv.FormatInt(size, 10) || len(r.body) != 0 {
		t.Errorf("HEAD: %d, Content-Length %q, %d body bytes", r.status, r.header.Get("Content-Length"), len(r.body))
	}
}

// ---------------------------------------------------------------------------
// 5. Bad input.

func (e *env) testStorageBadInput(t *testing.T) {
	a := e.storeUser(t, "sbad-a")
	b := e.storeUser(t, "sbad-b")
	c := content{seed: 5, size: 2*8<<20 + 100}
	hash := c.hash()
	s := a.init("", "bad.bin", c, hash)
	id := s.GetUploadId()
	count := s.GetChunkCount()
	if count < 2 {
		t.Fatalf("want at least 2 chunks, got %d (chunk size %d)", count, s.GetChunkSize())
	}
	off0, n0 := chunkOf(s, c, 0)
	chunk0 := c.bytes(off0, n0)
	offL, nL := chunkOf(s, c, count-1)
	last := c.bytes(offL, nL)
	held := func(t *testing.T) []int64 { return a.with(t).status(id).GetUploadedChunks() }

	t.Run("index out of range", func(t *testing.T) {
		aa := a.with(t)
		for _, idx := range []int64{count, count + 1, 1 << 40} {
			aa.c.fail(aa.putChunk(id, idx, last, digestHeader(last)), 400, "BAD_CHUNK")
		}
	})
	t.Run("wrong length", func(t *testing.T) {
		aa := a.with(t)
		aa.c.fail(aa.putChunk(id, 0, chunk0[:n0-1]), 400, "BAD_CHUNK")
		aa.c.fail(aa.putChunk(id, 0, append(append([]byte(nil), chunk0...), 'x')), 400, "BAD_CHUNK")
		aa.c.fail(aa.putChunk(id, count-1, chunk0), 400, "BAD_CHUNK") // a full chunk as the short last one
		aa.c.fail(aa.putChunk(id, 0, nil), 400, "BAD_CHUNK")
		if h := held(t); len(h) != 0 {
			t.Errorf("chunks of the wrong length were kept: %v", h)
		}
	})
	t.Run("digest mismatch", func(t *testing.T) {
		aa := a.with(t)
		aa.c.fail(aa.putChunk(id, 0, chunk0, digestHeader(last)), 400, "DIGEST_MISMATCH")
		if h := held(t); len(h) != 0 {
			t.Errorf("a chunk with a wrong Content-Digest was kept: %v", h)
		}
		// A chunk held, sent again with a wrong digest: no longer held.
		if r := aa.putChunk(id, 0, chunk0, digestHeader(chunk0)); r.status != 204 {
			t.Fatalf("good chunk: %s", r)
		}
		if h := held(t); !slices.Equal(h, []int64{0}) {
			t.Fatalf("held after a good chunk 0: %v", h)
		}
		aa.c.fail(aa.putChunk(id, 0, chunk0, digestHeader(last)), 400, "DIGEST_MISMATCH")
		if h := held(t); len(h) != 0 {
			t.Errorf("chunk 0 resent with a wrong Content-Digest is still held: %v", h)
		}
		aa.c.fail(aa.putChunk(id, 0, chunk0, header{"Content-Digest", "sha-256=:bm90IDMyIGJ5dGVz:"}), 400, "VALIDATION_FAILED")
		// Other algorithms are ignored; a chunk with none is fine.
		if r := aa.putChunk(id, 0, chunk0, header{"Content-Digest", "sha-512=:AAAA:"}); r.status != 204 {
			t.Errorf("chunk with only an unknown digest algorithm: %s", r)
		}
		if r := aa.putChunk(id, count-1, last); r.status != 204 {
			t.Errorf("chunk without a digest: %s", r)
		}
	})
	t.Run("no token", func(t *testing.T) {
		aa := a.with(t)
		aa.c.fail(aa.raw(http.MethodPut, chunkPath(id, 0), "", bytes.NewReader(chunk0), n0), 401, "UNAUTHENTICATED")
		aa.c.fail(aa.raw(http.MethodPut, chunkPath(id, 0), "not-a-token", bytes.NewReader(chunk0), n0), 401, "UNAUTHENTICATED")
	})
	t.Run("another user's upload", func(t *testing.T) {
		bb := b.with(t)
		mine := bb.putChunk(id, 0, chunk0)
		bb.c.fail(mine, 404, "UPLOAD_NOT_FOUND")
		none := bb.putChunk(strings.Repeat("0", 32), 0, chunk0)
		bb.c.fail(none, 404, "UPLOAD_NOT_FOUND")
		if !bytes.Equal(mine.body, none.body) {
			t.Errorf("another user's upload and no upload are told apart:\n %s\n %s", mine, none)
		}
		bb.c.fail(bb.get(uploadStatus, url.Values{"upload_id": {id}}), 404, "UPLOAD_NOT_FOUND")
		bb.c.fail(bb.post(uploadComplete, map[string]string{"upload_id": id}), 404, "UPLOAD_NOT_FOUND")
		bb.c.fail(bb.post(uploadAbort, map[string]string{"upload_id": id}), 404, "UPLOAD_NOT_FOUND")
		bb.c.fail(bb.post(uploadProve, map[string]string{"upload_id": id, "proof": c.proof(t, s.GetChallenge())}), 404, "UPLOAD_NOT_FOUND")
		// B initialising the same file in B's root gets an upload of B's own.
		if sb := bb.init("", "bad.bin", c, hash); sb.GetUploadId() == id {
			t.Errorf("B's init resumed A's upload %s", id)
		}
	})
	t.Run("complete with missing chunks", func(t *testing.T) {
		aa := a.with(t)
		h := held(t)
		var missing []string
		for i := int64(0); i < count; i++ {
			if !slices.Contains(h, i) {
				missing = append(missing, strconv.FormatInt(i, 10))
			}
		}
		if len(missing) == 0 {
			t.Fatal("nothing is missing")
		}
		got := aa.c.fail(aa.post(uploadComplete, map[string]string{"upload_id": id}), 409, "CHUNKS_MISSING")
		if got.Metadata["missing"] != strings.Join(missing, ",") {
			t.Errorf("metadata.missing %q, want %q", got.Metadata["missing"], strings.Join(missing, ","))
		}
		if aa.listed("", "bad.bin") {
			t.Errorf("a refused complete listed the file")
		}
	})
	t.Run("hash mismatch starts over", func(t *testing.T) {
		aa := a.with(t)
		other := content{seed: 55, size: c.size}
		s2 := aa.init("", "liar.bin", other, hash) // declares c's hash, sends other's bytes
		aa.putChunks(s2, other, allChunks(s2), 2)
		aa.c.fail(aa.post(uploadComplete, map[string]string{"upload_id": s2.GetUploadId()}), 422, "HASH_MISMATCH")
		if h := aa.status(s2.GetUploadId()).GetUploadedChunks(); len(h) != 0 {
			t.Errorf("after HASH_MISMATCH the upload still holds %v", h)
		}
		if aa.listed("", "liar.bin") {
			t.Errorf("a mismatched upload was listed")
		}
	})
	t.Run("closed uploads", func(t *testing.T) {
		aa := a.with(t)
		small := content{seed: 56, size: 1000}
		s3 := aa.init("", "closed.bin", small, small.hash())
		aa.putChunks(s3, small, allChunks(s3), 1)
		aa.complete(s3.GetUploadId())
		aa.c.fail(aa.putChunk(s3.GetUploadId(), 0, small.bytes(0, small.size)), 409, "UPLOAD_CLOSED")
		s4 := aa.init("", "aborted.bin", small, small.hash())
		aa.c.ok(aa.post(uploadAbort, map[string]string{"upload_id": s4.GetUploadId()}), nil)
		aa.c.ok(aa.post(uploadAbort, map[string]string{"upload_id": s4.GetUploadId()}), nil)
		aa.c.fail(aa.putChunk(s4.GetUploadId(), 0, small.bytes(0, small.size)), 409, "UPLOAD_CLOSED")
		aa.c.fail(aa.post(uploadComplete, map[string]string{"upload_id": s4.GetUploadId()}), 409, "UPLOAD_CLOSED")
		if s5 := aa.init("", "aborted.bin", small, small.hash()); s5.GetUploadId() == s4.GetUploadId() {
			t.Errorf("init after abort resumed the aborted upload")
		}
	})
	t.Run("init validation", func(t *testing.T) {
		aa := a.with(t)
		for _, body := range []map[string]any{
			{"name": "x", "size": "10", "content_hash": strings.ToUpper(hash)},
			{"name": "x", "size": "10", "content_hash": hash[:63]},
			{"name": "x", "size": "-1", "content_hash": hash},
			{"name": "", "size": "10", "content_hash": hash},
			{"name": "x", "size": "10", "content_hash": hash, "on_conflict": "overwrite"},
		} {
			aa.c.fail(aa.post(uploadInit, body), 400, "VALIDATION_FAILED")
		}
		r := aa.post(uploadInit, map[string]any{"parent_id": "999999999", "name": "x", "size": "10", "content_hash": hash})
		if r.status != 404 {
			t.Errorf("init into a folder that does not exist: %s", r)
		}
	})

	t.Run("quota", func(t *testing.T) {
		q := e.storeUser(t, "sbad-quota")
		c0, _ := e.clients(t)
		c0.ok(c0.post(quotaSet, e.adminTok, map[string]any{"user_id": q.acct.id, "limit_bytes": "1000000"}), nil)
		big := content{seed: 60, size: 1000001}
		q.c.fail(q.post(uploadInit, initBody("", "big.bin", big, big.hash())), 413, "QUOTA_EXCEEDED")
		ok := content{seed: 60, size: 1000000}
		q.uploadHTTP("", "fits.bin", ok)
		one := content{seed: 61, size: 1}
		q.c.fail(q.post(uploadInit, initBody("", "one.bin", one, one.hash())), 413, "QUOTA_EXCEEDED")
	})
	t.Run("name taken before complete", func(t *testing.T) {
		aa := a.with(t)
		c1 := content{seed: 62, size: 5 << 20}
		s1 := aa.init("", "taken.bin", c1, c1.hash())
		aa.putChunks(s1, c1, allChunks(s1), 2)
		squatter := aa.mkdir("", "taken.bin")
		aa.c.fail(aa.post(uploadComplete, map[string]string{"upload_id": s1.GetUploadId()}), 409, "NAME_CONFLICT")
		aa.c.ok(aa.post(fileDelete, map[string]any{"ids": []string{squatter.GetId()}}), nil)
		n := aa.complete(s1.GetUploadId())
		if f := aa.fetch(aa.fileURL(n.GetId()), c1); f.status != 200 || f.diffAt != -1 || f.n != c1.size {
			t.Errorf("download after the retried complete: %d, %d bytes, diff at %d", f.status, f.n, f.diffAt)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		aa := a.with(t)
		empty := content{seed: 63, size: 0}
		s0 := aa.init("", "empty.txt", empty, empty.hash())
		if rs := s0.GetChallenge().GetRanges(); s0.GetChunkCount() != 0 || len(rs) != 1 || rs[0].GetLength() != 0 {
			t.Errorf("empty file session: %v", s0)
		}
		n := aa.complete(s0.GetUploadId())
		r := aa.raw(http.MethodGet, aa.fileURL(n.GetId()), "", nil, 0)
		if r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Length") != "0" {
			t.Errorf("GET of an empty file: %s, Content-Length %q", r, r.header.Get("Content-Length"))
		}
	})
	t.Run("grpc", func(t *testing.T) {
		aa, bb := a.with(t), b.with(t)
		ctx := aa.grpcCtx(time.Minute)
		c2 := content{seed: 64, size: 3 << 20}
		s2, err := aa.st.InitUpload(ctx, &sv1.InitUploadRequest{Name: "g.bin", Size: c2.size, ContentHash: c2.hash()})
		if err != nil {
			t.Fatal(err)
		}
		send := func(u *storeUser, msgs ...*sv1.ChunkData) error {
			st, err := u.st.UploadChunks(u.grpcCtx(time.Minute))
			if err != nil {
				return err
			}
			for _, m := range msgs {
				if err := st.Send(m); err != nil {
					break
				}
			}
			_, err = st.CloseAndRecv()
			return err
		}
		body := c2.bytes(0, c2.size)
		grpcFail(t, "a short chunk", send(aa, &sv1.ChunkData{UploadId: s2.GetUploadId(), Index: 0, Data: body[:1000]}), 400, "BAD_CHUNK")
		grpcFail(t, "an index outside", send(aa, &sv1.ChunkData{UploadId: s2.GetUploadId(), Index: 1, Data: body}), 400, "BAD_CHUNK")
		grpcFail(t, "another user's upload", send(bb, &sv1.ChunkData{UploadId: s2.GetUploadId(), Index: 0, Data: body}), 404, "UPLOAD_NOT_FOUND")
		grpcFail(t, "no upload named", send(aa), 404, "UPLOAD_NOT_FOUND")
		noTok := aa.with(t) // a copy: the token is cleared on it alone
		noTok.tok = ""
		grpcFail(t, "no token", send(noTok, &sv1.ChunkData{UploadId: s2.GetUploadId(), Index: 0, Data: body}), 401, "UNAUTHENTICATED")
		if st, err := aa.st.UploadStatus(ctx, &sv1.UploadStatusRequest{UploadId: s2.GetUploadId()}); err != nil || len(st.GetUploadedChunks()) != 0 {
			t.Errorf("after refused streams the upload holds %v (%v)", st.GetUploadedChunks(), err)
		}
		// The chunk in three messages goes in.
		if err := send(aa, &sv1.ChunkData{UploadId: s2.GetUploadId(), Index: 0, Data: body[:1<<20]},
			&sv1.ChunkData{Index: 0, Data: body[1<<20 : 2<<20]}, &sv1.ChunkData{Index: 0, Data: body[2<<20:]}); err != nil {
			t.Fatalf("a chunk in three messages: %v", err)
		}
		n, err := aa.st.CompleteUpload(ctx, &sv1.CompleteUploadRequest{UploadId: s2.GetUploadId()})
		if err != nil {
			t.Fatal(err)
		}
		ds, err := bb.st.Download(bb.grpcCtx(time.Minute), &sv1.DownloadRequest{Id: n.GetId()})
		if err == nil {
			_, err = ds.Recv()
		}
		grpcFail(t, "B downloading A's file", err, 404, "NODE_NOT_FOUND")
	})

	// Download links: tampered, expired, and the file deleted after signing.
	f1 := a.uploadHTTP("", "link1.bin", content{seed: 57, size: 3000})
	f2 := a.uploadHTTP("", "link2.bin", content{seed: 58, size: 4000})
	link := a.fileURL(f1.GetId())
	t.Run("tampered or expired link", func(t *testing.T) {
		aa := a.with(t)
		if r := aa.raw(http.MethodGet, link, "", nil, 0); r.status != 200 || len(r.body) != 3000 {
			t.Fatalf("the genuine link: %s", r)
		}
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		tamper := func(k, v string) string {
			q := u.Query()
			q.Set(k, v)
			return u.Path + "?" + q.Encode()
		}
		uidA := u.Query().Get("uid")
		for what, l := range map[string]string{
			"another file's id": tamper("id", f2.GetId()),
			"another user":      tamper("uid", b.acct.id),
			"later expiry":      tamper("exp", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)),
			"changed signature": tamper("sig", strings.Repeat("A", 43)),
			"no signature":      strings.Replace(link, "sig=", "nosig=", 1),
			"inline added":      tamper("inline", "1"),
		} {
			t.Run(what, func(t *testing.T) {
				at := aa.with(t)
				at.c.fail(at.raw(http.MethodGet, l, "", nil, 0), 403, "LINK_INVALID")
			})
		}
		// Signed with the server's own secret, but expired a minute ago.
		signer := e.urlSigner(t)
		uid, _ := strconv.ParseInt(uidA, 10, 64)
		fresh := signer.Sign(u.Path, url.Values{"id": {f1.GetId()}}, uid, time.Minute)
		if r := aa.raw(http.MethodGet, fresh, "", nil, 0); r.status != 200 {
			t.Fatalf("a link the test signed with the server's secret does not work (%s): the expiry check below would prove nothing", r)
		}
		expired := signer.Sign(u.Path, url.Values{"id": {f1.GetId()}}, uid, -time.Minute)
		aa.c.fail(aa.raw(http.MethodGet, expired, "", nil, 0), 403, "LINK_INVALID")
	})
	t.Run("file deleted after the link was made", func(t *testing.T) {
		aa := a.with(t)
		l2 := aa.fileURL(f2.GetId())
		aa.c.ok(aa.post(fileDelete, map[string]any{"ids": []string{f2.GetId()}}), nil)
		r := aa.raw(http.MethodGet, l2, "", nil, 0)
		if r.status != 404 {
			t.Errorf("GET of a deleted file's link: %s, want 404", r)
		}
		aa.c.fail(aa.post(downloadURL, map[string]string{"id": f2.GetId()}), 404, "NODE_NOT_FOUND")
		dir := aa.mkdir("", "a-folder")
		aa.c.fail(aa.post(downloadURL, map[string]string{"id": dir.GetId()}), 404, "FILE_NOT_FOUND")
		// B cannot sign a link to A's file.
		bb := b.with(t)
		r = bb.post(downloadURL, map[string]string{"id": f1.GetId()})
		if r.status != 404 {
			t.Errorf("B signing a link to A's file: %s, want 404", r)
		}
	})
}

// ---------------------------------------------------------------------------
// 6. Zip of a folder with nested files.

func (e *env) testZip(t *testing.T) {
	u := e.storeUser(t, "zipper")
	album := u.mkdir("", "album")
	sub := u.mkdir(album.GetId(), "sub")
	deeper := u.mkdir(sub.GetId(), "deeper")
	u.mkdir(album.GetId(), "empty")
	files := map[string]content{
		"album/a.bin":               {seed: 61, size: 5<<20 + 3},
		"album/sub/deep.txt":        {seed: 62, size: 1234},
		"album/sub/deeper/z.bin":    {seed: 63, size: 0},
		"album/sub/deeper/名字 1.dat": {seed: 64, size: 70000},
	}
	parents := map[string]string{"album": album.GetId(), "album/sub": sub.GetId(), "album/sub/deeper": deeper.GetId()}
	ids := map[string]string{}
	for p, c := range files {
		n := u.uploadHTTP(parents[path.Dir(p)], path.Base(p), c)
		ids[p] = n.GetId()
	}
	root := content{seed: 65, size: 10}
	rootA := u.uploadHTTP("", "a.bin", root)

	read := func(t *testing.T, ids []string, name string) (*zip.Reader, *response) {
		t.Helper()
		uu := u.with(t)
		var su sv1.SignedURL
		uu.c.ok(uu.post(downloadZip, map[string]any{"ids": ids, "name": name}), &su)
		r := uu.raw(http.MethodGet, su.GetUrl(), "", nil, 0)
		if r.status != 200 {
			t.Fatalf("GET zip: %s", r)
		}
		zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
		if err != nil {
			t.Fatalf("not a zip (%d bytes): %v", len(r.body), err)
		}
		return zr, r
	}
	clean := func(t *testing.T, name string) {
		if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || strings.Contains(name, "//") ||
			slices.Contains(strings.Split(strings.TrimSuffix(name, "/"), "/"), "..") ||
			slices.Contains(strings.Split(strings.TrimSuffix(name, "/"), "/"), ".") || filepath.IsAbs(name) {
			t.Errorf("entry name %q is not a clean relative path", name)
		}
	}

	t.Run("folder", func(t *testing.T) {
		zr, r := read(t, []string{album.GetId()}, "")
		if _, p, _ := mime.ParseMediaType(r.header.Get("Content-Disposition")); p["filename"] != "album.zip" {
			t.Errorf("Content-Disposition %q, want filename album.zip", r.header.Get("Content-Disposition"))
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
			clean(t, f.Name)
			if strings.HasSuffix(f.Name, "/") {
				continue
			}
			c, ok := files[f.Name]
			if !ok {
				t.Errorf("unexpected entry %q", f.Name)
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, c.bytes(0, c.size)) {
				t.Errorf("%s: %d bytes (%v), want %d identical", f.Name, len(got), err, c.size)
			}
		}
		want := []string{"album/", "album/a.bin", "album/empty/", "album/sub/", "album/sub/deep.txt", "album/sub/deeper/",
			"album/sub/deeper/z.bin", "album/sub/deeper/名字 1.dat"}
		slices.Sort(names)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("entries\n %q\nwant\n %q", names, want)
		}
	})
	t.Run("same names from two folders", func(t *testing.T) {
		zr, r := read(t, []string{ids["album/a.bin"], rootA.GetId()}, "pick")
		if _, p, _ := mime.ParseMediaType(r.header.Get("Content-Disposition")); p["filename"] != "pick.zip" {
			t.Errorf("Content-Disposition %q, want filename pick.zip", r.header.Get("Content-Disposition"))
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
			clean(t, f.Name)
		}
		if !slices.Equal(names, []string{"a.bin", "a (1).bin"}) {
			t.Errorf("entries %q, want [a.bin, a (1).bin]", names)
		}
	})
	t.Run("another user's folder", func(t *testing.T) {
		o := e.storeUser(t, "zip-other")
		r := o.post(downloadZip, map[string]any{"ids": []string{album.GetId()}})
		if r.status != 404 {
			t.Errorf("zip of another user's folder: %s", r)
		}
	})
}

// ---------------------------------------------------------------------------
// 2. Kill -9 in the middle of an upload; restart; resume.

func (e *env) testKillResume(t *testing.T, bin string) {
	srv := startServer(t, bin)
	ke := &env{srv: srv, book: e.book, ips: e.ips}
	u := ke.storeUser(t, "resumer")
	c := content{seed: 7, size: 9*8<<20 + 12345}
	hash := c.hash()
	const name = "resumed.bin"

	w := u.watchList(name)
	s := u.init("", name, c, hash)
	if s.GetChunkCount() < 8 {
		t.Fatalf("want at least 8 chunks, got %d", s.GetChunkCount())
	}
	acked := []int64{0, 1, 2, 5, 7}
	u.putChunks(s, c, acked, 2)
	if h := u.status(s.GetUploadId()).GetUploadedChunks(); !slices.Equal(h, acked) {
		t.Fatalf("held before the kill: %v, want %v", h, acked)
	}

	// Chunk 3 is on its way, part of it sent, when the process is killed.
	off, n := chunkOf(s, c, 3)
	pr, pw := io.Pipe()
	putDone := make(chan error, 1)
	go func() {
		resp, err := u.rawStream(http.MethodPut, chunkPath(s.GetUploadId(), 3), u.tok, pr, n)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			err = fmt.Errorf("the PUT was answered: %d %s", resp.StatusCode, b)
		}
		putDone <- err
	}()
	if _, err := io.CopyN(pw, c.reader(off, n), n/2); err != nil {
		t.Fatalf("sending half of chunk 3: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	w.end()
	srv.kill()
	pw.CloseWithError(errors.New("killed"))
	if err := <-putDone; err == nil || strings.Contains(err.Error(), "answered") {
		t.Fatalf("the interrupted PUT: %v", err)
	}
	if !srv.exited || srv.exitErr == nil || !strings.Contains(srv.exitErr.Error(), "killed") {
		t.Fatalf("the process did not die of SIGKILL: exited=%v %v", srv.exited, srv.exitErr)
	}
	if w.seen.Load() != 0 || w.polls.Load() == 0 {
		t.Errorf("root listings before the kill: %d polls, %d showed %q", w.polls.Load(), w.seen.Load(), name)
	}

	srv2 := restart(t, bin, srv)
	u2 := u.rebind(t, srv2)
	if u2.listed("", name) {
		t.Fatalf("%q is listed right after the restart", name)
	}
	s2 := u2.init("", name, c, hash)
	if s2.GetUploadId() != s.GetUploadId() {
		t.Fatalf("init after the restart: upload %s, want the same %s", s2.GetUploadId(), s.GetUploadId())
	}
	if !slices.Equal(s2.GetUploadedChunks(), acked) {
		t.Fatalf("init after the restart lists %v, want %v (chunk 3 was cut short)", s2.GetUploadedChunks(), acked)
	}
	var missing []int64
	for i := int64(0); i < s2.GetChunkCount(); i++ {
		if !slices.Contains(s2.GetUploadedChunks(), i) {
			missing = append(missing, i)
		}
	}
	w2 := u2.watchList(name)
	sent := u2.putChunks(s2, c, missing, 4)
	if u2.listed("", name) {
		t.Fatalf("%q is listed before complete", name)
	}
	w2.end()
	if w2.seen.Load() != 0 {
		t.Errorf("%d root listings during the resumed upload showed %q", w2.seen.Load(), name)
	}
	nd := u2.complete(s2.GetUploadId())
	if sent != len(missing) || int64(sent+len(acked)) != s2.GetChunkCount() {
		t.Errorf("sent %d chunks after the restart, want the %d missing of %d", sent, len(missing), s2.GetChunkCount())
	}
	t.Logf("resumed upload: %d of %d chunks held after kill -9 and restart, %d sent", len(acked), s2.GetChunkCount(), sent)
	if nd.GetContentHash() != hash || nd.GetSize() != c.size {
		t.Fatalf("completed node %v", nodeLine(nd))
	}
	count := 0
	for _, x := range u2.list("") {
		if x.GetName() == name {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%q is listed %d times after complete", name, count)
	}
	f := u2.fetch(u2.fileURL(nd.GetId()), c)
	if f.status != 200 || f.n != c.size || f.hash != hash || f.diffAt != -1 {
		t.Fatalf("download after the resume: %d, %d bytes, hash %s, diff at %d", f.status, f.n, f.hash, f.diffAt)
	}
	if left, _ := filepath.Glob(filepath.Join(srv2.dataDir, "blobs", "uploads", "*")); len(left) != 0 {
		t.Errorf("upload files left after complete: %v", left)
	}
}

// ---------------------------------------------------------------------------
// The test's own tools: the generator gives the same bytes however it is
// read, and the streaming hasher agrees with a plain computation.

func TestE2EStorageTools(t *testing.T) {
	c := content{seed: 99, size: 3*blockSize + 13}
	full, err := io.ReadAll(c.reader(0, c.size))
	if err != nil || int64(len(full)) != c.size {
		t.Fatalf("read all: %d bytes, %v", len(full), err)
	}
	for _, piece := range []int{1, 3, 7, 8, 9, 4095, 1 << 20, blockSize + 5} {
		r := c.reader(0, c.size)
		var got []byte
		buf := make([]byte, piece)
		for {
			n, err := r.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
		}
		if !bytes.Equal(got, full) {
			t.Fatalf("reading in pieces of %d gives other bytes", piece)
		}
	}
	for _, rg := range [][2]int64{{0, 1}, {1, 7}, {5, 100}, {blockSize - 3, 10}, {blockSize, 8}, {2*blockSize + 1, blockSize + 12}, {c.size - 1, 1}, {c.size, 0}} {
		if got := c.bytes(rg[0], rg[1]); !bytes.Equal(got, full[rg[0]:rg[0]+rg[1]]) {
			t.Errorf("bytes(%d, %d) differ from the whole stream", rg[0], rg[1])
		}
	}
	if other, _ := io.ReadAll(content{seed: 100, size: c.size}.reader(0, c.size)); bytes.Equal(other, full) {
		t.Error("two seeds give the same bytes")
	}
	var digests []byte
	for off := 0; off < len(full); off += blockSize {
		d := sha256.Sum256(full[off:min(off+blockSize, len(full))])
		digests = append(digests, d[:]...)
	}
	want := sha256.Sum256(digests)
	if got := c.hash(); got != hex.EncodeToString(want[:]) {
		t.Errorf("streaming content hash %s, want %x", got, want)
	}
	if got := (content{size: 0}).hash(); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("content hash of nothing = %s", got)
	}
	m := newComparer(c)
	_, _ = m.Write(full[:100])
	flipped := append([]byte(nil), full[100:200]...)
	flipped[42] ^= 1
	_, _ = m.Write(flipped)
	if m.diffAt != 142 {
		t.Errorf("comparer found the first difference at %d, want 142", m.diffAt)
	}
}
