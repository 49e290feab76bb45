package thumb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"runtime"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// gradient is a test picture w×h.
func gradient(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	return img
}

func encoded(t testing.TB, format string, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "png":
		err = png.Encode(&buf, img)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	case "bmp":
		err = bmp.Encode(&buf, img)
	case "tiff":
		err = tiff.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeJPEG checks a thumbnail is a JPEG of the expected size.
func decodeJPEG(t *testing.T, b []byte) image.Config {
	t.Helper()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || format != "jpeg" {
		t.Fatalf("thumbnail is not a JPEG: %v %q", err, format)
	}
	return cfg
}

func TestRenderEachFormat(t *testing.T) {
	pic := gradient(640, 480)
	r := NewRenderer(Options{})
	cases := []struct {
		name string
		kind Kind
		src  []byte
		w, h int
	}{
		{"jpeg", Image, encoded(t, "jpeg", pic), 256, 192},
		{"png", Image, encoded(t, "png", pic), 256, 192},
		{"gif", Image, encoded(t, "gif", pic), 256, 192},
		{"bmp", Image, encoded(t, "bmp", pic), 256, 192},
		{"tiff", Image, encoded(t, "tiff", pic), 256, 192},
		{"webp", Image, testdata(t, "sample.webp"), 64, 48}, // smaller than the edge: not enlarged
		{"portrait png", Image, encoded(t, "png", gradient(100, 400)), 64, 256},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := r.Render(context.Background(), c.kind, bytes.NewReader(c.src), int64(len(c.src)), 256)
			if err != nil {
				t.Fatal(err)
			}
			if cfg := decodeJPEG(t, out); cfg.Width != c.w || cfg.Height != c.h {
				t.Fatalf("thumbnail is %d×%d, want %d×%d", cfg.Width, cfg.Height, c.w, c.h)
			}
		})
	}
}

func TestRenderVideoAndPDF(t *testing.T) {
	r := NewRenderer(Options{})
	for _, c := range []struct {
		name string
		kind Kind
		file string
		w, h int
	}{
		{"mp4 first frame", Video, "sample.mp4", 256, 192},
		{"pdf first page", PDF, "sample.pdf", 256, 128},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !r.Supports(c.kind) {
				t.Skip("tool not installed (ffmpeg / poppler-utils)")
			}
			src := testdata(t, c.file)
			out, err := r.Render(context.Background(), c.kind, bytes.NewReader(src), int64(len(src)), 256)
			if err != nil {
				t.Fatal(err)
			}
			if cfg := decodeJPEG(t, out); cfg.Width != c.w || cfg.Height != c.h {
				t.Fatalf("thumbnail is %d×%d, want %d×%d", cfg.Width, cfg.Height, c.w, c.h)
			}
		})
	}
}

// pngHeader is a PNG that claims w×h pixels and holds none: a decoder that
// trusted it would allocate w×h×4 bytes.
func pngHeader(w, h uint32) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&buf, binary.BigEndian, uint32(len(data)))
		c := append([]byte(typ), data...)
		buf.Write(c)
		_ = binary.Write(&buf, binary.BigEndian, crc32.ChecksumIEEE(c))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return buf.Bytes()
}

// allocated is how many bytes f allocated on the heap (a bound on memory,
// not a timing).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A 100-megapixel image and malformed ones are refused from their header,
// without the heap growing by anything like their pixels (400 MB here).
func TestRenderRefusesHugeAndMalformedWithoutDecoding(t *testing.T) {
	r := NewRenderer(Options{MaxPixels: 50_000_000})
	truncated := encoded(t, "jpeg", gradient(640, 480))[:300]
	cases := []struct {
		name string
		kind Kind
		src  []byte
		want error
	}{
		{"100 MP png", Image, pngHeader(10000, 10000), ErrTooLarge},
		{"100 MP gif", Image, gifHeader(10000, 10000), ErrTooLarge},
		{"garbage", Image, []byte("\xff\xd8\xff not really a jpeg at all"), ErrMalformed},
		{"truncated jpeg", Image, truncated, ErrMalformed},
		{"zip named .jpg", Image, []byte("PK\x03\x04 a zip"), ErrMalformed},
		{"no kind", None, []byte("hello"), ErrUnsupported},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			n := allocated(func() {
				_, err = r.Render(context.Background(), c.kind, bytes.NewReader(c.src), int64(len(c.src)), 256)
			})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if n > 8<<20 {
				t.Fatalf("refusing it allocated %d MB", n>>20)
			}
		})
	}
}

// gifHeader is a GIF whose logical screen is w×h with no frame.
func gifHeader(w, h uint16) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	return append(b, 0, 0, 0, 0x3b)
}

func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		mime, name string
		want       Kind
	}{
		{"image/jpeg", "a.bin", Image},
		{"image/webp", "", Image},
		{"", "IMG_001.JPG", Image},
		{"application/octet-stream", "x.tiff", Image},
		{"video/mp4", "", Video},
		{"", "clip.mov", Video},
		{"application/pdf", "", PDF},
		{"", "paper.PDF", PDF},
		{"image/svg+xml", "a.svg", None}, // scripts, not pixels: never rendered
		{"text/plain", "a.txt", None},
	} {
		if got := KindOf(c.mime, c.name); got != c.want {
			t.Errorf("KindOf(%q, %q) = %v, want %v", c.mime, c.name, got, c.want)
		}
	}
}
