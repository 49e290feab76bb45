// Command loadgen drives the drive with simulated users over HTTP, as the web
// app does: each user signs up, then for the run's duration picks one
// operation after another from a mix of listings, small uploads, 100 MB
// uploads, downloads, shares and share opens. It reports throughput and
// p50/p99 per operation, the errors (a run with any fails), each server
// process's RSS over the first and the last 20 s, and goroutines and open
// file descriptors before and after (the descriptors by kind: connections by
// TCP state, files by suffix, so a growth says what it is).
//
//	loadgen -standalone bin/clouddrive   start the binary on a fresh data folder and load it
//	loadgen -cluster DIR                 load `make cluster` (its state folder) through the gateway
//
// With -faults (cluster only), one random fault every -fault-every (an
// instance SIGKILLed, MariaDB, Redis, the broker, etcd or MinIO stopped) is
// injected and undone: `make soak`. Errors then are counted by kind (with a
// reason, or not) and every acknowledged upload is checked at the end.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.standalone, "standalone", "", "the standalone binary to start and load (on a new data folder)")
	flag.StringVar(&o.cluster, "cluster", "", "the state folder of a running make cluster to load through its gateway")
	flag.IntVar(&o.users, "users", 200, "concurrent simulated users")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "how long the mix runs")
	flag.Int64Var(&o.bigSize, "big", 100<<20, "size of a large upload, bytes")
	flag.IntVar(&o.bigAtOnce, "big-at-once", 4, "large uploads under way at most at once (a user finding none free does a small one)")
	flag.DurationVar(&o.window, "window", 20*time.Second, "the first and last stretch whose server RSS is compared")
	flag.BoolVar(&o.faults, "faults", false, "inject a random fault every -fault-every (needs -cluster): the soak")
	flag.DurationVar(&o.faultEvery, "fault-every", time.Minute, "with -faults: time between faults")
	flag.StringVar(&o.report, "report", "", "also write the report (Markdown) to this file")
	flag.Parse()
	if (o.standalone == "") == (o.cluster == "") {
		fmt.Fprintln(os.Stderr, "loadgen: give exactly one of -standalone BIN or -cluster DIR")
		os.Exit(2)
	}
	if o.faults && o.cluster == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -faults needs -cluster")
		os.Exit(2)
	}
	o.rnd = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	ok, err := run(context.Background(), &o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}
