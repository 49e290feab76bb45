package storage_test

// A whole drive in this test process (the standalone assembly: every
// service, SQLite, local blobs, the shared gRPC server on a loopback port),
// and the accounts and uploads the stream tests play with: alice is the
// caller, bob the other user whose things must never change.

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	storagev1 "clouddrive/api/storage/v1"
	userv1 "clouddrive/api/user/v1"
	"clouddrive/app/standalone"
	"clouddrive/app/storage"
	"clouddrive/pkg/contenthash"
	"clouddrive/pkg/testkit"
)

type drive struct {
	conn    *grpc.ClientConn
	storage storagev1.StorageClient
	logs    *syncBuffer
	// alice's: an open upload of two chunks (the last one lastLen bytes),
	// a finished file. bob's: an open upload holding its first chunk, a file.
	aliceUpload, aliceFile string
	bobUpload, bobFile     string
	bobBytes               []byte
	aliceTok, bobTok       string
	chunkSize              int64
}

const (
	lastLen       = 10
	drivePassword = "Qz7-tundra-falcon-9"
)

var (
	driveOnce sync.Once
	theDrive  *drive
	driveErr  error
	driveDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if driveDir != "" {
		_ = os.RemoveAll(driveDir)
	}
	os.Exit(code)
}

// syncBuffer is the drive's log, read by the tests (no panic may be logged).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// theDriveFor starts the drive once per test process.
func theDriveFor(t testing.TB) *drive {
	t.Helper()
	driveOnce.Do(func() { theDrive, driveErr = startDrive(t) })
	if driveErr != nil {
		t.Fatal(driveErr)
	}
	return theDrive
}

