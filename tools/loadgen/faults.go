package main

// The soak's faults: one every -fault-every, picked at random, held a few
// seconds while the users go on, then undone, through the cluster's own
// script (cluster.sh stop NAME / start NAME) or a SIGKILL of the PID it
// recorded.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

type faultEntry struct {
	at            time.Duration
	what          string
	errs, unclear int
}

type faultLog struct{ entries []faultEntry }

// faults: name → how it is done (the undo is "start" for all).
var faults = []struct {
	what, proc string
	kill       bool // SIGKILL; else a clean stop
}{
	{"SIGKILL file-1", "file-1", true},
	{"SIGKILL file-2", "file-2", true},
	{"SIGKILL storage-1", "storage-1", true},
	{"SIGKILL storage-2", "storage-2", true},
	{"SIGKILL share", "share", true},
	{"MariaDB stopped", "mariadb", false},
	{"Redis stopped", "redis", false},
	{"broker (kfake) stopped", "kafka", false},
	{"etcd stopped", "etcd", false},
	{"MinIO stopped", "minio", false},
}

// hold is how long a fault lasts before it is undone.
const hold = 10 * time.Second

func injectFaults(ctx context.Context, o *options, t *target, fl *faultLog, st *stats) {
	start := time.Now()
	tick := time.NewTicker(o.faultEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if ctx.Err() != nil { // the tick that came with the end
			return
		}
		f := faults[o.rnd.IntN(len(faults))]
		errs0, unclear0 := counts(st)
		at := time.Since(start)
		fmt.Fprintf(os.Stderr, "loadgen: %v: %s\n", at.Round(time.Second), f.what)
		if f.kill {
			if pid, err := readPID(filepath.Join(t.dir, "run", f.proc+".pid")); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		} else if err := script(t.dir, "stop", f.proc); err != nil {
			fmt.Fprintf(os.Stderr, "loadgen: stop %s: %v\n", f.proc, err)
		}
		time.Sleep(hold)
		if err := script(t.dir, "start", f.proc); err != nil {
			fmt.Fprintf(os.Stderr, "loadgen: start %s: %v\n", f.proc, err)
		}
		errs1, unclear1 := counts(st)
		fl.entries = append(fl.entries, faultEntry{at, f.what, errs1 - errs0, unclear1 - unclear0})
	}
}

func counts(st *stats) (errs, unclear int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for op := range st.errs {
		errs += st.errs[op]
		unclear += st.unclear[op]
	}
	return
}

// script runs deploy/local/cluster.sh on the cluster in dir (from the
// repository's root, where make runs).
func script(dir string, args ...string) error {
	cmd := exec.Command("bash", append([]string{"deploy/local/cluster.sh"}, args...)...)
	cmd.Env = append(os.Environ(), "CLUSTER_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}
