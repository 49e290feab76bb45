//go:build unix

package syncer

import (
	"io/fs"
	"syscall"
)

// inode is the file's inode number, so a local rename or move is
// recognised as one.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
