package data

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/storage/internal/biz"
	"clouddrive/app/storage/internal/conf"
)

// minioServer is a MinIO server started for a test.
type minioServer struct {
	Endpoint, AccessKey, SecretKey string
}

// startMinIO starts a MinIO server (tools/scripts/minio.sh) on a free port
// with its data in a temporary folder, stopped when the test ends. It needs
// the server binary built already (`make minio`, which CI runs through
// `make test`); under -short the test is skipped.
func startMinIO(t *testing.T) *minioServer {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a MinIO server; not under -short")
	}
	script := filepath.Join(s3RepoRoot(t), "tools", "scripts", "minio.sh")
	out, err := exec.Command("bash", script, "path").Output()
	if err != nil {
		t.Fatalf("%s path: %v", script, err)
	}
	bin := strings.TrimSpace(string(out))
	if st, err := os.Stat(bin); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		t.Fatalf("no MinIO server binary at %s: build it with `make minio` or `bash tools/scripts/minio.sh install` "+
			"(go install github.com/minio/minio, ~7 min, cached outside the repository), or run the tests with -short", bin)
	}
	srv := &minioServer{AccessKey: "clouddrive-test", SecretKey: "clouddrive-test-secret"}
	dir := t.TempDir()
	env := append(os.Environ(), "MINIO_ROOT_USER="+srv.AccessKey, "MINIO_ROOT_PASSWORD="+srv.SecretKey,
		"MINIO_WATCH_PID="+strconv.Itoa(os.Getpid()))
	var lastErr error
	for try := 0; try < 3; try++ { // the free port may be taken meanwhile
		cmd := exec.Command("bash", script, "start", dir, strconv.Itoa(s3FreePort(t)))
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err == nil {
			srv.Endpoint = strings.TrimSpace(string(out))
			t.Cleanup(func() {
				if out, err := exec.Command("bash", script, "stop", dir).CombinedOutput(); err != nil {
					t.Errorf("stopping MinIO: %v\n%s", err, out)
				}
			})
			return srv
		}
		lastErr = fmt.Errorf("%v\n%s", err, stderr.String())
	}
	t.Fatalf("starting MinIO with %s: %v", script, lastErr)
	return nil
}

func s3RepoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

func s3FreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var s3Buckets atomic.Int64

// newS3Store opens a store on a bucket of its own (made by NewS3Store).
func newS3Store(t *testing.T, srv *minioServer) *S3Store {
	t.Helper()
	bucket := fmt.Sprintf("test-%d-%d", time.Now().UnixNano()%1e9, s3Buckets.Add(1))
	s, err := NewS3Store(&conf.Backend_S3{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		Bucket: bucket, Region: "us-east-1"})
	if err != nil {
		t.Fatalf("NewS3Store: %v", err)
	}
	return s
}

func TestS3StoreSuite_MinIO(t *testing.T) {
	srv := startMinIO(t)
	runStoreSuite(t, func(t *testing.T) biz.BlobStore { return newS3Store(t, srv) })
}

