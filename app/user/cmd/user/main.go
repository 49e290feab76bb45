// Command user runs the user service alone: gRPC and HTTP on its own ports,
// MySQL and Redis from its configuration (pkg/skeleton).
package main

import "clouddrive/app/user"

func main() { user.Main() }