func startDrive(t testing.TB) (*drive, error) {
	var err error
	if driveDir, err = os.MkdirTemp("", "clouddrive-streams-"); err != nil {
		return nil, err
	}
	httpAddr, grpcAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	logs := &syncBuffer{}
	go func() {
		err := standalone.Run(context.Background(), standalone.Options{DataDir: driveDir, HTTPAddr: httpAddr, GRPCAddr: grpcAddr,
			Logger: log.NewStdLogger(logs)})
		if err != nil {
			fmt.Fprintf(logs, "standalone.Run: %v\n", err)
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the drive did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	d := &drive{conn: conn, storage: storagev1.NewStorageClient(conn), logs: logs}
	users := userv1.NewUserClient(conn)
	ctx := context.Background()
	var toks []string
	for _, name := range []string{"root", "alice", "bob"} { // the first account is an admin
		if _, err := users.Register(ctx, &userv1.RegisterRequest{Username: name, Password: drivePassword}); err != nil {
			return nil, fmt.Errorf("register %s: %w", name, err)
		}
		r, err := users.Login(ctx, &userv1.LoginRequest{Username: name, Password: drivePassword})
		if err != nil {
			return nil, fmt.Errorf("login %s: %w", name, err)
		}
		toks = append(toks, r.GetAccessToken())
	}
	d.aliceTok, d.bobTok = toks[1], toks[2]
	alice, bob := d.as(ctx, d.aliceTok), d.as(ctx, d.bobTok)

	conf, err := storage.LoadConfig("") // the standalone keeps the default chunk size
	if err != nil {
		return nil, err
	}
	d.chunkSize = conf.GetUpload().GetChunkSize()
	big := randomBytes(t, int(d.chunkSize)+lastLen)
	if d.aliceUpload, err = d.initUpload(alice, "open.bin", big); err != nil {
		return nil, err
	}
	if d.aliceFile, _, err = d.upload(alice, "alice.txt"); err != nil {
		return nil, err
	}
	if d.bobFile, d.bobBytes, err = d.upload(bob, "bob.txt"); err != nil {
		return nil, err
	}
	bobBig := randomBytes(t, int(d.chunkSize)+lastLen)
	if d.bobUpload, err = d.initUpload(bob, "bob-open.bin", bobBig); err != nil {
		return nil, err
	}
	if _, err := d.sendChunks(bob, &storagev1.ChunkData{UploadId: d.bobUpload, Index: 1, Data: bobBig[d.chunkSize:]}); err != nil {
		return nil, fmt.Errorf("bob's chunk: %w", err)
	}
	return d, nil
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func (d *drive) as(ctx context.Context, tok string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

func (d *drive) initUpload(ctx context.Context, name string, data []byte) (string, error) {
	s, err := d.storage.InitUpload(ctx, &storagev1.InitUploadRequest{Name: name, Size: int64(len(data)), ContentHash: contenthash.HashBytes(data)})
	if err != nil {
		return "", fmt.Errorf("init %s: %w", name, err)
	}
	return s.GetUploadId(), nil
}

// upload stores a small file of fresh random bytes.
func (d *drive) upload(ctx context.Context, name string) (string, []byte, error) {
	data := []byte(name + ": " + rand.Text())
	id, err := d.initUpload(ctx, name, data)
	if err != nil {
		return "", nil, err
	}
	if _, err := d.sendChunks(ctx, &storagev1.ChunkData{UploadId: id, Index: 0, Data: data}); err != nil {
		return "", nil, fmt.Errorf("chunk of %s: %w", name, err)
	}
	n, err := d.storage.CompleteUpload(ctx, &storagev1.CompleteUploadRequest{UploadId: id})
	if err != nil {
		return "", nil, fmt.Errorf("complete %s: %w", name, err)
	}
	return n.GetId(), data, nil
}

// sendChunks runs one UploadChunks stream with msgs.
func (d *drive) sendChunks(ctx context.Context, msgs ...*storagev1.ChunkData) (*storagev1.UploadSession, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	s, err := d.storage.UploadChunks(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if err := s.Send(m); err != nil {
			break // the server ended the stream: CloseAndRecv says why
		}
	}
	return s.CloseAndRecv()
}

// download reads a whole Download stream.
func (d *drive) download(ctx context.Context, req *storagev1.DownloadRequest) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	s, err := d.storage.Download(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []byte
	for {
		m, err := s.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, m.GetData()...)
	}
}

// checkRefusal fails unless err is a refusal a client can act on: a reason,
// and never INTERNAL or UNKNOWN (bad input is the client's fault).
func checkRefusal(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if c := status.Code(err); c == codes.Unknown || c == codes.Internal || c == codes.DataLoss {
		t.Fatalf("%s: %v (gRPC %v): bad input must get a reason, not a server error", what, err, c)
	}
	if se := kerrors.FromError(err); se.Reason == "" {
		t.Fatalf("%s: %v has no reason", what, err)
	}
}

// checkBobUntouched fails when anything of bob's changed: his file's bytes,
// his open upload's held chunks.
func (d *drive) checkBobUntouched(t testing.TB) {
	t.Helper()
	bob := d.as(context.Background(), d.bobTok)
	got, err := d.download(bob, &storagev1.DownloadRequest{Id: d.bobFile})
	if err != nil || !bytes.Equal(got, d.bobBytes) {
		t.Fatalf("bob's file changed: %q, %v", got, err)
	}
	s, err := d.storage.UploadStatus(bob, &storagev1.UploadStatusRequest{UploadId: d.bobUpload})
	if err != nil {
		t.Fatalf("bob's upload: %v", err)
	}
	if held := s.GetUploadedChunks(); len(held) != 1 || held[0] != 1 {
		t.Fatalf("bob's upload holds chunks %v, want [1]", held)
	}
}

// checkNoPanic fails when the drive logged a recovered panic.
func (d *drive) checkNoPanic(t testing.TB) {
	t.Helper()
	if l := d.logs.String(); strings.Contains(l, "panic") {
		t.Fatalf("the drive logged a panic:\n%s", l)
	}
}