// TestS3Store_MinIO covers what is S3's own: the factory, an existing
// bucket, a completion retried after its answer was lost, and the ETag
// check that keeps unchecked bytes from being published.
func TestS3Store_MinIO(t *testing.T) {
	srv := startMinIO(t)
	ctx := context.Background()

	t.Run("FactoryAndExistingBucket", func(t *testing.T) {
		cfg := &conf.Backend{Kind: "s3", S3: &conf.Backend_S3{Endpoint: "http://" + srv.Endpoint,
			AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Bucket: "factory"}}
		for i := 0; i < 2; i++ { // makes the bucket, then finds it
			s, err := NewBlobStore(cfg)
			if err != nil {
				t.Fatalf("NewBlobStore(s3), try %d: %v", i, err)
			}
			if _, ok := s.(*S3Store); !ok {
				t.Fatalf("NewBlobStore(s3) = %T", s)
			}
		}
		bad := &conf.Backend_S3{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: "wrong", Bucket: "factory"}
		if _, err := NewS3Store(bad); err == nil {
			t.Fatal("NewS3Store with a wrong secret key succeeded")
		}
	})

	t.Run("PublishIsIdempotent", func(t *testing.T) {
		s := newS3Store(t, srv)
		data := suiteRandom(t, suiteChunk+99)
		u := suiteUpload(data)
		suiteBegin(t, s, u)
		chunks := suiteWrite(t, s, u, data, suiteIndexes(u), true)
		suitePublish(t, s, u, chunks)
		suitePublish(t, s, u, chunks) // the first answer was lost
		suiteDiscard(t, s, u)         // and the upload is gone
		suiteCheck(t, s, u.ContentHash, data)
	})

	t.Run("PublishRefusesAPartRewrittenSinceItWasChecked", func(t *testing.T) {
		s := newS3Store(t, srv)
		data := suiteRandom(t, 2*suiteChunk+1)
		u := suiteUpload(data)
		suiteBegin(t, s, u)
		chunks := suiteWrite(t, s, u, data, suiteIndexes(u), false)
		// Part 2 is overwritten with other bytes after biz recorded it.
		other := suiteRandom(t, suiteChunk)
		if _, err := s.WriteChunk(ctx, u, 1, bytes.NewReader(other), suiteChunk); err != nil {
			t.Fatal(err)
		}
		if err := s.Publish(ctx, u, chunks); err == nil {
			t.Fatal("Publish completed with a part whose ETag is not the recorded one")
		}
		if rs, err := s.Open(ctx, u.ContentHash, u.Size); !errors.Is(err, biz.ErrNotFound) {
			if rs != nil {
				rs.Close()
			}
			t.Fatalf("Open after a refused Publish = %v; want biz.ErrNotFound", err)
		}
		suiteDiscard(t, s, u)
	})
}

// s3FakeFileService is an in-memory biz.FileService: every create is
// allowed and makes a node.
type s3FakeFileService struct {
	mu    sync.Mutex
	next  int64
	nodes map[int64]*biz.FileNode
	owner map[int64]int64
}

func newS3FakeFileService() *s3FakeFileService {
	return &s3FakeFileService{nodes: map[int64]*biz.FileNode{}, owner: map[int64]int64{}}
}

func (f *s3FakeFileService) CheckCreate(context.Context, biz.NewFile) error { return nil }

func (f *s3FakeFileService) CreateFile(_ context.Context, n biz.NewFile) (*biz.FileNode, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	now := time.Now().UTC()
	node := &biz.FileNode{ID: f.next, ParentID: n.Parent, Name: n.Name, Size: n.Size, ContentHash: n.ContentHash,
		Mime: n.Mime, CreatedAt: now, UpdatedAt: now, Version: 1}
	f.nodes[node.ID], f.owner[node.ID] = node, n.Owner
	return node, nil
}

func (f *s3FakeFileService) GetFile(_ context.Context, owner, id int64) (*biz.FileNode, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n, ok := f.nodes[id]; ok && f.owner[id] == owner {
		return n, nil
	}
	return nil, biz.ErrNotFound
}

func (f *s3FakeFileService) Walk(context.Context, int64, []int64, int) ([]biz.WalkEntry, bool, error) {
	return nil, false, errors.New("not used")
}

func (f *s3FakeFileService) ReferencedHashes(_ context.Context, hashes []string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, h := range hashes {
		for _, n := range f.nodes {
			if n.ContentHash == h {
				out = append(out, h)
				break
			}
		}
	}
	return out, nil
}

