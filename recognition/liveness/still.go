package liveness

import (
	"encoding/binary"
	"image"
)

// frameDigest is a hash of every 8th row of the frame's pixels, or 0 when
// there is no frame or its type is not one read directly. Two frames of a
// real camera never share it — sensor noise changes pixels in every
// frame, even of a still scene — so equal digests mean the same picture
// handed again: a still image played as a video, an image sequence of one
// photo, a frozen camera (BenchmarkFrameDigest).
func frameDigest(img image.Image) uint64 {
	var pix []byte
	var stride, rowBytes, h int
	switch m := img.(type) {
	case *image.RGBA:
		pix, stride, rowBytes, h = m.Pix, m.Stride, 4*m.Rect.Dx(), m.Rect.Dy()
	case *image.Gray:
		pix, stride, rowBytes, h = m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy()
	default:
		return 0
	}
	const offset, prime = 14695981039346656037, 1099511628211 // FNV-1a, a word at a time
	d := uint64(offset)
	for y := 0; y < h; y += 8 {
		row := pix[y*stride : y*stride+rowBytes]
		for ; len(row) >= 8; row = row[8:] {
			d = (d ^ binary.LittleEndian.Uint64(row)) * prime
		}
		for _, b := range row {
			d = (d ^ uint64(b)) * prime
		}
	}
	if d == 0 {
		d = 1
	}
	return d
}
