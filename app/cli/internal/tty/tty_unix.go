//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package tty

import (
	"io"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether fd is a terminal.
func IsTerminal(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), ioctlGetTermios)
	return err == nil
}

// Width is the terminal's width in columns, 0 when unknown.
func Width(fd uintptr) int {
	ws, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}

// ReadPassword reads a line from the terminal fd with echo turned off, and
// restores the terminal's state afterwards.
func ReadPassword(fd uintptr) ([]byte, error) {
	old, err := unix.IoctlGetTermios(int(fd), ioctlGetTermios)
	if err != nil {
		return nil, err
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	quiet.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(int(fd), ioctlSetTermios, &quiet); err != nil {
		return nil, err
	}
	defer func() { _ = unix.IoctlSetTermios(int(fd), ioctlSetTermios, old) }()
	return readLine(fdReader(fd))
}

// fdReader reads fd directly: an *os.File made from it would close it when
// collected.
type fdReader int

func (f fdReader) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(int(f), p)
		if err == unix.EINTR {
			continue
		}
		if n == 0 && err == nil && len(p) > 0 {
			return 0, io.EOF
		}
		if n < 0 {
			n = 0
		}
		return n, err
	}
}
