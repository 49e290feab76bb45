// Package thumb renders thumbnails: images with Go's decoders (the standard
// library's JPEG, PNG and GIF, golang.org/x/image's WebP, BMP and TIFF),
// the first frame of a video with ffmpeg and the first page of a PDF with
// pdftoppm when those are installed. Every render is bounded: the image's
// header is read first and anything above the pixel limit is refused before
// a pixel is decoded, tools run under a deadline, and a semaphore bounds how
// many renders hold decoded pixels at once.
package thumb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os/exec"
	"path"
	"strings"
	"time"

	// The decoders image.Decode knows by their magic bytes.
	_ "image/gif"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	"golang.org/x/image/draw"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// Kind is how a file's thumbnail is made.
type Kind int

// The kinds of source.
const (
	None Kind = iota
	Image
	Video
	PDF
)

// Why a file has no thumbnail. Callers tell a user which one applies.
var (
	ErrUnsupported = errors.New("this kind of file has no thumbnail")
	ErrTooLarge    = errors.New("the image is too large to make a thumbnail of")
	ErrMalformed   = errors.New("the file could not be read as an image")
	ErrNoTool      = errors.New("the tool that makes this kind of thumbnail is not installed")
	ErrTimeout     = errors.New("making the thumbnail took too long")
)

var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".jpe": true, ".png": true, ".gif": true,
	".webp": true, ".bmp": true, ".tif": true, ".tiff": true}

var videoExts = map[string]bool{".mp4": true, ".m4v": true, ".mov": true, ".webm": true, ".mkv": true,
	".avi": true, ".wmv": true, ".flv": true, ".mpg": true, ".mpeg": true, ".3gp": true, ".ts": true}

// KindOf tells from a file's type (or, when that says nothing, its name)
// how its thumbnail would be made.
func KindOf(mime, name string) Kind {
	mime = strings.ToLower(strings.TrimSpace(strings.Split(mime, ";")[0]))
	switch {
	case mime == "image/jpeg", mime == "image/png", mime == "image/gif", mime == "image/webp",
		mime == "image/bmp", mime == "image/x-ms-bmp", mime == "image/tiff":
		return Image
	case strings.HasPrefix(mime, "video/"):
		return Video
	case mime == "application/pdf":
		return PDF
	}
	ext := strings.ToLower(path.Ext(name))
	switch {
	case imageExts[ext]:
		return Image
	case videoExts[ext]:
		return Video
	case ext == ".pdf":
		return PDF
	}
	return None
}

// Options bound the renders.
type Options struct {
	// MaxPixels refuses images (and tool output) with more pixels.
	MaxPixels int64
	// MaxPDFBytes refuses larger PDFs (pdftoppm reads them from a pipe into
	// memory).
	MaxPDFBytes int64
	// Timeout bounds one render, waiting for a slot included.
	Timeout time.Duration
	// Concurrency is how many renders run at once.
	Concurrency int
	// Quality of the JPEG written.
	Quality int
}

// DefaultOptions suit one small server: a 50-megapixel image decodes to at
// most 200 MB (RGBA), two at a time.
func DefaultOptions() Options {
	return Options{MaxPixels: 50_000_000, MaxPDFBytes: 64 << 20, Timeout: 20 * time.Second, Concurrency: 2, Quality: 80}
}

// Renderer makes thumbnails within its Options.
type Renderer struct {
	opt      Options
	slots    chan struct{}
	ffmpeg   string
	pdftoppm string
}

// NewRenderer finds the tools on PATH; a missing one makes its kind
// answer ErrNoTool.
func NewRenderer(opt Options) *Renderer {
	d := DefaultOptions()
	if opt.MaxPixels <= 0 {
		opt.MaxPixels = d.MaxPixels
	}
	if opt.MaxPDFBytes <= 0 {
		opt.MaxPDFBytes = d.MaxPDFBytes
	}
	if opt.Timeout <= 0 {
		opt.Timeout = d.Timeout
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = d.Concurrency
	}
	if opt.Quality <= 0 || opt.Quality > 100 {
		opt.Quality = d.Quality
	}
	r := &Renderer{opt: opt, slots: make(chan struct{}, opt.Concurrency)}
	r.ffmpeg, _ = exec.LookPath("ffmpeg")
	r.pdftoppm, _ = exec.LookPath("pdftoppm")
	return r
}

