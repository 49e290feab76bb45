//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package syncer

// Lock is a no-op where flock is missing: run one sync per folder.
func Lock(string) (func(), error) { return func() {}, nil }
