//go:build !linux

package transfer

import "os"

// preallocate sets f's length.
func preallocate(f *os.File, size int64) error { return f.Truncate(size) }
