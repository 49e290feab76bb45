package main

import (
	"bufio"
	"net"
	"os"
	"strings"
	"testing"
)

func TestFdKindNamesEachKind(t *testing.T) {
	sockets := map[string]string{"100": "ESTABLISHED", "101": "CLOSE_WAIT"}
	for target, want := range map[string]string{
		"socket:[100]":                     "tcp ESTABLISHED",
		"socket:[101]":                     "tcp CLOSE_WAIT",
		"socket:[999]":                     "socket (not tcp)",
		"pipe:[5]":                         "pipe",
		"anon_inode:[eventpoll]":           "eventpoll",
		"/dev/null":                        "/dev/null",
		"/tmp/d/data/clouddrive.db-wal":    "file .db-wal",
		"/tmp/d/data/blobs/ab/cdef":        "file (no suffix)",
		"/tmp/d/data/tmp/x.part (deleted)": "file .part (deleted)",
	} {
		if got := fdKind(target, sockets); got != want {
			t.Errorf("%s: %q, want %q", target, got, want)
		}
	}
}

func TestParseTCPReadsStateByInode(t *testing.T) {
	const table = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D431 08 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1
`
	out := map[string]string{}
	parseTCP(bufio.NewScanner(strings.NewReader(table)), out)
	if out["4242"] != "LISTEN" || out["4343"] != "CLOSE_WAIT" || len(out) != 2 {
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
	k, err := fdKinds(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if k["tcp LISTEN"] < 1 || k["tcp ESTABLISHED"] < 2 {
		t.Fatalf("kinds %v: want a listener and two established ends", k)
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
