package thumb

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"golang.org/x/image/draw"
)

// TestBoxShrinkKeepsTheThumbnail: a large photo's thumbnail made through the
// box pre-shrink looks like the one the kernel makes from every pixel
// (mean difference under 2 of 255 a channel), and is the same size.
func TestBoxShrinkKeepsTheThumbnail(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 2003, 1501)) // blocks that do not divide it
	for y := 0; y < 1501; y++ {
		for x := 0; x < 2003; x++ {
			src.SetRGBA(x, y, color.RGBA{uint8(x / 8), uint8(y / 6), uint8((x + y) / 14), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	ycc, ok := img.(*image.YCbCr)
	if !ok {
		t.Fatalf("decoded as %T", img)
	}
	const edge = 256
	if k := shrinkFactor(ycc.Bounds(), edge); k < 2 {
		t.Fatalf("shrink factor %d: the case does not exercise the pre-shrink", k)
	}
	got := scale(ycc, edge)
	want := image.NewRGBA(got.Bounds())
	draw.BiLinear.Scale(want, want.Bounds(), ycc, ycc.Bounds(), draw.Src, nil)
	if got.Bounds() != image.Rect(0, 0, 256, 191) {
		t.Fatalf("thumbnail %v, want 256×191", got.Bounds())
	}
	var diff int
	for i := range got.Pix {
		diff += max(int(got.Pix[i]), int(want.Pix[i])) - min(int(got.Pix[i]), int(want.Pix[i]))
	}
	mean := float64(diff) / float64(len(got.Pix))
	t.Logf("mean difference %.2f of 255 a channel", mean)
	if mean > 2 {
		t.Fatalf("mean difference %.2f a channel from the full kernel's thumbnail", mean)
	}
}
