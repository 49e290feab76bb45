package apiserver_test

import (
	"context"
	"io"
	"net"
	nethttp "net/http"
	"strconv"
	"testing"
	"time"

	"clouddrive/pkg/apiserver"
)

// floodServer serves /flood?n=BYTES on a raw route (as downloads are), and
// reports each handler's end with the error its last write got.
func floodServer(t *testing.T, stall time.Duration) (addr string, ended chan error) {
	t.Helper()
	hs, _ := newHTTP(t, apiserver.Limits{Stall: stall})
	ended = make(chan error, 16)
	hs.HandleFunc("/flood", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		buf := make([]byte, 64<<10)
		var err error
		for sent := 0; sent < n && err == nil; sent += len(buf) {
			_, err = w.Write(buf)
		}
		ended <- err
	})
	u, err := hs.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Start(context.Background()) }()
	t.Cleanup(func() { _ = hs.Stop(context.Background()) })
	return u.Host, ended
}

// A response whose client stops reading is cut after the stall deadline:
// the handler's write fails and the handler returns (before, with no write
// timeout, it blocked for as long as the client kept the connection).
func TestHTTPStalledWriteIsCut(t *testing.T) {
	addr, ended := floodServer(t, 100*time.Millisecond)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /flood?n=1073741824 HTTP/1.1\r\nHost: drive\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	// The client reads nothing.
	select {
	case err := <-ended:
		if err == nil {
			t.Fatal("1 GiB was written to a client that read nothing")
		}
	case <-time.After(time.Minute): // only so a regression fails instead of hanging
		t.Fatal("the handler writing to a client that stopped reading never returned")
	}
}

// A download that keeps moving is never cut, however long it lasts beyond
// the stall deadline (a fixed WriteTimeout would cut it).
func TestHTTPSlowDownloadNotCut(t *testing.T) {
	const stall, size = time.Second, 8 << 20
	addr, ended := floodServer(t, stall)
	resp, err := nethttp.Get("http://" + addr + "/flood?n=" + strconv.Itoa(size))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// 128 reads, each after a pause: the download lasts several stall
	// periods, and no single write waits anywhere near one.
	total, buf := 0, make([]byte, 64<<10)
	for {
		n, err := io.ReadFull(resp.Body, buf)
		total += n
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", total, err)
		}
		time.Sleep(stall / 40) // a slow client, always reading
	}
	if total != size {
		t.Fatalf("got %d bytes of %d", total, size)
	}
	if err := <-ended; err != nil {
		t.Fatalf("the handler's write failed: %v", err)
	}
}
