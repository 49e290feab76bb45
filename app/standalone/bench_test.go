package standalone_test

// The drive's benchmark scenarios (docs/BENCHMARKS.md; `make bench` runs
// them and plots the results), after oCIS's published benchmark suite. Each
// runs repeatedly and reports its median and p99 beside a baseline measured
// in the same run, interleaved with it round by round, and the ratio:
//
//	BenchmarkStorageBaselines   dd conv=fsync of the big file's size on the data
//	                            disk, SHA-256 of it in-process
//	BenchmarkStorageUpload      1 GiB, 1 and 4 chunks in flight, complete answering
//	                            once durable (the hash known before, untimed), and
//	                            end to end as a client does it, hashing included;
//	                            baseline: the same requests to a loopback sink
//	BenchmarkStorageDownload    1 GiB through the signed URL, one stream and 4
//	                            Range requests; baseline: a loopback source
//	BenchmarkStorageSmallFiles  500 × 4 KiB through the single-request PUT, 1 and
//	                            8 workers; baselines: loopback round trips with the
//	                            same pattern, durable 4 KiB files on the data disk
//	BenchmarkStorageInstantUpload init + prove of content already stored (by
//	                            another user)
//	BenchmarkFilesFlatFolder    folders of 500, 1,000 and 10,000 files, listed by pages
//	                            of 500 and of 100
//	BenchmarkFilesDeepTree      1,000 files in 5 levels of folders: one listing per
//	                            level, and a walk of the whole tree
//	BenchmarkFilesOps           rename, delete + restore, share create + open
//
// Every latency scenario's baseline is loopback round trips of the same
// pattern (methods, request and answer sizes). Each figure also carries the
// server's CPU time (user + system) per unit of work, which moves much less
// than wall time when other work shares the machine.
//
// Run them once each (the rounds are inside):
//
//	go test -run '^$' -bench 'Storage|Files' -benchtime=1x -timeout 60m ./app/standalone/
//
// Environment (sizes and rounds; the defaults are the published scenarios):
//
//	CLOUDDRIVE_BENCH_ROUNDS      rounds of the 1 GiB and 500-file scenarios (5)
//	CLOUDDRIVE_BENCH_CALLS       calls of each latency scenario (200)
//	CLOUDDRIVE_BENCH_BIG_MIB     the big file, MiB (1024)
//	CLOUDDRIVE_BENCH_SMALL_FILES files of the small-file scenario (500)
//	CLOUDDRIVE_BENCH_FLAT        sizes of the flat folders (500,1000,10000)
//	CLOUDDRIVE_BENCH_TREE        files of the deep tree (1000)
//	CLOUDDRIVE_BENCH_OUT         append every result as a JSON line to this file
//	                             (tools/benchplot draws and tabulates them)
//	CLOUDDRIVE_BENCH_CLUSTER     the state folder of a running `make cluster`:
//	                             the scenarios go through its gateway instead of
//	                             a standalone binary started here
//	CLOUDDRIVE_BENCH_DIR         parent of the standalone binary's fresh data
//	                             folder (default: the system temp folder; it must
//	                             be the disk you want measured)
//	CLOUDDRIVE_BENCH_KEEP        keep that folder and the logs after the run
//	CLOUDDRIVE_BENCH_DEBUG       the standalone server's -debug address (pprof
//	                             while the scenarios run), e.g. 127.0.0.1:6060
//
// Every figure is a b.ReportMetric and a result line; none is asserted. The
// binary is built and started once, on a fresh data folder. A reaper
// process bound to this one by a pipe kills the server and the helper and
// removes the data folder when this process ends, however it ends.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	userv1 "clouddrive/api/user/v1"
)

const (
	benchPiece        = 8 << 20   // dd's block, the loopback source's pattern
	benchBlock        = 4 << 20   // the content hash's block
	benchInstantSize  = 1 << 20   // each content of the instant-upload scenario
	benchSmallSize    = 4 << 10   // the small files
	benchCopyBuf      = 256 << 10 // the copy buffer of every client and sink
	benchTreeLevels   = 5
	benchTreeBranches = 3 // folders per folder in the deep tree: 3+9+27+81+243
)

// benchConfig is the scenarios' sizes, from the environment.
type benchConfig struct {
	rounds     int
	calls      int
	bigSize    int64
	smallFiles int
	flat       []int
	treeFiles  int
	out        string
	cluster    string
}

func benchEnvInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

func loadBenchConfig(b *testing.B) benchConfig {
	c := benchConfig{
		rounds:     benchEnvInt(b, "CLOUDDRIVE_BENCH_ROUNDS", 5),
		calls:      benchEnvInt(b, "CLOUDDRIVE_BENCH_CALLS", 200),
		bigSize:    int64(benchEnvInt(b, "CLOUDDRIVE_BENCH_BIG_MIB", 1024)) << 20,
		smallFiles: benchEnvInt(b, "CLOUDDRIVE_BENCH_SMALL_FILES", 500),
		treeFiles:  benchEnvInt(b, "CLOUDDRIVE_BENCH_TREE", 1000),
		out:        os.Getenv("CLOUDDRIVE_BENCH_OUT"),
		cluster:    os.Getenv("CLOUDDRIVE_BENCH_CLUSTER"),
	}
	flat := os.Getenv("CLOUDDRIVE_BENCH_FLAT")
	if flat == "" {
		flat = "500,1000,10000"
	}
	for _, f := range strings.Split(flat, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("CLOUDDRIVE_BENCH_FLAT=%q: want sizes like 1000,10000", flat)
		}
		c.flat = append(c.flat, n)
	}
	return c
}

