package standalone_test

// What small uploads and listings cost the server, logged: SQL statements
// and transactions per file and per page by database (from the binary's
// /metrics; the outbox relays' polls show in them, so the bounds are
// asserted where they are exact: app/file/internal/data/cost_test.go,
// app/storage/internal/data/small_upload_test.go), and CPU time per file
// and per page (from /proc; the machine may be loaded). With
// CLOUDDRIVE_COST_PROFILE=dir it also saves CPU profiles of each phase
// from the binary's pprof address. The figures that count come from
// `make bench` on a quiet machine.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	fv1 "clouddrive/api/file/v1"
)

func TestSmallFileAndListingCost(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the standalone binary (skipped with -short)")
	}
	skipOnCluster(t, "measures the standalone binary's own process")
	bin := binary(t)
	profDir := os.Getenv("CLOUDDRIVE_COST_PROFILE")
	srv, debug := startCostServer(t, bin, profDir != "")
	e := &env{srv: srv, book: newSecretBook(), ips: &ipPool{}}
	u := e.storeUser(t, "cost")
	m := &costMeter{t: t, srv: srv, debug: debug, profDir: profDir, pid: srv.cmd.Process.Pid}
	files := 500
	if n, err := strconv.Atoi(os.Getenv("CLOUDDRIVE_COST_FILES")); err == nil && n > 0 {
		files = n
	}

	put := func(parent string, i int) {
		c := content{seed: uint64(1_000_000 + i), size: 4096}
		b := c.bytes(0, c.size)
		q := url.Values{"name": {fmt.Sprintf("f%06d.bin", i)}, "parent_id": {parent}}
		// Errorf, not Fatalf: this runs on the workers' goroutines too.
		resp, err := u.rawStream(http.MethodPut, uploadFile+"?"+q.Encode(), u.tok, bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Errorf("upload %d: %v", i, err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("upload %d: %d %s", i, resp.StatusCode, body)
		}
	}
	one := u.mkdir("", "one")
	put(one.GetId(), -1) // the first request of a kind warms caches
	m.run("small files, one at a time", files, 1, func(i int) { put(one.GetId(), i) })
	// At the default level a call that succeeds writes no log line.
	if n := strings.Count(srv.log(t), "module=access"); n > 0 {
		t.Errorf("%d access lines in the service log at the default level; want none", n)
	}
	eight := u.mkdir("", "eight")
	m.run("small files, 8 workers", files, 8, func(i int) { put(eight.GetId(), 10*files+i) })

	entries := len(u.list(one.GetId()))
	page := func(parent string, size int) {
		var r fv1.ListReply
		u.c.ok(u.get(fileList, url.Values{"parent_id": {parent}, "page_size": {strconv.Itoa(size)}}), &r)
		if len(r.GetItems()) != min(size, entries) {
			t.Fatalf("a page of %d holds %d entries, want %d", size, len(r.GetItems()), min(size, entries))
		}
	}
	m.run(fmt.Sprintf("listing %d entries in one page", entries), 200, 1, func(int) { page(one.GetId(), 1000) })
	m.run(fmt.Sprintf("listing 100 of %d entries", entries), 200, 1, func(int) { page(one.GetId(), 100) })
}

// run calls do n times on so many workers (or, when profiling, as often
// as it can while a 10 s profile runs) and logs the cost per call.
func (m *costMeter) run(what string, n, workers int, do func(i int)) {
	s := m.start(what)
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if s.profile != nil {
			select {
			case b := <-s.profile:
				s.profile <- b
				return 0, false
			default:
			}
		} else if next == n {
			return 0, false
		}
		next++
		return next - 1, true
	}
	for range workers {
		wg.Go(func() {
			for i, ok := take(); ok; i, ok = take() {
				do(i)
			}
		})
	}
	wg.Wait()
	s.end(next)
}

// costMeter reads what the server did between start and end.
type costMeter struct {
	t       *testing.T
	srv     *server
	debug   string // the pprof address, when profiling
	profDir string
	pid     int
}

