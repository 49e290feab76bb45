package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// A chunk's bytes go to the part file with direct I/O, past the page cache,
// and the next piece is received (and hashed, by the caller's reader) while
// the previous one is written.
//
// Why not the page cache: a buffered write of 1 GiB costs the writer 2.5 s
// of system CPU on a VM whose guest memory the host backs lazily (or takes
// back as free page reporting returns it): every new page cache page is a
// first touch of guest memory, paid inside copy_folio_from_iter_atomic. It
// grew over a run as the page cache spread into memory not touched before
// (0.5 s/GiB of system time in a fresh server's first upload, 3-4 s after a
// few GiB). A direct write of the same GiB costs about 0.1 s: the device
// reads the two reused buffers below. Nothing is lost in durability: the
// chunk is no more durable than before (Publish's fsync still makes it so;
// see LocalStore), only no longer cached.
const (
	// directAlign is what direct I/O asks of a buffer's address, a write's
	// offset and its length: the largest logical block size in use.
	directAlign = 4096
	// directPiece is one write. Each is a blocking system call that costs
	// the Go scheduler a hand-off of its P and a thread wake-up, so fewer
	// and larger is cheaper (per GiB, 4 in flight, loaded machine: 512 KiB
	// 1.35 s of server CPU, 1 MiB 1.2 s, 2 MiB 1.15 s). A pipelined chunk
	// write holds two (one filling, one writing): see writeDirect for what
	// keeps four chunks in flight from holding 8 MiB.
	directPiece = 1 << 20
	// pipelinedWriters is how many chunk writes at once overlap receiving
	// with writing; those beyond it receive and write in turn, one piece
	// each. Overlap is what one or two chunks in flight need to keep the
	// device and the CPU busy together; with more, the other chunks fill the
	// gaps, and a second piece each would only add memory (four chunks in
	// flight: 6 MiB of pieces at most, where 8 MiB made the end-to-end HTTP
	// test's upload and download grow the server by 19 MiB, over the 16 MiB
	// bound, and 512 KiB pieces cost 0.2 s more CPU per GiB).
	pipelinedWriters = 2
)

// directWriters counts the chunk writes under way in this process.
var directWriters atomic.Int32

// directBuffers keeps aligned pieces between chunk writes: a free list of
// its own rather than a sync.Pool, which a GC empties (each new piece is
// fresh memory to touch again) and whose per-P slots let pieces pile up.
// Chunks in flight reuse the eight it keeps; more allocate and drop.
var directBuffers = pieceList{free: make(chan *[]byte, 8)}

type pieceList struct{ free chan *[]byte }

func (l pieceList) Get() *[]byte {
	select {
	case b := <-l.free:
		return b
	default:
		b := alignedBuffer(directPiece)
		return &b
	}
}

func (l pieceList) Put(b *[]byte) {
	select {
	case l.free <- b:
	default:
	}
}

// alignedBuffer is n bytes starting at a multiple of directAlign. The Go
// heap does not move objects, so the address stays aligned.
func alignedBuffer(n int) []byte {
	b := make([]byte, n+directAlign)
	skip := (directAlign - int(uintptr(unsafe.Pointer(&b[0]))&(directAlign-1))) & (directAlign - 1)
	return b[skip : skip+n : skip+n]
}

// openDirect opens path for direct writes; errDirectUnsupported when the
// file system does not do direct I/O (tmpfs, some FUSE file systems).
func openDirect(path string) (*os.File, error) {
	if oDirect == 0 {
		return nil, errDirectUnsupported
	}
	f, err := os.OpenFile(path, os.O_WRONLY|oDirect, 0)
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP) {
		return nil, errDirectUnsupported
	}
	return f, err
}

var errDirectUnsupported = errors.New("direct I/O not supported here")

// filledPiece is a filled buffer and where it goes.
type filledPiece struct {
	buf *[]byte
	n   int
	off int64
}

// writeDirect writes exactly n bytes of r at off of the file direct opened
// with openDirect (path is the same file, opened buffered when a piece
// cannot go direct: the last piece's unaligned tail). One goroutine writes
// while this one reads the next piece, so receiving and hashing overlap the
// device's work, unless pipelinedWriters others do so already (then it
// receives and writes in turn). It returns the bytes written.
func writeDirect(direct *os.File, path string, off int64, r io.Reader, n int64) (int64, error) {
	if off%directAlign != 0 {
		return 0, fmt.Errorf("local store: direct write at unaligned offset %d", off)
	}
	pw := &pieceWriter{direct: direct, path: path}
	defer pw.close()
	defer directWriters.Add(-1)
	if directWriters.Add(1) > pipelinedWriters {
		return writeInTurn(pw, off, r, n)
	}
	work := make(chan filledPiece)
	done := make(chan struct{})
	var written atomic.Int64
	var failed atomic.Bool
	var werr error
	go func() {
		defer close(done)
		for p := range work {
			if werr == nil {
				werr = pw.write((*p.buf)[:p.n], p.off)
				if werr != nil {
					failed.Store(true)
				} else {
					written.Add(int64(p.n))
				}
			}
			directBuffers.Put(p.buf)
		}
	}()
	var rerr error
	for at := int64(0); at < n && !failed.Load(); {
		buf := directBuffers.Get()
		k, err := io.ReadFull(r, (*buf)[:min(int64(len(*buf)), n-at)])
		if k > 0 {
			work <- filledPiece{buf: buf, n: k, off: off + at}
			at += int64(k)
		} else {
			directBuffers.Put(buf)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				rerr = err
			}
			break
		}
	}
	close(work)
	<-done
	if rerr != nil {
		return written.Load(), rerr
	}
	return written.Load(), werr
}

// writeInTurn receives a piece, writes it, and so on, with one piece.
func writeInTurn(pw *pieceWriter, off int64, r io.Reader, n int64) (int64, error) {
	buf := directBuffers.Get()
	defer directBuffers.Put(buf)
	var written int64
	for written < n {
		k, err := io.ReadFull(r, (*buf)[:min(int64(len(*buf)), n-written)])
		if k > 0 {
			if werr := pw.write((*buf)[:k], off+written); werr != nil {
				return written, werr
			}
			written += int64(k)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return written, nil // short: the caller counts
		}
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// pieceWriter writes pieces direct, and what direct I/O refuses (an
// unaligned tail, a file system that took the open but not the write)
// through a buffered handle opened when first needed.
type pieceWriter struct {
	direct   *os.File
	path     string
	buffered *os.File
	noDirect bool
}

func (w *pieceWriter) write(p []byte, off int64) error {
	aligned := len(p) &^ (directAlign - 1)
	if !w.noDirect && aligned > 0 {
		_, err := w.direct.WriteAt(p[:aligned], off)
		switch {
		case err == nil:
			p, off = p[aligned:], off+int64(aligned)
		case errors.Is(err, syscall.EINVAL):
			w.noDirect = true // written buffered below, and from now on
		default:
			return err
		}
	}
	if len(p) == 0 {
		return nil
	}
	if w.buffered == nil {
		f, err := os.OpenFile(w.path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		w.buffered = f
	}
	_, err := w.buffered.WriteAt(p, off)
	return err
}

func (w *pieceWriter) close() {
	if w.buffered != nil {
		_ = w.buffered.Close()
	}
}
