// Command cachesync keeps the file service's Redis caches from the CDC
// change stream on Kafka (pkg/skeleton: /healthz, /readyz, /metrics).
package main

import "clouddrive/app/cachesync"

func main() { cachesync.Main() }
