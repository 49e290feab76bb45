package thumb

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// quadrants is a 64×32 picture: red, green on top; blue, yellow below.
func quadrants() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 64; x++ {
			c := [2][2]color.RGBA{{{255, 0, 0, 255}, {0, 255, 0, 255}}, {{0, 0, 255, 255}, {255, 255, 0, 255}}}[y/16][x/32]
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// withOrientation puts an EXIF segment saying o right after the JPEG's SOI,
// as a camera writes it.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func withOrientation(jpg []byte, o uint16, bo byteOrder) []byte {
	tiff := []byte("II")
	if bo == binary.BigEndian {
		tiff = []byte("MM")
	}
	tiff = bo.AppendUint16(tiff, 42)
	tiff = bo.AppendUint32(tiff, 8)
	tiff = bo.AppendUint16(tiff, 1) // one entry
	tiff = bo.AppendUint16(tiff, tagOrient)
	tiff = bo.AppendUint16(tiff, typeShort)
	tiff = bo.AppendUint32(tiff, 1)
	tiff = bo.AppendUint16(tiff, o)
	tiff = append(tiff, 0, 0)
	tiff = bo.AppendUint32(tiff, 0) // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, 0xFF, markerAPP1)
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func near(a, b color.RGBA) bool {
	d := func(x, y uint8) int { return max(int(x), int(y)) - min(int(x), int(y)) }
	return d(a.R, b.R) < 60 && d(a.G, b.G) < 60 && d(a.B, b.B) < 60
}

// TestRenderTurnsJPEGUpright: a photo stored sideways with its EXIF
// Orientation gets an upright thumbnail, for each of the eight values and
// either byte order; no or broken EXIF leaves it as stored.
func TestRenderTurnsJPEGUpright(t *testing.T) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, quadrants(), &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	red, green, blue, yellow := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}, color.RGBA{0, 0, 255, 255}, color.RGBA{255, 255, 0, 255}
	// What shows at the top left once turned, and whether the sides swap.
	want := map[uint16]struct {
		corner color.RGBA
		swap   bool
	}{
		1: {red, false}, 2: {green, false}, 3: {yellow, false}, 4: {blue, false},
		5: {red, true}, 6: {blue, true}, 7: {yellow, true}, 8: {green, true},
	}
	type tc struct {
		name string
		src  []byte
		o    uint16 // what the file says
	}
	// An EXIF segment whose first IFD lies past its end.
	broken := withOrientation(plain, 6, binary.LittleEndian)
	binary.LittleEndian.PutUint32(broken[2+4+6+4:], 0xFFFFFFF0)
	cases := []tc{{"no EXIF", plain, 1}, {"a broken EXIF", broken, 1}}
	for o := uint16(1); o <= 8; o++ {
		for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
			cases = append(cases, tc{fmt.Sprintf("%s, orientation %d", bo, o), withOrientation(plain, o, bo), o})
		}
	}
	r := NewRenderer(Options{})
	for _, c := range cases {
		name, src, o := c.name, c.src, c.o
		out, err := r.Render(context.Background(), Image, bytes.NewReader(src), int64(len(src)), 256)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("%s: the thumbnail is no JPEG: %v", name, err)
		}
		w, h := 64, 32
		if want[o].swap {
			w, h = 32, 64
		}
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Errorf("%s: %d×%d, want %d×%d", name, b.Dx(), b.Dy(), w, h)
			continue
		}
		c := color.RGBAModel.Convert(img.At(4, 4)).(color.RGBA)
		if !near(c, want[o].corner) {
			t.Errorf("%s: top left is %v, want %v", name, c, want[o].corner)
		}
	}
}
