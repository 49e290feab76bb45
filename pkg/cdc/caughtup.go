package cdc

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"
)

// CaughtUpMain is `<prog> caught-up [-conf FILE] [-wait D]` for the two ends
// of the pipeline (cdcrelay, cachesync): load the process's own
// configuration, wait until it has caught up, and say how long that took.
// Scripts (deploy/local/cluster.sh empty) use it; it exits 0, 1 when the
// wait ran out, 2 on bad arguments or configuration.
func CaughtUpMain[C any](prog, what string, args []string, load func(path string) (C, error), wait func(context.Context, C) error) int {
	fs := flag.NewFlagSet(prog+" caught-up", flag.ContinueOnError)
	path := fs.String("conf", "", prog+"'s config file (as it runs with)")
	limit := fs.Duration("wait", time.Minute, "how long to wait at most")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c, err := load(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()
	start := time.Now()
	if err := wait(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%s: caught up with %s (waited %v)\n", prog, what, time.Since(start).Round(time.Millisecond))
	return 0
}
