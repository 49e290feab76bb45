// Command notify runs the notify service alone: events from Kafka, the
// user service over gRPC, MySQL (pkg/skeleton).
package main

import "clouddrive/app/notify"

func main() { notify.Main() }
