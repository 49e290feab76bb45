package cli_test

// The end-to-end test of the drive command: the standalone binary is built
// and started on free ports with a fresh data folder, two users register
// over HTTP, and the command's Go entry point (cli.App.Run) is driven with
// argument lists, as a person would type them.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"clouddrive/app/cli/internal/cli"
	"clouddrive/app/cli/internal/client"
	"clouddrive/app/cli/internal/transfer"
)

// ---------------------------------------------------------------------------
// The server.

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// standalone builds app/standalone/cmd/clouddrive once per test process.
func standalone(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %v", err)
			return
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			buildErr = fmt.Errorf("not inside a Go module")
			return
		}
		dir, err := os.MkdirTemp("", "drive-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildBin = filepath.Join(dir, "clouddrive")
		cmd := exec.Command("go", "build", "-o", buildBin, "./app/standalone/cmd/clouddrive")
		cmd.Dir = filepath.Dir(gomod)
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./app/standalone/cmd/clouddrive: %v\n%s", err, b)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildBin != "" {
		_ = os.RemoveAll(filepath.Dir(buildBin))
	}
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type server struct {
	httpAddr, grpcAddr string
	dataDir, logPath   string
	// cluster: the running `make cluster` (CLOUDDRIVE_E2E_CLUSTER), not the
	// test's own binary.
	cluster bool

	cmd  *exec.Cmd
	done chan struct{}
	logf *os.File
}

// startServer runs the binary on a fresh data folder and free ports until
// the test ends; a port taken between probe and bind is retried.
func startServer(t *testing.T) *server {
	t.Helper()
	if s := clusterServer(t); s != nil {
		return s
	}
	root := t.TempDir()
	for attempt := 1; attempt <= 3; attempt++ {
		s := &server{httpAddr: freeAddr(t), grpcAddr: freeAddr(t),
			dataDir: filepath.Join(root, fmt.Sprintf("data%d", attempt)),
			logPath: filepath.Join(root, fmt.Sprintf("service%d.log", attempt))}
		if s.httpAddr == s.grpcAddr {
			continue
		}
		if s.start(t) {
			t.Cleanup(func() {
				s.kill()
				if t.Failed() {
					b, _ := os.ReadFile(s.logPath)
					t.Logf("service log, last lines:\n%s", tail(string(b), 40))
				}
			})
			return s
		}
		s.kill()
	}
	t.Fatal("the standalone binary did not start")
	return nil
}

// start runs the binary on s's folder and ports and waits until it is healthy.
func (s *server) start(t *testing.T) bool {
	t.Helper()
	bin := standalone(t)
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	s.logf = logf
	s.cmd = exec.Command(bin, "-data", s.dataDir, "-http", s.httpAddr, "-grpc", s.grpcAddr)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(s.cmd, s.done)
	return waitHealthy(s, s.done)
}

// kill stops the process at once (SIGKILL), as a crash would.
func (s *server) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	_ = s.logf.Close()
	s.cmd = nil
}

