//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package tty

// IsTerminal reports false: terminal detection is not supported here.
func IsTerminal(fd uintptr) bool { return false }

// Width is unknown here.
func Width(fd uintptr) int { return 0 }

// ReadPassword is not supported here.
func ReadPassword(fd uintptr) ([]byte, error) { return nil, ErrNotSupported }
