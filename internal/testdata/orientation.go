package testdata

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"testing"
)

// Photos as phones store them: the pixels turned, an EXIF Orientation tag
// saying how to turn them back. Tests build them from the shared photos.

// The two primitives every stored orientation is built from.
func rotCW(src *image.RGBA) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			dst.Set(b.Dy()-1-y, x, src.At(x, y))
		}
	}
	return dst
}

func flipH(src *image.RGBA) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(b)
	for y := range b.Dy() {
		for x := range b.Dx() {
			dst.Set(b.Dx()-1-x, y, src.At(x, y))
		}
	}
	return dst
}

func rotCCW(src *image.RGBA) *image.RGBA { return rotCW(rotCW(rotCW(src))) }

// StoredWithOrientation is how a camera stores the upright picture u under EXIF
// orientation o, so that a viewer applying the tag shows u: 6 is the
// picture turned 90° counter-clockwise, 8 clockwise, 5 and 7 those mirrored.
func StoredWithOrientation(u *image.RGBA, o int) *image.RGBA {
	switch o {
	case 2:
		return flipH(u)
	case 3:
		return rotCW(rotCW(u))
	case 4:
		return flipH(rotCW(rotCW(u)))
	case 5:
		return flipH(rotCW(u)) // transpose
	case 6:
		return rotCCW(u)
	case 7:
		return rotCW(flipH(u)) // transverse
	case 8:
		return rotCW(u)
	}
	return u
}

// EXIFOrientation is a minimal little-endian EXIF block: IFD0 with one entry,
// Orientation (0x0112, SHORT) = o.
func EXIFOrientation(o int) []byte {
	b := []byte("II*\x00")
	b = binary.LittleEndian.AppendUint32(b, 8)
	b = binary.LittleEndian.AppendUint16(b, 1)     // one entry
	b = binary.LittleEndian.AppendUint16(b, 0x112) // Orientation
	b = binary.LittleEndian.AppendUint16(b, 3)     // SHORT
	b = binary.LittleEndian.AppendUint32(b, 1)     // count
	b = binary.LittleEndian.AppendUint16(b, uint16(o))
	b = append(b, 0, 0)
	return binary.LittleEndian.AppendUint32(b, 0) // no next IFD
}

// JPEGWithOrientation encodes img as a JPEG with an APP1 Exif segment.
func JPEGWithOrientation(t testing.TB, img image.Image, o int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	payload := append([]byte("Exif\x00\x00"), EXIFOrientation(o)...)
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	j := buf.Bytes()
	return append(append(append([]byte{}, j[:2]...), seg...), j[2:]...)
}

// PNGWithOrientation encodes img as a PNG with an eXIf chunk before IDAT.
func PNGWithOrientation(t testing.TB, img image.Image, o int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := buf.Bytes()
	i := bytes.Index(p, []byte("IDAT")) - 4
	data := EXIFOrientation(o)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	chunk = append(chunk, "eXIf"...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append(append(append([]byte{}, p[:i]...), chunk...), p[i:]...)
}
