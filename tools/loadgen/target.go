package main

// The system under load: the standalone binary started here on a fresh data
// folder, or a running cluster read from its state folder; the server
// processes whose memory, goroutines and descriptors are watched.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

type proc struct {
	name    string
	pid     int
	pidFile string // a cluster's run/NAME.pid: read at each look (a restarted process has a new PID)
	metrics string // its /metrics URL
}

type target struct {
	base  string
	procs []proc
	stop  func()
	dir   string // the cluster's state folder
	log   string // the standalone binary's log ("" for the cluster: logs/ in dir)
	// ports names the ports of the target's processes and dependencies, so
	// that descriptors say which peer a connection is with.
	ports map[int]string
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startStandalone runs bin on a new data folder and waits until it is
// healthy.
func startStandalone(bin string) (*target, error) {
	dir, err := os.MkdirTemp("", "loadgen-standalone-")
	if err != nil {
		return nil, err
	}
	hp, err := freePort()
	if err != nil {
		return nil, err
	}
	gp, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-data", filepath.Join(dir, "data"), "-http", fmt.Sprintf("127.0.0.1:%d", hp),
		"-grpc", fmt.Sprintf("127.0.0.1:%d", gp))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		_ = logf.Close()
		_ = os.RemoveAll(dir)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", hp)
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	for deadline := time.Now().Add(60 * time.Second); ; {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("%s exited at start: %v\n%s", bin, err, tail(string(b), 20))
		default:
		}
		if resp, err := hc.Get(base + "/healthz"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("%s did not answer /healthz within 60s", bin)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return &target{base: base, procs: []proc{{"standalone", cmd.Process.Pid, "", base + "/metrics"}}, stop: stop,
		ports: map[int]string{hp: "http", gp: "grpc"}, log: logf.Name()}, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// openCluster reads a running cluster's ports and service PIDs.
func openCluster(dir string) (*target, error) {
	env, err := readEnv(filepath.Join(dir, "cluster.env"))
	if err != nil {
		return nil, err
	}
	t := &target{base: "http://127.0.0.1:" + env["GATEWAY_HTTP"], stop: func() {}, dir: dir, ports: portNames(env)}
	pids, _ := filepath.Glob(filepath.Join(dir, "run", "*.pid"))
	sort.Strings(pids)
	for _, p := range pids {
		name := strings.TrimSuffix(filepath.Base(p), ".pid")
		key := strings.ReplaceAll(strings.ToUpper(name), "-", "_") + "_HTTP"
		if env[key] == "" && name != "gateway" {
			continue // etcd, MariaDB...: not ours to watch
		}
		pid, err := readPID(p)
		if err != nil {
			continue
		}
		m := ""
		if env[key] != "" {
			m = "http://127.0.0.1:" + env[key] + "/metrics"
		}
		t.procs = append(t.procs, proc{name, pid, p, m})
	}
	if len(t.procs) == 0 {
		return nil, fmt.Errorf("%s: no service running (make cluster)", dir)
	}
	return t, nil
}

// portNames names the ports of cluster.env: MARIADB_PORT is "mariadb",
// FILE_1_GRPC "file-1 grpc".
func portNames(env map[string]string) map[int]string {
	out := map[int]string{}
	for k, v := range env {
		port, err := strconv.Atoi(v)
		if err != nil {
			continue
		}
		name := strings.ToLower(k)
		if n, ok := strings.CutSuffix(name, "_port"); ok {
			name = n
		} else if n, ok := strings.CutSuffix(name, "_http"); ok {
			name = n + " http"
		} else if n, ok := strings.CutSuffix(name, "_grpc"); ok {
			name = n + " grpc"
		} else {
			continue
		}
		out[port] = strings.ReplaceAll(name, "_", "-")
	}
	return out
}

func readEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	return env, sc.Err()
}

func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("%s: empty", path)
	}
	return strconv.Atoi(f[0])
}

// sample is one look at a process.
type sample struct {
	rss        int64 // bytes
	fds        int
	kinds      map[string]int // the fds by kind (fds.go)
	goroutines int            // -1: no /metrics
}

var metricsClient = &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{Proxy: nil}}

func look(p proc, ports map[int]string) (sample, error) {
	s := sample{goroutines: -1}
	if p.pidFile != "" {
		if pid, err := readPID(p.pidFile); err == nil {
			p.pid = pid
		}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			s.rss = kb << 10
		}
	}
	if kinds, err := fdKinds(p.pid, ports); err == nil {
		s.kinds = kinds
		for _, n := range kinds {
			s.fds += n
		}
	}
	if p.metrics != "" {
		if resp, err := metricsClient.Get(p.metrics); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, line := range strings.Split(string(body), "\n") {
				if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
					n, _ := strconv.ParseFloat(v, 64)
					s.goroutines = int(n)
				}
			}
		}
	}
	return s, nil
}
