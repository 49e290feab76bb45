// Command file runs the file service alone: gRPC and HTTP on its own ports,
// MySQL from its configuration, events to Kafka (pkg/skeleton).
package main

import "clouddrive/app/file"

func main() { file.Main() }
