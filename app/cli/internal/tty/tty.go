// Package tty answers the few terminal questions the CLI asks: is this file
// a terminal, how wide is it, and read a password without echo. It stands in
// for golang.org/x/term (not yet a dependency of the module) on top of
// golang.org/x/sys/unix, which the module already requires.
package tty

import (
	"errors"
	"io"
)

// ErrNotSupported is returned where the platform has no terminal control.
var ErrNotSupported = errors.New("tty: terminal control is not supported on this platform")

// readLine reads up to a newline one byte at a time (no buffering past it,
// so the rest of stdin stays unread) and drops a trailing CR.
func readLine(r io.Reader) ([]byte, error) {
	var line []byte
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
			continue
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(line) > 0 {
				break
			}
			return nil, err
		}
	}
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, nil
}