// TestUploadUsecase_MinIO_FakeFileService runs the upload protocol end to
// end on the real use cases, the SQLite repos and S3Store on MinIO: a 50 MB
// file in parallel chunks, read back whole, then the same content for a
// second user by proof of possession, without a chunk.
func TestUploadUsecase_MinIO_FakeFileService(t *testing.T) {
	srv := startMinIO(t)
	ctx := context.Background()
	d, cleanup, err := NewData(&confv1.Data{Database: &confv1.Data_Database{Driver: "sqlite",
		Source: filepath.Join(t.TempDir(), "storage.db")}}, log.DefaultLogger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	store := newS3Store(t, srv)
	files := newS3FakeFileService()
	policy := &biz.Policy{ChunkSize: suiteChunk, MaxFileSize: 1 << 40, UploadTTL: time.Hour, ProveAttempts: 3,
		URLTTL: time.Minute, ZipMaxBytes: 1 << 30, ZipMaxEntries: 100, BlobGrace: time.Hour}
	logger := log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelWarn))
	uploads := biz.NewUploadUsecase(NewUploadRepo(d), NewChunkIndex(d), NewBlobRepo(d), store, files, policy, biz.NewClock(), logger)
	downloads := biz.NewDownloadUsecase(files, NewBlobRepo(d), store, nil, policy, biz.NewClock(), logger)

	data := suiteRandom(t, 50_000_000)
	hash := biz.HashBytes(data)
	const alice, bob = 1, 2

	start := time.Now()
	sess, err := uploads.Init(ctx, biz.NewFile{Owner: alice, Parent: 10, Name: "big.bin", ContentHash: hash,
		Size: int64(len(data)), Mime: "application/octet-stream"})
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	u := sess.Upload
	l := u.Layout()
	if u.ChunkSize != suiteChunk || l.Count() != 6 || len(sess.Held) != 0 {
		t.Fatalf("session: chunk size %d, %d chunks, %d held", u.ChunkSize, l.Count(), len(sess.Held))
	}
	// Four senders take the chunks from a queue, last chunk first.
	queue := make(chan int64, l.Count())
	for i := l.Count() - 1; i >= 0; i-- {
		queue <- i
	}
	close(queue)
	var wg sync.WaitGroup
	errs := make(chan error, l.Count())
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				off, n := l.Offset(i), l.Len(i)
				sum := sha256.Sum256(data[off : off+n])
				if err := uploads.PutChunk(ctx, alice, u.ID, i, bytes.NewReader(data[off:off+n]), sum[:]); err != nil {
					errs <- fmt.Errorf("chunk %d: %w", i, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("PutChunk: %v", err)
	}
	if st, err := uploads.Status(ctx, alice, u.ID); err != nil || int64(len(st.Held)) != l.Count() {
		t.Fatalf("Status: %v, holds %v", err, st)
	}
	node, err := uploads.Complete(ctx, alice, u.ID)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	t.Logf("50 MB upload in %d parallel chunks: %v", l.Count(), time.Since(start).Round(time.Millisecond))
	if node.ContentHash != hash || node.Size != int64(len(data)) {
		t.Fatalf("node %+v", node)
	}
	if again, err := uploads.Complete(ctx, alice, u.ID); err != nil || again.ID != node.ID {
		t.Fatalf("Complete again = %+v, %v; want node %d", again, err, node.ID)
	}
	s3CheckDownload(t, downloads, alice, node.ID, data)

	// Bob has the same file: init, then prove possession instead of sending it.
	start = time.Now()
	sess, err = uploads.Init(ctx, biz.NewFile{Owner: bob, Parent: 20, Name: "copy.bin", ContentHash: hash,
		Size: int64(len(data))})
	if err != nil {
		t.Fatalf("Init (bob): %v", err)
	}
	bu := sess.Upload
	if _, err := uploads.Prove(ctx, bob, bu.ID, strings.Repeat("00", 32)); err == nil {
		t.Fatal("Prove with a wrong proof succeeded")
	}
	proof, err := biz.Proof(bytes.NewReader(data), bu.Nonce, sess.Challenge)
	if err != nil {
		t.Fatal(err)
	}
	bobNode, err := uploads.Prove(ctx, bob, bu.ID, hex.EncodeToString(proof))
	if err != nil {
		t.Fatalf("Prove: %v", err)
	}
	t.Logf("instant upload by proof: %v", time.Since(start).Round(time.Millisecond))
	if bobNode.ID == node.ID || bobNode.ContentHash != hash {
		t.Fatalf("bob's node %+v", bobNode)
	}
	s3CheckDownload(t, downloads, bob, bobNode.ID, data)
	// Alice's file is not Bob's.
	if _, err := downloads.Open(ctx, bob, node.ID); err == nil {
		t.Fatal("bob opened alice's node")
	}
}

func s3CheckDownload(t *testing.T, downloads *biz.DownloadUsecase, owner, id int64, want []byte) {
	t.Helper()
	o, err := downloads.Open(context.Background(), owner, id)
	if err != nil {
		t.Fatalf("DownloadUsecase.Open(%d, %d): %v", owner, id, err)
	}
	defer o.Body.Close()
	got, err := io.ReadAll(o.Body)
	if err != nil {
		t.Fatalf("reading the download: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("download of node %d: %d bytes, not byte-identical to the %d uploaded", id, len(got), len(want))
	}
}
