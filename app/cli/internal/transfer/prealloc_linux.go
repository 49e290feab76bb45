package transfer

import (
	"os"

	"golang.org/x/sys/unix"
)

// preallocate reserves size bytes for f (blocks, not a sparse hole) and
// sets its length; file systems without fallocate get a plain truncate.
func preallocate(f *os.File, size int64) error {
	if size > 0 {
		if err := unix.Fallocate(int(f.Fd()), 0, 0, size); err == nil {
			return nil
		}
	}
	return f.Truncate(size)
}
