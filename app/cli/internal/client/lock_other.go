//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package client

// lockFile is a no-op where flock is unavailable.
func lockFile(string) (func(), error) { return func() {}, nil }