func waitHealthy(s *server, done <-chan struct{}) bool {
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		select {
		case <-done:
			return false
		default:
		}
		if resp, err := hc.Get("http://" + s.httpAddr + "/healthz"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// register creates an account over HTTP.
func (s *server) register(t *testing.T, name string) *user {
	t.Helper()
	if s.cluster {
		name += randHex(t, 3) // the cluster keeps the accounts of earlier runs
	}
	u := &user{name: name, password: "Pw-" + randHex(t, 8) + "-x9", creds: filepath.Join(t.TempDir(), "config", "clouddrive", "credentials.json")}
	body, _ := json.Marshal(map[string]string{"username": name, "password": u.password})
	resp, err := http.Post("http://"+s.httpAddr+"/v1/user/register", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("register %s: %d %s", name, resp.StatusCode, b)
	}
	return u
}

func randHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", b)
}

// ---------------------------------------------------------------------------
// Running the command.

type user struct {
	name, password string
	creds          string // the credentials file
}

type result struct {
	code     int
	out, err string
	stats    *transfer.Stats
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
}

// drive runs one command line as u. setup may adjust the App (hooks, env,
// terminal) and returns the context to run with (nil: background).
func (s *server) drive(t *testing.T, u *user, setup func(a *cli.App) context.Context, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{}
	a := &cli.App{
		Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""),
		Getenv:          func(k string) string { return env[k] },
		CredentialsPath: u.creds,
		Stats:           &transfer.Stats{},
		Backoff:         50 * time.Millisecond,
	}
	env["DRIVE_SERVER"] = s.grpcAddr
	ctx := context.Background()
	if setup != nil {
		if c := setup(a); c != nil {
			ctx = c
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	code := a.Run(ctx, args)
	return result{code: code, out: out.String(), err: errb.String(), stats: a.Stats}
}

// ok runs a command that must succeed.
func (s *server) ok(t *testing.T, u *user, args ...string) result {
	t.Helper()
	r := s.drive(t, u, nil, args...)
	if r.code != 0 {
		t.Fatalf("drive %s: %s", strings.Join(args, " "), r)
	}
	return r
}

func writeRandom(t *testing.T, path string, size int) []byte {
	t.Helper()
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

func sameFile(t *testing.T, got, want string) {
	t.Helper()
	a, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("%s (%d bytes) differs from %s (%d bytes)", got, len(a), want, len(b))
	}
}

func lines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

var resumedNote = regexp.MustCompile(`resumed: (\d+) of (\d+) (chunks|ranges) were there`)

// resumed reads "resumed: X of Y chunks were there" from a transfer's line.
func resumed(t *testing.T, r result) (held, total int64) {
	t.Helper()
	m := resumedNote.FindStringSubmatch(r.out)
	if m == nil {
		t.Fatalf("no resume note in the output: %s", r)
	}
	held, _ = strconv.ParseInt(m[1], 10, 64)
	total, _ = strconv.ParseInt(m[2], 10, 64)
	return held, total
}

// ---------------------------------------------------------------------------

const bigSize = 30_000_000 // 30 MB: several chunks and ranges

func TestDrive(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: builds and runs the standalone binary")
	}
	s := startServer(t)
	alice, bob := s.register(t, "alice"), s.register(t, "bob")
	local := t.TempDir()

	t.Run("login", func(t *testing.T) {
		r := s.drive(t, alice, nil, "login", "-u", alice.name, "-p", "wrong-password")
		if r.code != cli.ExitError || !strings.Contains(r.err, "drive login:") {
			t.Fatalf("a wrong password: %s", r)
		}
		if _, err := os.Stat(alice.creds); !os.IsNotExist(err) {
			t.Fatalf("credentials saved after a failed login: %v", err)
		}
		// Not logged in yet.
		if r := s.drive(t, alice, nil, "ls"); r.code != cli.ExitError || !strings.Contains(r.err, "not logged in") {
			t.Fatalf("ls before login: %s", r)
		}
		// No password and no terminal.
		if r := s.drive(t, alice, nil, "login", "-u", alice.name); r.code != cli.ExitUsage || !strings.Contains(r.err, "no password") {
			t.Fatalf("login without a password: %s", r)
		}
		r = s.ok(t, alice, "login", "-u", alice.name, "-p", alice.password)
		if !strings.Contains(r.out, "logged in as "+alice.name+" on "+s.grpcAddr) {
			t.Errorf("login said %q", r.out)
		}
		fi, err := os.Stat(alice.creds)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("credentials mode %v, want 0600", fi.Mode().Perm())
		}
		b, _ := os.ReadFile(alice.creds)
		if bytes.Contains(b, []byte(alice.password)) {
			t.Error("the password was saved")
		}
		// bob's password comes from the environment.
		r = s.drive(t, bob, func(a *cli.App) context.Context {
			get := a.Getenv
			a.Getenv = func(k string) string {
				if k == "DRIVE_PASSWORD" {
					return bob.password
				}
				return get(k)
			}
			return nil
		}, "login", "-u", bob.name)
		if r.code != 0 {
			t.Fatalf("login with DRIVE_PASSWORD: %s", r)
		}
		if r := s.ok(t, bob, "whoami"); !strings.HasPrefix(r.out, bob.name+" (id ") {
			t.Errorf("whoami: %q", r.out)
		}
	})

	// The local folder: a big random file, small files, an empty file and an
	// empty folder.
	src := filepath.Join(local, "src")
	writeRandom(t, filepath.Join(src, "big.bin"), bigSize)
	writeRandom(t, filepath.Join(src, "a.txt"), 1234)
	writeRandom(t, filepath.Join(src, "sub", "b.txt"), 10)
	writeRandom(t, filepath.Join(src, "empty.txt"), 0)
	if err := os.MkdirAll(filepath.Join(src, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}

	t.Run("mkdir", func(t *testing.T) {
		s.ok(t, alice, "mkdir", "-p", "/backup/2024/deep")
		s.ok(t, alice, "mkdir", "-p", "/backup/2024/deep") // exists: fine with -p
		if r := s.drive(t, alice, nil, "mkdir", "/backup/2024"); r.code != cli.ExitError || !strings.Contains(r.err, "NAME_CONFLICT") {
			t.Errorf("mkdir of an existing folder without -p: %s", r)
		}
		if r := s.drive(t, alice, nil, "mkdir", "/nope/x"); r.code != cli.ExitError || !strings.Contains(r.err, "no such") {
			t.Errorf("mkdir under a missing folder without -p: %s", r)
		}
		// Names match case-insensitively.
		if r := s.ok(t, alice, "ls", "/BACKUP/2024"); strings.TrimSpace(r.out) != "deep/" {
			t.Errorf("ls /BACKUP/2024: %q", r.out)
		}
	})

	t.Run("put folder", func(t *testing.T) {
		r := s.ok(t, alice, "put", "-j", "4", src, "/backup/2024")
		if r.stats.InstantFiles.Load() != 0 {
			t.Errorf("%d instant uploads of new content", r.stats.InstantFiles.Load())
		}
		if got, want := r.stats.BytesSent.Load(), int64(bigSize+1234+10); got != want {
			t.Errorf("bytes sent %d, want %d", got, want)
		}
		if r.stats.ChunksSent.Load() < 4 {
			t.Errorf("%d chunks sent, want the big file in several", r.stats.ChunksSent.Load())
		}
		for _, want := range []string{"put /backup/2024/src/big.bin", "put /backup/2024/src/sub/b.txt", "put /backup/2024/src/empty.txt", "4 file(s)"} {
			if !strings.Contains(r.out, want) {
				t.Errorf("put output lacks %q:\n%s", want, r.out)
			}
		}
		// A plain line per 10% of the big file, on stderr (not a terminal).
		if !strings.Contains(r.err, "sending 50%") || strings.Contains(r.err, "\r") {
			t.Errorf("plain progress expected on stderr:\n%s", r.err)
		}
	})

	t.Run("ls", func(t *testing.T) {
		r := s.ok(t, alice, "ls", "/backup/2024/src")
		got := strings.Join(lines(r.out), ",")
		if got != "emptydir/,sub/,a.txt,big.bin,empty.txt" {
			t.Errorf("ls: %s", got)
		}
		r = s.ok(t, alice, "ls", "-l", "/backup/2024/src/big.bin")
		if f := strings.Fields(r.out); len(f) < 5 || f[0] != "-" || f[1] != strconv.Itoa(bigSize) || f[4] != "big.bin" {
			t.Errorf("ls -l of a file: %q", r.out)
		}
		r = s.ok(t, alice, "ls", "-l", "/backup/2024/src")
		if !strings.Contains(r.out, "d            -") {
			t.Errorf("ls -l shows folders with d: %q", r.out)
		}
		if r := s.drive(t, alice, nil, "ls", "/backup/none"); r.code != cli.ExitError || !strings.Contains(r.err, "no such file or folder") {
			t.Errorf("ls of a missing path: %s", r)
		}
	})

	t.Run("get folder", func(t *testing.T) {
		out := filepath.Join(local, "out")
		r := s.ok(t, alice, "get", "-j", "4", "/backup/2024/src", out)
		for _, f := range []string{"big.bin", "a.txt", "sub/b.txt", "empty.txt"} {
			sameFile(t, filepath.Join(out, f), filepath.Join(src, f))
		}
		if fi, err := os.Stat(filepath.Join(out, "emptydir")); err != nil || !fi.IsDir() {
			t.Errorf("the empty folder did not come back: %v", err)
		}
		if got := r.stats.BytesReceived.Load(); got != bigSize+1234+10 {
			t.Errorf("received %d bytes", got)
		}
		if m, _ := filepath.Glob(filepath.Join(out, "*.part*")); len(m) > 0 {
			t.Errorf("partial files left: %v", m)
		}
		// An existing file is kept unless -f.
		r = s.drive(t, alice, nil, "get", "/backup/2024/src/a.txt", filepath.Join(out, "a.txt"))
		if r.code != cli.ExitError || !strings.Contains(r.err, "exists") {
			t.Errorf("get over an existing file: %s", r)
		}
		s.ok(t, alice, "get", "-f", "/backup/2024/src/a.txt", filepath.Join(out, "a.txt"))
		// Into an existing folder, by its name.
		s.ok(t, alice, "get", "/backup/2024/src/sub/b.txt", out)
		sameFile(t, filepath.Join(out, "b.txt"), filepath.Join(src, "sub", "b.txt"))
	})

	t.Run("put again", func(t *testing.T) {
		r := s.ok(t, alice, "put", src, "/backup/2024")
		if r.stats.BytesSent.Load() != 0 || r.stats.ChunksSent.Load() != 0 {
			t.Errorf("putting the same folder again sent %d bytes", r.stats.BytesSent.Load())
		}
		if !strings.Contains(r.out, "4 already there") {
			t.Errorf("put again: %s", r)
		}
		// -rename keeps both: this one is instant (alice holds the content).
		r = s.ok(t, alice, "put", "-rename", filepath.Join(src, "a.txt"), "/backup/2024/src")
		if r.stats.InstantFiles.Load() != 1 || r.stats.ChunksSent.Load() != 0 {
			t.Errorf("put -rename of stored content: %s", r)
		}
		if r := s.ok(t, alice, "ls", "/backup/2024/src"); !strings.Contains(r.out, "a (1).txt") {
			t.Errorf("no renamed copy: %s", r.out)
		}
	})

	t.Run("instant upload by another user", func(t *testing.T) {
		// A big file goes up at once, hashed meanwhile; the hooks make the
		// hash known only after a chunk went, and the sending wait for the
		// hash, so the run starts sending and then stops early by instant
		// upload (not a race that sending could win).
		firstChunk, hashUsed := make(chan struct{}), make(chan struct{})
		var once sync.Once
		r := s.drive(t, bob, func(a *cli.App) context.Context {
			a.Hooks.AfterChunk = func(int64) {
				once.Do(func() { close(firstChunk) })
				<-hashUsed
			}
			a.Hooks.Hashed = func() {
				<-firstChunk
				close(hashUsed)
			}
			return nil
		}, "put", "-j", "1", filepath.Join(src, "big.bin"), "/inbox")
		if r.code != 0 {
			t.Fatalf("put: %s", r)
		}
		if r.stats.InstantFiles.Load() != 1 {
			t.Errorf("not instant: %s", r)
		}
		if r.stats.ChunksSent.Load() < 1 {
			t.Errorf("nothing was sent before the hash was known: %d chunks", r.stats.ChunksSent.Load())
		}
		if !strings.Contains(r.out, "(instant)") {
			t.Errorf("output: %s", r.out)
		}
		// Neither the hashless upload that was sending nor the one the proof
		// completed is left open on the server (its part file is the sign).
		if !s.cluster {
			if m, _ := filepath.Glob(filepath.Join(s.dataDir, "blobs", "uploads", "*")); len(m) != 0 {
				t.Errorf("uploads left on the server after an instant put: %v", m)
			}
		}
		// Nor a record to resume from.
		if m, _ := filepath.Glob(filepath.Join(filepath.Dir(bob.creds), "uploads", "*")); len(m) != 0 {
			t.Errorf("resume records left after an instant put: %v", m)
		}
		// A file hashed first (small) is instant without sending anything.
		r = s.ok(t, bob, "put", filepath.Join(src, "a.txt"), "/inbox")
		if r.stats.InstantFiles.Load() != 1 || r.stats.ChunksSent.Load() != 0 || r.stats.BytesSent.Load() != 0 {
			t.Errorf("instant put of a small stored file: %s", r)
		}
		got := filepath.Join(local, "bob-big.bin")
		s.ok(t, bob, "get", "/inbox/big.bin", got)
		sameFile(t, got, filepath.Join(src, "big.bin"))
		// bob sees his files only.
		if r := s.ok(t, bob, "ls"); strings.TrimSpace(r.out) != "inbox/" {
			t.Errorf("bob's root: %q", r.out)
		}
	})

	t.Run("interrupted put resumes", func(t *testing.T) {
		file := filepath.Join(local, "second.bin")
		writeRandom(t, file, bigSize)
		var acked atomic.Int64
		r := s.drive(t, alice, func(a *cli.App) context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			a.Hooks.AfterChunk = func(int64) {
				if acked.Add(1) == 1 {
					cancel()
				}
			}
			return ctx
		}, "put", "-j", "2", file, "/backup")
		if r.code != cli.ExitError || !strings.Contains(r.err, "interrupted") || !strings.Contains(r.err, "resume") {
			t.Fatalf("interrupted put: %s", r)
		}
		first := r.stats.ChunksSent.Load()
		if first < 1 {
			t.Fatalf("no chunk acknowledged before the interruption")
		}
		// No partial file is listed.
		if r := s.ok(t, alice, "ls", "/backup"); strings.Contains(r.out, "second.bin") {
			t.Fatalf("a partial upload is listed: %s", r.out)
		}
		r = s.ok(t, alice, "put", "-j", "2", file, "/backup")
		held, total := resumed(t, r)
		t.Logf("interrupted after %d acknowledged chunk(s); the resume found %d of %d held and sent %d", first, held, total, r.stats.ChunksSent.Load())
		if held < first || held >= total {
			t.Errorf("resume found %d of %d chunks held; %d were acknowledged before", held, total, first)
		}
		if got := r.stats.ChunksSent.Load(); got != total-held {
			t.Errorf("the resumed put sent %d chunks, want only the %d missing", got, total-held)
		}
		if r.stats.InstantFiles.Load() != 0 {
			t.Errorf("new content uploaded instantly")
		}
		got := filepath.Join(local, "second-back.bin")
		s.ok(t, alice, "get", "/backup/second.bin", got)
		sameFile(t, got, file)
	})

	t.Run("a file changed while it goes up is not stored", func(t *testing.T) {
		file := filepath.Join(local, "changing.bin")
		writeRandom(t, file, bigSize)
		// The hash is taken of the file as it was; then, before the last
		// chunk goes, its last byte changes.
		firstChunk, changed := make(chan struct{}), make(chan struct{})
		var once sync.Once
		r := s.drive(t, alice, func(a *cli.App) context.Context {
			a.Hooks.AfterChunk = func(int64) {
				once.Do(func() { close(firstChunk) })
				<-changed
			}
			a.Hooks.Hashed = func() {
				<-firstChunk
				f, err := os.OpenFile(file, os.O_WRONLY, 0)
				if err == nil {
					_, err = f.WriteAt([]byte{'!'}, bigSize-1)
					f.Close()
				}
				if err != nil {
					t.Error(err)
				}
				close(changed)
			}
			return nil
		}, "put", "-j", "1", file, "/backup")
		if r.code != cli.ExitError || !strings.Contains(r.err, "changed while it was being read") {
			t.Fatalf("put of a file that changed: %s\n%s", r, r.err)
		}
		if r := s.ok(t, alice, "ls", "/backup"); strings.Contains(r.out, "changing.bin") {
			t.Errorf("a file that changed while it went up was stored: %s", r.out)
		}
		if m, _ := filepath.Glob(filepath.Join(filepath.Dir(alice.creds), "uploads", "*")); len(m) != 0 {
			t.Errorf("resume records left after a changed file: %v", m)
		}
		// Run again: the file as it is now goes up.
		s.ok(t, alice, "put", file, "/backup")
		back := filepath.Join(local, "changing-back.bin")
		s.ok(t, alice, "get", "/backup/changing.bin", back)
		sameFile(t, back, file)
	})

	t.Run("put resumes after a server crash", func(t *testing.T) {
		if s.cluster {
			t.Skip("against the cluster (CLOUDDRIVE_E2E_CLUSTER): kills and restarts the server, which is not the test's")
		}
		file := filepath.Join(local, "crash.bin")
		writeRandom(t, file, bigSize)
		var acked atomic.Int64
		r := s.drive(t, alice, func(a *cli.App) context.Context {
			a.Hooks.AfterChunk = func(int64) {
				if acked.Add(1) == 1 {
					s.kill() // kill -9 in the middle of the upload
				}
			}
			return nil
		}, "put", "-j", "1", file, "/crash")
		if r.code != cli.ExitError || !strings.Contains(r.err, "unreachable") {
			t.Fatalf("put with the server gone: %s", r)
		}
		first := acked.Load()
		if !s.start(t) {
			t.Fatal("the server did not start again")
		}
		if r := s.ok(t, alice, "ls", "/crash"); strings.TrimSpace(r.out) != "" {
			t.Fatalf("a partial upload is listed after the crash: %q", r.out)
		}
		r = s.ok(t, alice, "put", "-j", "1", file, "/crash")
		held, total := resumed(t, r)
		t.Logf("crashed after %d acknowledged chunk(s); the resume found %d of %d held and sent %d", first, held, total, r.stats.ChunksSent.Load())
		if held < first || held >= total {
			t.Errorf("resume found %d of %d chunks held, want at least the %d acknowledged", held, total, first)
		}
		if got := r.stats.ChunksSent.Load(); got != total-held {
			t.Errorf("the resumed put sent %d chunks, want only the %d missing", got, total-held)
		}
		back := filepath.Join(local, "crash-back.bin")
		s.ok(t, alice, "get", "/crash/crash.bin", back)
		sameFile(t, back, file)
	})

	t.Run("interrupted get resumes", func(t *testing.T) {
		dst := filepath.Join(local, "resume", "big.bin")
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		var fetched atomic.Int64
		r := s.drive(t, alice, func(a *cli.App) context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			a.Hooks.AfterRange = func(int64) {
				if fetched.Add(1) == 1 {
					cancel()
				}
			}
			return ctx
		}, "get", "-j", "2", "/backup/2024/src/big.bin", dst)
		if r.code != cli.ExitError || !strings.Contains(r.err, "interrupted") {
			t.Fatalf("interrupted get: %s", r)
		}
		if _, err := os.Stat(dst); !os.IsNotExist(err) {
			t.Fatalf("the unfinished file is at its final name: %v", err)
		}
		fi, err := os.Stat(transfer.PartPath(dst))
		if err != nil || fi.Size() != bigSize {
			t.Fatalf("the part file (preallocated to %d): %v %v", bigSize, fi, err)
		}
		var st struct{ Done []int64 }
		b, err := os.ReadFile(transfer.StatePath(dst))
		if err != nil || json.Unmarshal(b, &st) != nil || len(st.Done) < 1 {
			t.Fatalf("the state file: %s %v", b, err)
		}
		r = s.ok(t, alice, "get", "-j", "2", "/backup/2024/src/big.bin", dst)
		held, total := resumed(t, r)
		t.Logf("interrupted with %d range(s) recorded; the resume found %d of %d and fetched %d", len(st.Done), held, total, r.stats.RangesFetched.Load())
		if held < int64(len(st.Done)) || held >= total {
			t.Errorf("resume found %d of %d ranges; the state listed %d", held, total, len(st.Done))
		}
		if got := r.stats.RangesFetched.Load(); got != total-held {
			t.Errorf("the resumed get fetched %d ranges, want the %d missing", got, total-held)
		}
		sameFile(t, dst, filepath.Join(src, "big.bin"))
		for _, p := range []string{transfer.PartPath(dst), transfer.StatePath(dst)} {
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("%s left behind", p)
			}
		}
	})

	t.Run("a corrupted part is caught", func(t *testing.T) {
		dst := filepath.Join(local, "corrupt", "big.bin")
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		var fetched atomic.Int64
		s.drive(t, alice, func(a *cli.App) context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			a.Hooks.AfterRange = func(int64) {
				if fetched.Add(1) == 1 {
					cancel()
				}
			}
			return ctx
		}, "get", "-j", "1", "/backup/2024/src/big.bin", dst)
		// Spoil the bytes of the range already recorded as done.
		f, err := os.OpenFile(transfer.PartPath(dst), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte("spoilt"), 100); err != nil {
			t.Fatal(err)
		}
		f.Close()
		r := s.drive(t, alice, nil, "get", "/backup/2024/src/big.bin", dst)
		if r.code != cli.ExitError || !strings.Contains(r.err, "content hash") {
			t.Fatalf("a spoilt part must fail the hash check: %s", r)
		}
		if _, err := os.Stat(dst); !os.IsNotExist(err) {
			t.Error("a corrupt download got its final name")
		}
		// Run again: starts over and succeeds.
		s.ok(t, alice, "get", "/backup/2024/src/big.bin", dst)
		sameFile(t, dst, filepath.Join(src, "big.bin"))
	})

	t.Run("progress bar on a terminal", func(t *testing.T) {
		file := filepath.Join(local, "tty.bin")
		writeRandom(t, file, 12<<20)
		r := s.drive(t, alice, func(a *cli.App) context.Context {
			a.IsTerminal = func(any) bool { return true }
			a.Hooks.AfterChunk = func(int64) { time.Sleep(250 * time.Millisecond) } // let it draw
			return nil
		}, "put", "-j", "1", file, "/tty")
		if r.code != 0 {
			t.Fatal(r)
		}
		if !strings.Contains(r.err, "\r") || !strings.Contains(r.err, "%") || !strings.Contains(r.err, "ETA") ||
			!strings.Contains(r.err, "/s") || !strings.Contains(r.err, "[") {
			t.Errorf("no bar drawn: %q", r.err)
		}
		if !strings.Contains(r.out, "put /tty/tty.bin") {
			t.Errorf("no final line: %q", r.out)
		}
	})

	t.Run("mv cp rm", func(t *testing.T) {
		s.ok(t, alice, "mkdir", "-p", "/work/docs")
		s.ok(t, alice, "put", filepath.Join(src, "a.txt"), filepath.Join(src, "sub", "b.txt"), "/work")
		// Rename in place.
		s.ok(t, alice, "mv", "/work/a.txt", "/work/A-renamed.txt")
		// Several into a folder.
		r := s.ok(t, alice, "mv", "/work/A-renamed.txt", "/work/b.txt", "/work/docs")
		if !strings.Contains(r.out, "/work/docs/A-renamed.txt") {
			t.Errorf("mv: %s", r.out)
		}
		// Into another folder under a new name.
		s.ok(t, alice, "mv", "/work/docs/b.txt", "/work/b2.txt")
		if got := strings.Join(lines(s.ok(t, alice, "ls", "/work").out), ","); got != "docs/,b2.txt" {
			t.Errorf("after mv: %s", got)
		}
		if got := strings.Join(lines(s.ok(t, alice, "ls", "/work/docs").out), ","); got != "A-renamed.txt" {
			t.Errorf("after mv into docs: %s", got)
		}
		// A folder into itself.
		if r := s.drive(t, alice, nil, "mv", "/work", "/work/docs"); r.code != cli.ExitError || !strings.Contains(r.err, "MOVE_INTO_SELF") {
			t.Errorf("mv into itself: %s", r)
		}
		// Onto an existing file.
		if r := s.drive(t, alice, nil, "mv", "/work/b2.txt", "/work/docs/A-renamed.txt"); r.code != cli.ExitError || !strings.Contains(r.err, "exists") {
			t.Errorf("mv onto a file: %s", r)
		}

		// cp: into a folder, to a new name, and a conflict.
		s.ok(t, alice, "cp", "/work/b2.txt", "/work/docs")
		s.ok(t, alice, "cp", "/work/docs", "/work/docs-copy")
		if r := s.drive(t, alice, nil, "cp", "/work/b2.txt", "/work/docs"); r.code != cli.ExitError || !strings.Contains(r.err, "NAME_CONFLICT") {
			t.Errorf("cp onto an existing name: %s", r)
		}
		s.ok(t, alice, "cp", "-rename", "/work/b2.txt", "/work/docs")
		if got := strings.Join(lines(s.ok(t, alice, "ls", "/work/docs").out), ","); got != "A-renamed.txt,b2 (1).txt,b2.txt" {
			t.Errorf("after cp: %s", got)
		}
		if got := strings.Join(lines(s.ok(t, alice, "ls", "/work/docs-copy").out), ","); got != "A-renamed.txt,b2.txt" {
			t.Errorf("the copied folder: %s", got)
		}
		back := filepath.Join(local, "copied-a.txt")
		s.ok(t, alice, "get", "/work/docs-copy/A-renamed.txt", back)
		sameFile(t, back, filepath.Join(src, "a.txt"))

		// rm: a folder needs -r; everything goes to the trash.
		if r := s.drive(t, alice, nil, "rm", "/work/docs"); r.code != cli.ExitError || !strings.Contains(r.err, "use -r") {
			t.Errorf("rm of a folder without -r: %s", r)
		}
		r = s.ok(t, alice, "rm", "-r", "/work/docs", "/work/b2.txt")
		if !strings.Contains(r.out, "to the trash") {
			t.Errorf("rm: %s", r.out)
		}
		if got := strings.TrimSpace(s.ok(t, alice, "ls", "/work").out); got != "docs-copy/" {
			t.Errorf("after rm: %q", got)
		}
		if r := s.drive(t, alice, nil, "rm", "/work/nothing"); r.code != cli.ExitError {
			t.Errorf("rm of a missing path: %s", r)
		}
		if r := s.drive(t, alice, nil, "rm", "-r", "/"); r.code != cli.ExitError || !strings.Contains(r.err, "root") {
			t.Errorf("rm of the root: %s", r)
		}
	})

	t.Run("refresh", func(t *testing.T) {
		st := client.Store{Path: alice.creds}
		c, err := st.Load()
		if err != nil {
			t.Fatal(err)
		}
		oldRefresh := c.RefreshToken
		// A refused access token is renewed on UNAUTHENTICATED.
		c.AccessToken, c.ExpiresAt = "not-a-token", time.Now().Add(time.Hour)
		if err := st.Save(c); err != nil {
			t.Fatal(err)
		}
		s.ok(t, alice, "ls", "/backup")
		c2, _ := st.Load()
		if c2.AccessToken == "not-a-token" || c2.RefreshToken == oldRefresh {
			t.Errorf("the credentials were not renewed: %+v", c2)
		}
		// Streams too: a put with a refused token.
		c2.AccessToken = "not-a-token"
		_ = st.Save(c2)
		file := filepath.Join(local, "after-refresh.txt")
		writeRandom(t, file, 100)
		s.ok(t, alice, "put", file, "/backup")
		// An expired one is renewed before the call.
		c3, _ := st.Load()
		c3.ExpiresAt = time.Now().Add(-time.Minute)
		_ = st.Save(c3)
		s.ok(t, alice, "ls")
		if c4, _ := st.Load(); c4.AccessToken == c3.AccessToken || !c4.ExpiresAt.After(time.Now()) {
			t.Errorf("an expired token was not renewed ahead of the call")
		}
		// A revoked refresh token asks for a new login.
		c5, _ := st.Load()
		c5.AccessToken, c5.RefreshToken = "not-a-token", "not-a-refresh-token"
		_ = st.Save(c5)
		if r := s.drive(t, alice, nil, "ls"); r.code != cli.ExitError || !strings.Contains(r.err, "drive login") {
			t.Errorf("ls with a dead session: %s", r)
		}
		s.ok(t, alice, "login", "-u", alice.name, "-p", alice.password)
	})

	t.Run("other server", func(t *testing.T) {
		r := s.drive(t, alice, nil, "-server", "127.0.0.1:1", "ls")
		if r.code != cli.ExitError || !strings.Contains(r.err, "not logged in to 127.0.0.1:1") {
			t.Errorf("ls against another server: %s", r)
		}
	})

	t.Run("share", func(t *testing.T) {
		r := s.ok(t, alice, "share", "-gen-code", "-expires", "1h", "-max-downloads", "2", "/backup")
		m := regexp.MustCompile(`link: /s/(\S+)\ncode: (\S{4})\nexpires: `).FindStringSubmatch(r.out)
		if m == nil {
			t.Fatalf("share printed %q", r.out)
		}
		// The link opens with its code (the share service's public API).
		body, _ := json.Marshal(map[string]string{"token": m[1], "code": m[2]})
		resp, err := http.Post("http://"+s.httpAddr+"/v1/share/open", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("opening the share: %s", resp.Status)
		}
		if r := s.drive(t, alice, nil, "share", "/"); r.code != cli.ExitUsage {
			t.Errorf("sharing the root: %s", r)
		}
		if r := s.drive(t, alice, nil, "share", "/nope"); r.code != cli.ExitError {
			t.Errorf("sharing a missing path: %s", r)
		}
	})

	t.Run("logout", func(t *testing.T) {
		s.ok(t, bob, "logout")
		if _, err := os.Stat(bob.creds); !os.IsNotExist(err) {
			t.Errorf("credentials kept after logout")
		}
		if r := s.drive(t, bob, nil, "ls"); r.code != cli.ExitError || !strings.Contains(r.err, "not logged in") {
			t.Errorf("ls after logout: %s", r)
		}
	})
}
