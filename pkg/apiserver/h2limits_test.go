package apiserver_test

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"clouddrive/pkg/apiserver"
)

// A raw HTTP/2 client (a hostile one ignores what the server advertises):
// the gRPC server announces its caps on streams per connection and on the
// header list, and a call whose metadata passes the cap is refused before
// any handler runs. Before, grpc-go's defaults took 16 MiB of metadata per
// call (32 unauthenticated calls with 15 MiB each added 283 MiB) and any
// number of streams.
func TestGRPCConnectionLimits(t *testing.T) {
	const streams, header = 7, 8 << 10
	f := newGRPC(t, apiserver.Limits{StreamsPerConn: streams, HeaderBytes: header})
	conn, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute)) // only so a regression fails instead of hanging
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	got := map[http2.SettingID]uint32{}
	for {
		frame, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if sf, ok := frame.(*http2.SettingsFrame); ok && !sf.IsAck() {
			_ = sf.ForeachSetting(func(s http2.Setting) error { got[s.ID] = s.Val; return nil })
			if err := fr.WriteSettingsAck(); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if got[http2.SettingMaxConcurrentStreams] != streams || got[http2.SettingMaxHeaderListSize] != header {
		t.Fatalf("settings %v: want %d streams per connection and %d bytes of headers", got, streams, header)
	}

	// 64 KiB of metadata, sent anyway, in HEADERS and CONTINUATION frames.
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, kv := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", "/" + probeService + "/Flood"},
		{":authority", "drive"}, {"content-type", "application/grpc"}, {"te", "trailers"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: kv[0], Value: kv[1]})
	}
	for i := 0; i < 16; i++ {
		_ = enc.WriteField(hpack.HeaderField{Name: "x-big", Value: strings.Repeat("a", 4<<10)})
	}
	b := block.Bytes()
	const frag = 16 << 10
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:frag]}); err != nil {
		t.Fatal(err)
	}
	for b = b[frag:]; len(b) > 0; {
		n := min(frag, len(b))
		if err := fr.WriteContinuation(1, n == len(b), b[:n]); err != nil {
			break // the server may already have closed the connection
		}
		b = b[n:]
	}
	for {
		frame, err := fr.ReadFrame()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the server neither answered nor refused the oversized call")
		}
		if err != nil {
			return // the connection was closed: refused
		}
		switch fr := frame.(type) {
		case *http2.RSTStreamFrame:
			if fr.StreamID == 1 {
				return // the stream was refused
			}
		case *http2.GoAwayFrame:
			return
		case *http2.HeadersFrame:
			if fr.StreamID == 1 {
				t.Fatal("the server took a call with 64 KiB of metadata")
			}
		}
	}
}
