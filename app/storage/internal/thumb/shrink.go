package thumb

import (
	"image"
	"image/color"
)

// A 12-megapixel photo scaled straight to 256 pixels cost most of a render:
// x/image/draw's kernel passes over every source pixel and keeps a float64
// buffer of destination width × source height (20 MB for 4000×3000 to 256).
// Averaging k×k blocks of the decoded YCbCr planes first (a box filter, so
// no aliasing either) leaves it an image twice the thumbnail's size.

// shrinkFactor is the block side that keeps the image at least twice edge
// on its longer side; below 2 there is nothing to gain.
func shrinkFactor(b image.Rectangle, edge int) int {
	return max(b.Dx(), b.Dy()) / (2 * edge)
}

// boxShrink averages src over k×k blocks (the last row and column of
// blocks may be smaller) into an RGBA image. YCbCr to RGB is affine, so the
// average of the colours is the colour of the averages.
func boxShrink(src *image.YCbCr, k int) *image.RGBA {
	b := src.Bounds()
	dw, dh := (b.Dx()+k-1)/k, (b.Dy()+k-1)/k
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for dy := 0; dy < dh; dy++ {
		y0, y1 := b.Min.Y+dy*k, min(b.Min.Y+(dy+1)*k, b.Max.Y)
		for dx := 0; dx < dw; dx++ {
			x0, x1 := b.Min.X+dx*k, min(b.Min.X+(dx+1)*k, b.Max.X)
			var sy, scb, scr, n int
			for y := y0; y < y1; y++ {
				yi := src.YOffset(x0, y)
				for x := x0; x < x1; x++ {
					ci := src.COffset(x, y)
					sy += int(src.Y[yi])
					scb += int(src.Cb[ci])
					scr += int(src.Cr[ci])
					yi++
					n++
				}
			}
			r, g, bl := color.YCbCrToRGB(uint8((sy+n/2)/n), uint8((scb+n/2)/n), uint8((scr+n/2)/n))
			i := dst.PixOffset(dx, dy)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = r, g, bl, 0xFF
		}
	}
	return dst
}
