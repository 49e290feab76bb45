//go:build !unix

package syncer

import "io/fs"

// inode is 0 where the platform has no inode numbers: local renames are
// then seen as a delete and a create (the upload is instant all the same).
func inode(fs.FileInfo) uint64 { return 0 }
