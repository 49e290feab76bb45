// Package crashfs is a FUSE file system for power-loss tests: it keeps
// everything in memory, remembers apart what was made durable, and on Cut
// gives the image a disk would hold after the power went off at that
// instant. Mount that image again and restart the program on it to see what
// it promised and lost. It is test support, not product code.
//
// # The durability model
//
// At least as strict as ext4 (data=ordered) promises, and stricter than it
// behaves:
//
//   - A file's bytes and size survive as of its last fsync(2) or
//     fdatasync(2); its mode as of its last fsync. write(2), truncate(2) and
//     fallocate(2) after that are lost. Closing a file syncs nothing.
//   - A directory's entries (create, mkdir, unlink, rmdir, rename, in and
//     out) survive as of its last fsync of the directory itself, never
//     because a file in it was synced. A new file whose data was synced but
//     whose directory was not is gone; a synced entry whose file was never
//     synced names an empty file. A rename is durable at the target once
//     the target directory is synced, and gone from the source once the
//     source directory is.
//   - Torn cut (Cut with a random source): what writeback may have pushed
//     out before the power went is kept at random as well: every 4 KiB page
//     changed since the last sync is independently the old or the new one,
//     the size is the old or the new one, and every name changed in a
//     directory since its last sync independently names the old or the new
//     thing (so a rename may even be half kept: stricter than ext4, which
//     journals both halves together). A program is correct on this model
//     only if it syncs what it acknowledges and checks what it did not.
//
// The mount is served by the process that called Mount: let other
// processes (the program under test) use it. That process must not mmap(2)
// files of its own mount (a page fault waiting on the server can hold the
// lock the server's own faults need: a kernel deadlock), nor exit while
// holding a file on it open.
//
// After Cut every operation fails with EIO: nothing reaches the "disk" once
// the power is off. Hard links, symbolic links and special files are not
// supported (ENOTSUP); locks are the kernel's (local to the mount).
package crashfs
