// Command share runs the share service alone: gRPC and HTTP on its own
// ports, MySQL and Redis from its configuration, events to Kafka, and the
// file, storage and user services over gRPC (pkg/skeleton).
package main

import "clouddrive/app/share"

func main() { share.Main() }