// ---------------------------------------------------------------------------
// The environment: the target (a standalone binary started here, or a
// running cluster), the helper, the users; set up once for all scenarios.

type benchUser struct {
	id, name, password string

	mu    sync.Mutex
	token string
	at    time.Time
}

type benchEnv struct {
	cfg     benchConfig
	target  string // "standalone" or "cluster"
	commit  string // the code measured (git describe of the work tree)
	machine string // cores, memory, the data disk's file system...
	root    string // this run's folder (the reaper removes it)
	dataDir string // where the server's blobs go: dd and the disk baselines write there
	base    string // the server's HTTP origin
	pid     int    // the standalone server's pid (0 against a cluster)
	pidDir  string // the cluster's run/ folder: the PIDs of every process it started
	helper  string // the helper's HTTP origin
	hc      *http.Client

	admin, other *benchUser

	bigMu   sync.Mutex
	bigNode string // a stored node of a big content, for the downloads

	refused refusals // 429 answers retried (a cluster's limiter shedding)
}

var (
	benchOnce   sync.Once
	benchShared *benchEnv
	benchErr    error
	// The write ends of the reaper's and the helper's stdin: open as long
	// as this process lives (a package variable, so never finalised).
	benchLifelines []*os.File
)

func getBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	if testing.Short() {
		b.Skip("drive benchmarks: build and run the standalone binary, move GiBs (skipped with -short)")
	}
	cfg := loadBenchConfig(b)
	benchOnce.Do(func() { benchShared, benchErr = startBenchEnv(b, cfg) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchShared
}

// benchTransport is the client's transport. Against a cluster that stays
// up between runs it dials from a loopback address of its own (127.x.y.z):
// the user service caps sign-ups and sign-ins per client address, and
// every run signs up two users.
func benchTransport(ownAddress bool) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if ownAddress {
		var b [3]byte
		_, _ = rand.Read(b[:])
		d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, b[0], b[1], max(b[2], 2))}
	}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		WriteBufferSize:     benchCopyBuf,
		ReadBufferSize:      benchCopyBuf,
	}
}

func startBenchEnv(b *testing.B, cfg benchConfig) (*benchEnv, error) {
	start := time.Now()
	root, err := os.MkdirTemp(os.Getenv("CLOUDDRIVE_BENCH_DIR"), "clouddrive-bench-")
	if err != nil {
		return nil, err
	}
	e := &benchEnv{cfg: cfg, root: root, dataDir: filepath.Join(root, "data"), hc: &http.Client{Transport: benchTransport(cfg.cluster != "")}}
	if err := e.startReaper(); err != nil {
		_ = os.RemoveAll(root)
		return nil, err
	}
	e.commit = benchCommit()
	if err := e.startHelper(); err != nil {
		return nil, err
	}
	if cfg.cluster != "" {
		if err := e.openCluster(cfg.cluster); err != nil {
			return nil, err
		}
	} else {
		bin, err := e.build()
		if err != nil {
			return nil, err
		}
		if err := e.startServer(bin); err != nil {
			return nil, err
		}
	}
	if err := e.users(b); err != nil {
		return nil, err
	}
	e.machine = benchMachine(e.dataDir)
	b.Logf("bench env: %s at %s (code %s), data %s, helper %s; %s; ready in %v",
		e.target, e.base, e.commit, e.dataDir, e.helper, e.machine, time.Since(start).Round(time.Millisecond))
	return e, nil
}

// benchCommit names the code measured: git describe of the work tree, with
// -dirty when it has changes.
func benchCommit() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// startReaper starts `sh` reading a pipe whose write end only this process
// holds: at EOF (this process ended) it kills the pids listed in root/pids
// and removes root (kept when CLOUDDRIVE_BENCH_KEEP is set).
func (e *benchEnv) startReaper() error {
	script := `cat >/dev/null; for p in $(cat "$0/pids" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done; sleep 0.2; [ -n "$1" ] || rm -rf "$0"`
	return startWithLifeline(exec.Command("sh", "-c", script, e.root, os.Getenv("CLOUDDRIVE_BENCH_KEEP")))
}

// startWithLifeline starts cmd with a stdin that reaches EOF when this
// process ends: the pipe's write end is kept open here and is not inherited
// by any child (Go opens it close-on-exec).
func startWithLifeline(cmd *exec.Cmd) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdin = r
	err = cmd.Start()
	_ = r.Close()
	if err != nil {
		_ = w.Close()
		return err
	}
	benchLifelines = append(benchLifelines, w)
	go func() { _ = cmd.Wait() }()
	return nil
}