type costSpan struct {
	m       *costMeter
	what    string
	stmts   map[string]float64
	txs     map[string]float64
	cpu     time.Duration
	began   time.Time
	profile chan []byte
}

func (m *costMeter) start(what string) *costSpan {
	s := &costSpan{m: m, what: what, began: time.Now()}
	if m.debug != "" {
		s.profile = make(chan []byte, 1)
		go func() {
			resp, err := http.Get("http://" + m.debug + "/debug/pprof/profile?seconds=10")
			if err != nil {
				s.profile <- nil
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			s.profile <- b
		}()
		time.Sleep(200 * time.Millisecond) // the profile has begun
	}
	s.stmts, s.txs = m.counters()
	s.cpu = procCPU(m.pid)
	return s
}

// end logs the span's cost per item.
func (s *costSpan) end(items int) {
	t := s.m.t
	t.Helper()
	took := time.Since(s.began)
	cpu := procCPU(s.m.pid) - s.cpu
	st, tx := s.m.counters()
	var by []string
	var stmts, txs float64
	for db, n := range st {
		if d := n - s.stmts[db]; d > 0 {
			x := tx[db] - s.txs[db]
			stmts, txs = stmts+d, txs+x
			by = append(by, fmt.Sprintf("%s %.1f/%.1f", db, d/float64(items), x/float64(items)))
		}
	}
	slices.Sort(by)
	stmts, txs = stmts/float64(items), txs/float64(items)
	t.Logf("%s: %d in %v (%.0f/s on this machine's load), server CPU %.2f ms each, %.1f statements in %.1f transactions each (%s)",
		s.what, items, took.Round(time.Millisecond), float64(items)/took.Seconds(),
		float64(cpu.Microseconds())/1000/float64(items), stmts, txs, strings.Join(by, ", "))
	if s.profile != nil {
		b := <-s.profile
		name := filepath.Join(s.m.profDir, strings.NewReplacer(" ", "-", ",", "").Replace(s.what)+".pprof")
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Logf("saving the profile: %v", err)
		} else {
			t.Logf("profile: %s", name)
		}
	}
}

// counters reads the statement and transaction counters by database.
func (m *costMeter) counters() (stmts, txs map[string]float64) {
	m.t.Helper()
	resp, err := http.Get(m.srv.baseURL + "/metrics")
	if err != nil {
		m.t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	stmts, txs = map[string]float64{}, map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var into map[string]float64
		switch {
		case strings.HasPrefix(line, "clouddrive_db_statements_total{"):
			into = stmts
		case strings.HasPrefix(line, "clouddrive_db_transactions_total{"):
			into = txs
		default:
			continue
		}
		db := line[strings.Index(line, `db="`)+4:]
		db = db[:strings.IndexByte(db, '"')]
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			m.t.Fatalf("metrics line %q: %v", line, err)
		}
		into[db] += v
	}
	if len(stmts) == 0 {
		m.t.Fatal("no clouddrive_db_statements_total in /metrics")
	}
	return stmts, txs
}

// procCPU is the CPU time (user + system) process pid has used.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name: utime is the 14th, stime the 15th,
	// in ticks of 1/100 s.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// startCostServer starts the binary as startServer does, with a pprof
// address when asked.
func startCostServer(t *testing.T, bin string, profile bool) (*server, string) {
	t.Helper()
	if !profile {
		return startServer(t, bin), ""
	}
	root := t.TempDir()
	s := &server{dataDir: filepath.Join(root, "data"), logPath: filepath.Join(root, "service.log"),
		httpAddr: freeAddr(t), grpcAddr: freeAddr(t)}
	debug := freeAddr(t)
	s.baseURL = "http://" + s.httpAddr
	f, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	s.logFile = f
	s.cmd = exec.Command(bin, "-data", s.dataDir, "-http", s.httpAddr, "-grpc", s.grpcAddr, "-debug", debug)
	s.cmd.Stdout, s.cmd.Stderr = f, f
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(s.kill)
	for deadline := time.Now().Add(20 * time.Second); ; {
		if resp, err := http.Get(s.baseURL + "/healthz"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, debug
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy within 20s:\n%s", tail(s.log(t), 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