// Supports reports whether a kind can be rendered here (its tool is
// installed).
func (r *Renderer) Supports(k Kind) bool {
	switch k {
	case Image:
		return true
	case Video:
		return r.ffmpeg != ""
	case PDF:
		return r.pdftoppm != ""
	}
	return false
}

// Render makes a JPEG whose longer side is at most edge pixels (images
// smaller than that are not enlarged) from src, size bytes long.
func (r *Renderer) Render(ctx context.Context, k Kind, src io.ReadSeeker, size int64, edge int) ([]byte, error) {
	if !r.Supports(k) {
		if k == None {
			return nil, ErrUnsupported
		}
		return nil, ErrNoTool
	}
	ctx, cancel := context.WithTimeout(ctx, r.opt.Timeout)
	defer cancel()
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-ctx.Done():
		return nil, timeoutOr(ctx)
	}
	switch k {
	case Video:
		frame, err := r.videoFrame(ctx, src, edge)
		if err != nil {
			return nil, err
		}
		return r.image(ctx, bytes.NewReader(frame), edge)
	case PDF:
		page, err := r.pdfPage(ctx, src, size, edge)
		if err != nil {
			return nil, err
		}
		return r.image(ctx, bytes.NewReader(page), edge)
	}
	return r.image(ctx, src, edge)
}

func timeoutOr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ErrTimeout
	}
	return ctx.Err()
}

// image decodes src after checking its header, scales it and encodes it.
func (r *Renderer) image(ctx context.Context, src io.ReadSeeker, edge int) ([]byte, error) {
	cfg, format, err := image.DecodeConfig(bufio.NewReader(src))
	if err != nil {
		return nil, ErrMalformed
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, ErrMalformed
	}
	if int64(cfg.Width)*int64(cfg.Height) > r.opt.MaxPixels {
		return nil, fmt.Errorf("%w: %d×%d is above %d megapixels", ErrTooLarge, cfg.Width, cfg.Height, r.opt.MaxPixels/1_000_000)
	}
	o := 1
	if format == "jpeg" {
		if _, err := src.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		o = jpegOrientation(src)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bufio.NewReaderSize(src, 64<<10))
	if err != nil {
		return nil, ErrMalformed
	}
	if err := ctx.Err(); err != nil {
		return nil, timeoutOr(ctx)
	}
	// Turned after scaling: a few thousand pixels, not millions.
	return r.encode(orient(scale(img, edge), o))
}

// scale fits img into edge×edge on white (JPEG has no transparency). The
// bilinear kernel widens with the reduction, so a large photo is averaged,
// not sampled: no aliasing.
func scale(img image.Image, edge int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > edge || h > edge {
		if w >= h {
			w, h = edge, max(1, h*edge/b.Dx())
		} else {
			w, h = max(1, w*edge/b.Dy()), edge
		}
	}
	if y, ok := img.(*image.YCbCr); ok { // a JPEG: see shrink.go
		if k := shrinkFactor(b, edge); k >= 2 {
			img = boxShrink(y, k)
			b = img.Bounds()
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.BiLinear.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
	return dst
}

func (r *Renderer) encode(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: r.opt.Quality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// maxToolOutput bounds what a tool may print: a scaled frame or page.
const maxToolOutput = 32 << 20

// run runs a tool under ctx and returns its standard output, bounded.
func run(ctx context.Context, cmd *exec.Cmd) ([]byte, error) {
	var out, errOut bytes.Buffer
	cmd.Stdout = &limitedWriter{w: &out, left: maxToolOutput}
	cmd.Stderr = &limitedWriter{w: &errOut, left: 4 << 10}
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, timeoutOr(ctx)
	}
	if err != nil || out.Len() == 0 {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, strings.TrimSpace(errOut.String()))
	}
	return out.Bytes(), nil
}

// limitedWriter keeps at most left bytes and then fails the tool's write.
type limitedWriter struct {
	w    io.Writer
	left int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if len(p) > l.left {
		return 0, errors.New("tool output too large")
	}
	l.left -= len(p)
	return l.w.Write(p)
}