func (e *benchEnv) notePid(pid int) error {
	f, err := os.OpenFile(filepath.Join(e.root, "pids"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, pid)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (e *benchEnv) build() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module (go env GOMOD = %q)", gomod)
	}
	bin := filepath.Join(e.root, "clouddrive")
	cmd := exec.Command("go", "build", "-o", bin, "./app/standalone/cmd/clouddrive")
	cmd.Dir = filepath.Dir(gomod)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./app/standalone/cmd/clouddrive: %v\n%s", err, b)
	}
	return bin, nil
}

func benchFreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (e *benchEnv) startServer(bin string) error {
	httpAddr, err := benchFreeAddr()
	if err != nil {
		return err
	}
	grpcAddr, err := benchFreeAddr()
	if err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(e.root, "service.log"))
	if err != nil {
		return err
	}
	args := []string{"-data", e.dataDir, "-http", httpAddr, "-grpc", grpcAddr}
	if dbg := os.Getenv("CLOUDDRIVE_BENCH_DEBUG"); dbg != "" {
		args = append(args, "-debug", dbg) // pprof of the server under load
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	e.target, e.pid, e.base = "standalone", cmd.Process.Pid, "http://"+httpAddr
	if err := e.notePid(e.pid); err != nil {
		return err
	}
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-done:
			return fmt.Errorf("the server exited before it was healthy: %v (log: %s)", err, logf.Name())
		default:
		}
		if resp, err := hc.Get(e.base + "/healthz"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("GET /healthz did not answer 200 within 20s (log: %s)", logf.Name())
}

// openCluster targets a running `make cluster` through its gateway. The
// server's CPU is then that of every process the cluster started (services,
// gateway, MariaDB, MinIO...: what the standalone binary does in one); the
// disk baselines write beside MinIO's data.
func (e *benchEnv) openCluster(dir string) error {
	env, err := readClusterEnv(filepath.Join(dir, "cluster.env"))
	if err != nil {
		return fmt.Errorf("CLOUDDRIVE_BENCH_CLUSTER=%s: %v (start it with make cluster)", dir, err)
	}
	if env["GATEWAY_HTTP"] == "" {
		return fmt.Errorf("%s/cluster.env has no GATEWAY_HTTP", dir)
	}
	e.target, e.base, e.pidDir = "cluster", "http://127.0.0.1:"+env["GATEWAY_HTTP"], filepath.Join(dir, "run")
	e.dataDir = filepath.Join(dir, "minio")
	if st, err := os.Stat(e.dataDir); err != nil || !st.IsDir() {
		e.dataDir = dir
	}
	resp, err := e.hc.Get(e.base + "/healthz")
	if err != nil {
		return fmt.Errorf("the cluster's gateway %s: %v", e.base, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the cluster's gateway %s/healthz: %d", e.base, resp.StatusCode)
	}
	return nil
}

func readClusterEnv(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	return env, nil
}

// users registers two users and lifts their quotas when the first is the
// administrator (the first account of a fresh drive). On a cluster that has
// accounts already it is not, and the scenarios stay inside the default
// quota: each purges what it stored.
func (e *benchEnv) users(b *testing.B) error {
	tag := make([]byte, 4)
	_, _ = rand.Read(tag)
	var err error
	if e.admin, err = e.register("bench-a-" + hex.EncodeToString(tag)); err != nil {
		return err
	}
	if e.other, err = e.register("bench-b-" + hex.EncodeToString(tag)); err != nil {
		return err
	}
	tok, err := e.token(e.admin)
	if err != nil {
		return err
	}
	for _, u := range []*benchUser{e.admin, e.other} {
		if err := e.call("/v1/admin/quota/set", tok, map[string]any{"user_id": u.id, "limit_bytes": strconv.FormatInt(1<<50, 10)}, nil); err != nil {
			b.Logf("quotas stay at the default (%v)", err)
			break
		}
	}
	return nil
}

func (e *benchEnv) register(name string) (*benchUser, error) {
	pw := make([]byte, 12)
	_, _ = rand.Read(pw)
	u := &benchUser{name: name, password: "Bench-" + hex.EncodeToString(pw) + "x9"}
	var reply userv1.RegisterReply
	if err := e.call("/v1/user/register", "", map[string]string{"username": u.name, "password": u.password}, &reply); err != nil {
		return nil, err
	}
	u.id = reply.GetUser().GetId()
	return u, nil
}

// token is an access token of u, signed in again well before it expires.
func (e *benchEnv) token(u *benchUser) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.token != "" && time.Since(u.at) < 5*time.Minute {
		return u.token, nil
	}
	var tr userv1.TokenReply
	if err := e.call("/v1/user/login", "", map[string]string{"username": u.name, "password": u.password}, &tr); err != nil {
		return "", err
	}
	u.token, u.at = tr.GetAccessToken(), time.Now()
	return u.token, nil
}

func (e *benchEnv) mustToken(b *testing.B, u *benchUser) string {
	b.Helper()
	tok, err := e.token(u)
	if err != nil {
		b.Fatal(err)
	}
	return tok
}
