// Command storage runs the storage service alone: gRPC and HTTP on its own
// ports, MySQL, the configured backend, the file and share services over
// gRPC (pkg/skeleton).
package main

import "clouddrive/app/storage"

func main() { storage.Main() }
