package main

// Open descriptors by kind, so a change between before and after the mix
// says what it is: connections by TCP state and, when the port is one the
// target names (the cluster's MariaDB, Redis, a service...), by peer (an
// idle pooled or keep-alive connection is ESTABLISHED; one the peer closed
// and the process never did is CLOSE_WAIT, which is a leak), files by suffix
// (a SQLite database holds its -wal and -shm per connection), pipes, epoll
// and the like.

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// tcpStates are the kernel's names of /proc/net/tcp's st column.
var tcpStates = map[string]string{
	"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1", "05": "FIN_WAIT2",
	"06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING",
}

// tcpSocket is one line of /proc/net/tcp.
type tcpSocket struct {
	state             string
	local, remotePort int
}

// fdKinds counts the open descriptors of pid by kind; ports names the
// ports the target knows ("mariadb", "file-1 grpc").
func fdKinds(pid int, ports map[int]string) (map[string]int, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	sockets := socketStates(pid)
	out := map[string]int{}
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		out[fdKind(target, sockets, ports)]++
	}
	return out, nil
}

// fdKind names what one descriptor's link target is.
func fdKind(target string, sockets map[string]tcpSocket, ports map[int]string) string {
	switch {
	case strings.HasPrefix(target, "socket:["):
		sk, ok := sockets[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")]
		if !ok {
			return "socket (not tcp)"
		}
		if sk.state == "LISTEN" {
			return "tcp LISTEN"
		}
		if name, ok := ports[sk.local]; ok {
			return "tcp " + sk.state + " into " + name
		}
		if name, ok := ports[sk.remotePort]; ok {
			return "tcp " + sk.state + " to " + name
		}
		return "tcp " + sk.state
	case strings.HasPrefix(target, "pipe:"):
		return "pipe"
	case strings.HasPrefix(target, "anon_inode:"):
		return strings.Trim(strings.TrimPrefix(target, "anon_inode:"), "[]")
	case strings.HasPrefix(target, "/dev/"):
		return target
	}
	ext := filepath.Ext(strings.TrimSuffix(target, " (deleted)"))
	if ext == "" {
		ext = "(no suffix)"
	}
	if strings.HasSuffix(target, " (deleted)") {
		return "file " + ext + " (deleted)"
	}
	return "file " + ext
}

// socketStates maps the inode of each TCP socket of pid's network
// namespace to its state and ports.
func socketStates(pid int) map[string]tcpSocket {
	out := map[string]tcpSocket{}
	for _, name := range []string{"tcp", "tcp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, name))
		if err != nil {
			continue
		}
		parseTCP(bufio.NewScanner(f), out)
		f.Close()
	}
	return out
}

// parseTCP reads /proc/net/tcp lines: "sl local rem st ... uid timeout
// inode", addresses as hex "0100007F:1F90".
func parseTCP(sc *bufio.Scanner, out map[string]tcpSocket) {
	sc.Scan() // the header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			continue
		}
		st := tcpStates[f[3]]
		if st == "" {
			st = "state " + f[3]
		}
		out[f[9]] = tcpSocket{state: st, local: hexPort(f[1]), remotePort: hexPort(f[2])}
	}
}

func hexPort(addr string) int {
	_, p, _ := strings.Cut(addr, ":")
	n, _ := strconv.ParseUint(p, 16, 16)
	return int(n)
}

// kindsDiff says which kinds changed between before and after, largest
// change first: "+57 tcp ESTABLISHED, -2 pipe".
func kindsDiff(before, after map[string]int) string {
	type d struct {
		kind string
		n    int
	}
	var ds []d
	for k, n := range after {
		if n != before[k] {
			ds = append(ds, d{k, n - before[k]})
		}
	}
	for k, n := range before {
		if _, ok := after[k]; !ok {
			ds = append(ds, d{k, -n})
		}
	}
	sort.Slice(ds, func(i, j int) bool {
		ai, aj := abs(ds[i].n), abs(ds[j].n)
		if ai != aj {
			return ai > aj
		}
		return ds[i].kind < ds[j].kind
	})
	parts := make([]string, len(ds))
	for i, x := range ds {
		parts[i] = fmt.Sprintf("%+d %s", x.n, x.kind)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// kindsList is every kind with its count: "12 file .db, 3 pipe".
func kindsList(k map[string]int) string {
	keys := make([]string, 0, len(k))
	for kind := range k {
		keys = append(keys, kind)
	}
	sort.Slice(keys, func(i, j int) bool {
		if k[keys[i]] != k[keys[j]] {
			return k[keys[i]] > k[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, kind := range keys {
		parts[i] = strconv.Itoa(k[kind]) + " " + kind
	}
	return strings.Join(parts, ", ")
}
