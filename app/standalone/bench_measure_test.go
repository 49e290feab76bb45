package standalone_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Measures: the server's CPU and resident set, the disk's and the CPU's
// own rates (the baselines), and the statistics of a set of samples.

// cpu is the CPU time (user + system) the server has used: the standalone
// binary's, or the sum over every process a cluster started (its run/*.pid).
func (e *benchEnv) cpu() time.Duration {
	if e.pidDir == "" {
		return benchCPU(e.pid)
	}
	files, _ := filepath.Glob(filepath.Join(e.pidDir, "*.pid"))
	var sum time.Duration
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if fields := strings.Fields(string(b)); len(fields) > 0 {
			if pid, err := strconv.Atoi(fields[0]); err == nil {
				sum += benchCPU(pid)
			}
		}
	}
	return sum
}

// benchCPU is the CPU time (user + system) of a process from /proc/<pid>/stat.
func benchCPU(pid int) time.Duration {
	u, s := benchCPUSplit(pid)
	return u + s
}

// benchCPUSplit is a process's user and system CPU time apart: system time
// that grows over a run (page cache reclaim, writeback throttling charged
// to the writer) tells a different story from user time that grows.
func benchCPUSplit(pid int) (user, sys time.Duration) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0
	}
	// The fields after the command name (which may hold spaces): state is
	// field 3, utime 14, stime 15; ticks of 1/100 s (CLK_TCK on Linux).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u) * 10 * time.Millisecond, time.Duration(st) * 10 * time.Millisecond
}

// benchRSSWatch follows the server's resident set: VmRSS sampled every 10 ms,
// and VmHWM after resetting it (echo 5 > clear_refs), which also catches a
// peak between two samples. Standalone only: a cluster's transfer crosses
// several processes.
type benchRSSWatch struct {
	pid      int
	before   int64 // kB
	hwmReset bool
	peak     atomic.Int64
	stop     chan struct{}
	done     chan struct{}
}

func benchProcKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func benchWatchRSS(pid int) *benchRSSWatch {
	w := &benchRSSWatch{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	if pid == 0 {
		close(w.done)
		return w
	}
	w.before = benchProcKB(pid, "VmRSS")
	w.hwmReset = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
	w.peak.Store(w.before)
	go func() {
		defer close(w.done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				if v := benchProcKB(pid, "VmRSS"); v > w.peak.Load() {
					w.peak.Store(v)
				}
			}
		}
	}()
	return w
}

// end stops the watch and returns the peak growth, MiB (0 without a pid).
func (w *benchRSSWatch) end() float64 {
	if w.pid == 0 {
		return 0
	}
	close(w.stop)
	<-w.done
	peak := w.peak.Load()
	if w.hwmReset {
		peak = max(peak, benchProcKB(w.pid, "VmHWM"))
	}
	return float64(peak-w.before) / 1024
}

// benchMachine describes the machine and the disk measured: cores and
// model (and whether it hashes with SHA-NI), memory, the data folder's file
// system, the kernel, Go.
func benchMachine(dataDir string) string {
	model, sha := "", ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok && model == "" {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
			}
			if strings.HasPrefix(line, "flags") && strings.Contains(line, " sha_ni") {
				sha = " with SHA-NI"
			}
		}
	}
	mem := 0.0
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				mem = kb / (1 << 20)
			}
		}
	}
	fs := "?"
	if out, err := exec.Command("stat", "-f", "-c", "%T", dataDir).Output(); err == nil {
		fs = strings.TrimSpace(string(out))
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%d cores (%s%s), %.0f GiB, data on %s, Linux %s, %s",
		runtime.NumCPU(), model, sha, mem, fs, strings.TrimSpace(string(kernel)), runtime.Version())
}

// benchLoad is the machine's load average (1, 5, 15 min): other work on
// the cores shows in every figure, so every result carries it.
func benchLoad() string {
	l, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	return strings.Join(strings.Fields(string(l))[:3], " ")
}

func benchMBps(n int64, d time.Duration) float64 { return float64(n) / d.Seconds() / 1e6 }

func benchMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchPercentile is the nearest-rank p-th percentile of sorted values.
func benchPercentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(float64(len(sorted))*p/100)) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// benchStats is the median and the p99 of samples. For a rate the p99 is
// the slow tail (the rate of the 99th-percentile round), for a latency the
// 99th percentile.
func benchStats(samples []float64, rate bool) (median, p99 float64) {
	s := append([]float64(nil), samples...)
	sort.Float64s(s)
	if rate {
		return benchPercentile(s, 50), benchPercentile(s, 1)
	}
	return benchPercentile(s, 50), benchPercentile(s, 99)
}

var benchDDCopied = regexp.MustCompile(`copied, ([0-9.]+) s`)

// benchDD is `dd if=/dev/zero of=<dir>/ddtest bs=8M count=<size/8M> conv=fsync`:
// the size written and fsynced once, in MB/s (dd's own time when it prints one).
func benchDD(dir string, size int64) (float64, error) {
	path := filepath.Join(dir, fmt.Sprintf("ddtest-%d", os.Getpid()))
	defer os.Remove(path)
	count := max(1, size/benchPiece)
	cmd := exec.Command("dd", "if=/dev/zero", "of="+path, "bs=8M", "count="+strconv.FormatInt(count, 10), "conv=fsync")
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("dd: %v\n%s", err, out)
	}
	written := count * benchPiece
	if m := benchDDCopied.FindSubmatch(out); m != nil {
		if s, err := strconv.ParseFloat(string(m[1]), 64); err == nil && s > 0 {
			return float64(written) / s / 1e6, nil
		}
	}
	return benchMBps(written, took), nil
}

// benchSHA256 hashes size bytes of c in this process, block by block as the
// content hash does (generation untimed): MB/s and CPU seconds per GiB.
func benchSHA256(c *benchContent) (mbps, sPerGiB float64) {
	buf := make([]byte, benchBlock)
	var took time.Duration
	for off := int64(0); off < c.size; off += benchBlock {
		b := buf[:min(int64(benchBlock), c.size-off)]
		c.fill(b, off)
		start := time.Now()
		sha256.Sum256(b)
		took += time.Since(start)
	}
	return benchMBps(c.size, took), took.Seconds() / (float64(c.size) / (1 << 30))
}

// benchDiskFiles is the small files' disk baseline: the least a durable
// file store does on this disk, n times with workers at once: create a
// file, write the payload, fsync, rename it into a folder, fsync the folder.
func benchDiskFiles(dir string, n, workers int, payload []byte) (float64, error) {
	root, err := os.MkdirTemp(dir, "disktest-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(root)
	dst := filepath.Join(root, "files")
	if err := os.Mkdir(dst, 0o700); err != nil {
		return 0, err
	}
	start := time.Now()
	err = benchRunWorkers(n, workers, func(_ *[]byte, i int) error {
		tmp := filepath.Join(root, fmt.Sprintf("%d.part", i))
		f, err := os.Create(tmp)
		if err != nil {
			return err
		}
		if _, err := f.Write(payload); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dst, strconv.Itoa(i))); err != nil {
			return err
		}
		d, err := os.Open(dst)
		if err != nil {
			return err
		}
		defer d.Close()
		return d.Sync()
	})
	if err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// benchRunWorkers runs do(0..n-1) on workers goroutines, each with a
// scratch slot of its own; the first error wins.
func benchRunWorkers(n, workers int, do func(scratch *[]byte, i int) error) error {
	jobs := make(chan int, n)
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []byte
			for i := range jobs {
				if err := do(&scratch, i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
