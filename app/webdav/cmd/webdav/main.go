// Command webdav runs the WebDAV service alone: /dav/ on its HTTP port,
// locks and properties in Redis, and the user, file and storage services
// over gRPC (pkg/skeleton).
package main

import "clouddrive/app/webdav"

func main() { webdav.Main() }
