// Command webdav runs the WebDAV service alone: HTTP on its own port, the
// user, file and storage services over gRPC (pkg/skeleton).
package main

import "clouddrive/app/webdav"

func main() { webdav.Main() }
