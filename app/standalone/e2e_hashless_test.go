package standalone_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	fv1 "clouddrive/api/file/v1"
	sv1 "clouddrive/api/storage/v1"
)

// TestE2EHashlessUpload: uploads begun without a content hash (the client
// sends at once and hashes, if at all, in parallel), over HTTP and gRPC,
// through the standalone binary. The server computes the hash from the
// blocks it hashes itself; a content stored already is deduplicated at
// complete; instant upload stays for inits that name the hash.
func TestE2EHashlessUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the standalone binary (skipped with -short)")
	}
	srv := startServer(t, binary(t))
	e := &env{srv: srv, book: newSecretBook(), ips: &ipPool{}}
	{
		c, _ := e.clients(t)
		e.admin = e.register(t, c, "root", "root@example.com")
		e.adminTok = e.login(t, c, e.admin).GetAccessToken()
	}
	a := e.storeUser(t, "hashless-a")
	b := e.storeUser(t, "hashless-b")
	c := content{seed: 101, size: 2*8<<20 + 4321} // three chunks, the last short
	hash := c.hash()

	t.Run("http", func(t *testing.T) {
		aa := a.with(t)
		s := aa.initHashless("", "http.bin", c.size)
		// Chunks with and without a Content-Digest: the server hashes the
		// blocks of every chunk itself either way.
		for i := int64(0); i < s.GetChunkCount(); i++ {
			off, n := chunkOf(s, c, i)
			b := c.bytes(off, n)
			hs := []header{}
			if i == 0 {
				hs = append(hs, digestHeader(b))
			}
			if r := aa.putChunk(s.GetUploadId(), i, b, hs...); r.status != 204 {
				t.Fatalf("chunk %d: %s", i, r)
			}
		}
		// Complete names the hash the client took meanwhile: checked.
		var n fv1.Node
		aa.c.ok(aa.post(uploadComplete, map[string]string{"upload_id": s.GetUploadId(), "content_hash": hash}), &n)
		if n.GetContentHash() != hash || n.GetSize() != c.size {
			t.Fatalf("node %v; want hash %s (computed by the client) and size %d", nodeLine(&n), hash, c.size)
		}
		if again := aa.complete(s.GetUploadId()); again.GetId() != n.GetId() {
			t.Errorf("complete again: node %s, want %s", again.GetId(), n.GetId())
		}
		f := aa.fetch(aa.fileURL(n.GetId()), c)
		if f.status != 200 || f.n != c.size || f.hash != hash || f.diffAt != -1 {
			t.Fatalf("download: %d, %d bytes, hash %s, first difference at %d", f.status, f.n, f.hash, f.diffAt)
		}
	})

	t.Run("grpc", func(t *testing.T) {
		g := content{seed: 102, size: 8<<20 + 77}
		bb := b.with(t)
		ctx := bb.grpcCtx(2 * time.Minute)
		s, err := bb.st.InitUpload(ctx, &sv1.InitUploadRequest{Name: "grpc.bin", Size: g.size})
		if err != nil {
			t.Fatalf("gRPC InitUpload without a hash: %v", err)
		}
		if s.GetChallenge() != nil || s.GetContentHash() != "" {
			t.Errorf("hashless session has a challenge or hash: %v", s)
		}
		st, err := bb.st.UploadChunks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := int64(0); i < s.GetChunkCount(); i++ {
			off, n := chunkOf(s, g, i)
			data := g.bytes(off, n)
			for len(data) > 0 { // messages of 1 MiB, under gRPC's 4 MiB limit
				k := min(len(data), 1<<20)
				msg := &sv1.ChunkData{Index: i, Data: data[:k]}
				if i == 0 {
					msg.UploadId = s.GetUploadId()
				}
				if err := st.Send(msg); err != nil {
					_, rerr := st.CloseAndRecv()
					t.Fatalf("chunk %d: %v (%v)", i, err, rerr)
				}
				data = data[k:]
			}
		}
		if _, err := st.CloseAndRecv(); err != nil {
			t.Fatal(err)
		}
		n, err := bb.st.CompleteUpload(ctx, &sv1.CompleteUploadRequest{UploadId: s.GetUploadId()})
		if err != nil || n.GetContentHash() != g.hash() || n.GetSize() != g.size {
			t.Fatalf("gRPC CompleteUpload: %v, %v; want hash %s", n, err, g.hash())
		}
		ds, err := bb.st.Download(ctx, &sv1.DownloadRequest{Id: n.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		h := newContentHasher()
		for {
			msg, err := ds.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			_, _ = h.Write(msg.GetData())
		}
		if h.sum() != g.hash() {
			t.Errorf("downloaded content hash %s, want %s", h.sum(), g.hash())
		}
	})

	t.Run("stored content is deduplicated at complete", func(t *testing.T) {
		bb := b.with(t)
		blobs0 := blobFiles(t, srv.dataDir)
		s := bb.initHashless("", "same.bin", c.size)
		bb.putChunks(s, c, allChunks(s), 2)
		n := bb.complete(s.GetUploadId())
		if n.GetContentHash() != hash {
			t.Fatalf("node hash %s, want %s", n.GetContentHash(), hash)
		}
		if blobs1 := blobFiles(t, srv.dataDir); blobs1 != blobs0 {
			t.Errorf("blob files: %d before, %d after an upload of stored content", blobs0, blobs1)
		}
		if part := partFile(t, srv.dataDir, s.GetUploadId()); part != "" {
			t.Errorf("the deduplicated upload's part file is left: %s", part)
		}
		f := bb.fetch(bb.fileURL(n.GetId()), c)
		if f.status != 200 || f.hash != hash || f.diffAt != -1 {
			t.Fatalf("download: %d, hash %s, first difference at %d", f.status, f.hash, f.diffAt)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		aa := a.with(t)
		for _, h := range []string{strings.ToUpper(hash), hash[:63], "not-a-hash", hash + "0"} {
			aa.c.fail(aa.post(uploadInit, map[string]any{"name": "x", "size": "10", "content_hash": h}), 400, "VALIDATION_FAILED")
		}
		s := aa.initHashless("", "twice.bin", 10)
		// No resume without a hash: another init is another upload.
		if s2 := aa.initHashless("", "twice.bin", 10); s2.GetUploadId() == s.GetUploadId() {
			t.Errorf("a hashless init resumed another hashless upload")
		}
		// Nothing to prove: not a refused proof.
		e := aa.c.fail(aa.post(uploadProve, map[string]string{"upload_id": s.GetUploadId(), "proof": hash}), 400, "VALIDATION_FAILED")
		if e.Metadata["field"] != "upload_id" {
			t.Errorf("prove of a hashless upload: metadata %v", e.Metadata)
		}
		// The client's hash at complete differs (the file changed while it
		// was read): nothing is stored, the chunks are dropped.
		one := content{seed: 103, size: 1000}
		s3 := aa.initHashless("", "changed.bin", one.size)
		if r := aa.putChunk(s3.GetUploadId(), 0, one.bytes(0, one.size)); r.status != 204 {
			t.Fatalf("chunk: %s", r)
		}
		aa.c.fail(aa.post(uploadComplete, map[string]string{"upload_id": s3.GetUploadId(), "content_hash": strings.ToUpper(hash)}), 400, "VALIDATION_FAILED")
		aa.c.fail(aa.post(uploadComplete, map[string]string{"upload_id": s3.GetUploadId(), "content_hash": hash}), 422, "HASH_MISMATCH")
		if st := aa.status(s3.GetUploadId()); len(st.GetUploadedChunks()) != 0 {
			t.Errorf("chunks held after a refused complete: %v", st.GetUploadedChunks())
		}
		if aa.listed("", "changed.bin") {
			t.Errorf("a refused complete made a file")
		}
		// Another user's hashless upload is not theirs to send to, complete or abort.
		bb := b.with(t)
		bb.c.fail(bb.putChunk(s.GetUploadId(), 0, make([]byte, 10)), 404, "UPLOAD_NOT_FOUND")
		bb.c.fail(bb.post(uploadComplete, map[string]string{"upload_id": s.GetUploadId()}), 404, "UPLOAD_NOT_FOUND")
		bb.c.fail(bb.post(uploadAbort, map[string]string{"upload_id": s.GetUploadId()}), 404, "UPLOAD_NOT_FOUND")
		// Quota and names as ever: a name taken with on_conflict "fail".
		aa.c.fail(aa.post(uploadInit, map[string]any{"name": "http.bin", "size": "10", "on_conflict": "fail"}), 409, "NAME_CONFLICT")
		aa.c.ok(aa.post(uploadAbort, map[string]string{"upload_id": s.GetUploadId()}), nil)
		if part := partFile(t, srv.dataDir, s.GetUploadId()); part != "" {
			t.Errorf("the aborted upload's part file is left: %s", part)
		}
	})
}

// initHashless starts an upload without a content hash.
func (u *storeUser) initHashless(parent, name string, size int64) *sv1.UploadSession {
	u.t.Helper()
	var s sv1.UploadSession
	u.c.ok(u.post(uploadInit, map[string]any{"parent_id": parent, "name": name, "size": strconv.FormatInt(size, 10)}), &s)
	if s.GetUploadId() == "" || s.GetChallenge() != nil || s.GetContentHash() != "" {
		u.t.Fatalf("hashless init of %q: %v", name, &s)
	}
	return &s
}

// blobFiles counts the blob files of the binary's local store.
func blobFiles(t *testing.T, dataDir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dataDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(filepath.ToSlash(p), "/blobs/blobs/") {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// partFile is the local store's part file of upload id, "" when none.
func partFile(t *testing.T, dataDir, id string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dataDir, "blobs", "uploads", id+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(strings.Join(m, ","))
}
