package thumb

import (
	"bufio"
	"encoding/binary"
	"image"
	"io"
)

// A phone stores a photo as its sensor saw it and says in the EXIF
// Orientation tag how to turn it upright; Go's JPEG decoder ignores
// metadata, so the thumbnail is turned here.

const (
	markerSOI  = 0xD8
	markerAPP1 = 0xE1
	markerSOS  = 0xDA
	markerEOI  = 0xD9
	tagOrient  = 0x0112
	typeShort  = 3
)

// jpegOrientation reads a JPEG's EXIF Orientation (1 to 8) from the
// segments before the image data; 1 (as stored) when there is none or it
// cannot be read.
func jpegOrientation(r io.Reader) int {
	br := bufio.NewReader(r)
	var two [2]byte
	if _, err := io.ReadFull(br, two[:]); err != nil || two[0] != 0xFF || two[1] != markerSOI {
		return 1
	}
	for {
		b, err := br.ReadByte()
		if err != nil || b != 0xFF {
			return 1
		}
		marker, err := br.ReadByte()
		for err == nil && marker == 0xFF { // fill bytes
			marker, err = br.ReadByte()
		}
		if err != nil || marker == markerSOS || marker == markerEOI {
			return 1
		}
		if marker >= 0xD0 && marker <= 0xD7 || marker == 0x01 { // no length
			continue
		}
		if _, err := io.ReadFull(br, two[:]); err != nil {
			return 1
		}
		n := int(binary.BigEndian.Uint16(two[:])) - 2
		if n < 0 {
			return 1
		}
		if marker != markerAPP1 {
			if _, err := br.Discard(n); err != nil {
				return 1
			}
			continue
		}
		seg := make([]byte, n)
		if _, err := io.ReadFull(br, seg); err != nil {
			return 1
		}
		if len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
	}
}

// tiffOrientation finds the Orientation entry of a TIFF header's first IFD.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	ifd := int64(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > int64(len(t)) {
		return 1
	}
	count := int64(bo.Uint16(t[ifd:]))
	for i := int64(0); i < count; i++ {
		e := ifd + 2 + 12*i
		if e+12 > int64(len(t)) {
			return 1
		}
		if bo.Uint16(t[e:]) == tagOrient && bo.Uint16(t[e+2:]) == typeShort {
			if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
	}
	return 1
}

// orient turns img as EXIF orientation o says (2: mirrored, 3: upside
// down, 6: turned a quarter to the left, so turned right here, ...).
func orient(img *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 { // the sides swap
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, h-1-x
			case 7:
				sx, sy = w-1-y, h-1-x
			case 8:
				sx, sy = w-1-y, x
			}
			si := img.PixOffset(b.Min.X+sx, b.Min.Y+sy)
			di := dst.PixOffset(x, y)
			copy(dst.Pix[di:di+4], img.Pix[si:si+4])
		}
	}
	return dst
}
