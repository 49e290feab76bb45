// Command cachesync keeps the file service's Redis caches from the CDC
// change stream on Kafka (pkg/skeleton: /healthz, /readyz, /metrics).
// `cachesync caught-up -conf FILE` waits until the running group has
// applied every change published so far (cachesync.WaitCaughtUp) and exits.
package main

import (
	"os"

	"clouddrive/app/cachesync"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "caught-up" {
		os.Exit(cachesync.CaughtUpMain(os.Args[2:]))
	}
	cachesync.Main()
}
