package thumb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// videoFrame asks ffmpeg for one frame a second in (or the first, for a
// shorter video), scaled to edge, as PNG. ffmpeg reads the blob over HTTP
// from a loopback listener that lives for this render only and serves
// ranges from src: a video whose index is at its end (most phone videos)
// is read by seeking, never copied to disk or memory whole.
func (r *Renderer) videoFrame(ctx context.Context, src io.ReadSeeker, edge int) ([]byte, error) {
	url, stop, err := serveOnce(src)
	if err != nil {
		return nil, err
	}
	defer stop()
	vf := fmt.Sprintf("thumbnail=25,scale=w=%d:h=%d:force_original_aspect_ratio=decrease", edge, edge)
	args := func(seek string) *exec.Cmd {
		a := []string{"-hide_banner", "-loglevel", "error", "-nostdin"}
		if seek != "" {
			a = append(a, "-ss", seek)
		}
		a = append(a, "-i", url, "-frames:v", "1", "-vf", vf, "-f", "image2pipe", "-c:v", "png", "pipe:1")
		return exec.CommandContext(ctx, r.ffmpeg, a...)
	}
	out, err := run(ctx, args("1"))
	if err != nil && ctx.Err() == nil {
		out, err = run(ctx, args("")) // shorter than a second
	}
	return out, err
}

// serveOnce serves src at a random path on a loopback port until stop.
func serveOnce(src io.ReadSeeker) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	p := "/" + hex.EncodeToString(b)
	var mu sync.Mutex // ffmpeg may open a second connection; src has one offset
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != p {
			http.NotFound(w, req)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		http.ServeContent(w, req, "", time.Time{}, src)
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + p, func() { _ = srv.Close() }, nil
}

// pdfPage asks pdftoppm for the first page scaled to edge, as PNG. It reads
// the PDF from its standard input (into memory), so PDFs are bounded.
func (r *Renderer) pdfPage(ctx context.Context, src io.ReadSeeker, size int64, edge int) ([]byte, error) {
	if size > r.opt.MaxPDFBytes {
		return nil, fmt.Errorf("%w: PDFs above %d MiB get none", ErrTooLarge, r.opt.MaxPDFBytes>>20)
	}
	cmd := exec.CommandContext(ctx, r.pdftoppm, "-png", "-f", "1", "-l", "1", "-scale-to", strconv.Itoa(edge), "-singlefile", "-")
	cmd.Stdin = io.LimitReader(src, size)
	return run(ctx, cmd)
}
