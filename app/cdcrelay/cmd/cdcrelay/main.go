// Command cdcrelay publishes the file service's binlog to Kafka as Flink CDC
// would, for hosts without Flink (pkg/skeleton: /healthz, /readyz, /metrics).
// `cdcrelay caught-up -conf FILE` waits until a running relay has published
// everything the server had written (cdcrelay.WaitCaughtUp) and exits.
package main

import (
	"os"

	"clouddrive/app/cdcrelay"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "caught-up" {
		os.Exit(cdcrelay.CaughtUpMain(os.Args[2:]))
	}
	cdcrelay.Main()
}
