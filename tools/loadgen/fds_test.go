package main

import (
	"bufio"
	"net"
	"os"
	"strings"
	"testing"
)

func TestFdKindNamesEachKind(t *testing.T) {
	sockets := map[string]tcpSocket{"100": {"ESTABLISHED", 40000, 41000}, "101": {"CLOSE_WAIT", 8000, 40001},
		"102": {"ESTABLISHED", 40002, 3306}, "103": {"LISTEN", 8000, 0}}
	ports := map[int]string{8000: "gateway http", 3306: "mariadb"}
	for target, want := range map[string]string{
		"socket:[100]":                     "tcp ESTABLISHED",
		"socket:[101]":                     "tcp CLOSE_WAIT into gateway http",
		"socket:[102]":                     "tcp ESTABLISHED to mariadb",
		"socket:[103]":                     "tcp LISTEN",
		"socket:[999]":                     "socket (not tcp)",
		"pipe:[5]":                         "pipe",
		"anon_inode:[eventpoll]":           "eventpoll",
		"/dev/null":                        "/dev/null",
		"/tmp/d/data/clouddrive.db-wal":    "file .db-wal",
		"/tmp/d/data/blobs/ab/cdef":        "file (no suffix)",
		"/tmp/d/data/tmp/x.part (deleted)": "file .part (deleted)",
	} {
		if got := fdKind(target, sockets, ports); got != want {
			t.Errorf("%s: %q, want %q", target, got, want)
		}
	}
}

func TestParseTCPReadsStateByInode(t *testing.T) {
	const table = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D431 08 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1
`
	out := map[string]tcpSocket{}
	parseTCP(bufio.NewScanner(strings.NewReader(table)), out)
	if out["4242"] != (tcpSocket{"LISTEN", 8080, 0}) || out["4343"] != (tcpSocket{"CLOSE_WAIT", 8080, 54321}) || len(out) != 2 {
		t.Fatalf("got %v", out)
	}
}

// This very process: a listener and both ends of a connection show as TCP
// sockets in their states.
func TestFdKindsOfThisProcess(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	port := l.Addr().(*net.TCPAddr).Port
	k, err := fdKinds(os.Getpid(), map[int]string{port: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if k["tcp LISTEN"] < 1 || k["tcp ESTABLISHED into test"] != 1 || k["tcp ESTABLISHED to test"] != 1 {
		t.Fatalf("kinds %v: want a listener and both ends of a connection to it", k)
	}
}

func TestKindsDiffLargestChangeFirst(t *testing.T) {
	got := kindsDiff(map[string]int{"pipe": 3, "file .db": 2, "eventpoll": 1},
		map[string]int{"pipe": 1, "file .db": 2, "tcp ESTABLISHED": 57})
	if want := "+57 tcp ESTABLISHED, -2 pipe, -1 eventpoll"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
	if got := kindsDiff(map[string]int{"pipe": 1}, map[string]int{"pipe": 1}); got != "none" {
		t.Fatalf("no change: %q", got)
	}
}
