// Command drive is the cloud drive's command line client over gRPC: login,
// ls, mkdir, put, get, mv, cp, rm. Run "drive help" for the details.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"clouddrive/app/cli/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
