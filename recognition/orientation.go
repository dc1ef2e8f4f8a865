package recognition

import (
	"bytes"
	"image"
	"io"

	"github.com/bep/imagemeta"
	"golang.org/x/image/riff"
)

// exifOrientation reads the EXIF Orientation tag (1–8) of a JPEG, PNG or
// WebP with github.com/bep/imagemeta (Hugo's metadata reader: fuzzed, with
// limits on tag count and size). 1 (as stored) when there is none or the
// metadata is unreadable: a damaged EXIF block must not refuse a photo
// whose pixels are fine.
func exifOrientation(data []byte, format string) int {
	var f imagemeta.ImageFormat
	switch format {
	case "jpeg":
		f = imagemeta.JPEG
	case "png":
		f = imagemeta.PNG
	case "webp":
		// imagemeta v1.0.1 loses its place in a WebP whose image chunk
		// has odd length (RIFF pads it; libwebp writes such files), so
		// the EXIF chunk is found with x/image/riff and read as the
		// TIFF structure it is.
		data = webpEXIF(data)
		if data == nil {
			return 1
		}
		f = imagemeta.TIFF
	default:
		return 1
	}
	o := 1
	_, err := imagemeta.Decode(imagemeta.Options{
		R:           bytes.NewReader(data),
		ImageFormat: f,
		Sources:     imagemeta.EXIF,
		ShouldHandleTag: func(ti imagemeta.TagInfo) bool {
			return ti.Tag == "Orientation" && ti.Namespace == "IFD0"
		},
		HandleTag: func(ti imagemeta.TagInfo) error {
			if v, ok := toInt(ti.Value); ok && v >= 1 && v <= 8 {
				o = v
			}
			return imagemeta.ErrStopWalking
		},
		Warnf:        func(string, ...any) {},
		LimitNumTags: 1000,
	})
	if err != nil {
		return 1
	}
	return o
}

// webpEXIF returns the payload of a WebP file's EXIF chunk (without the
// "Exif\0\0" prefix some writers add), or nil.
func webpEXIF(data []byte) []byte {
	form, r, err := riff.NewReader(bytes.NewReader(data))
	if err != nil || form != (riff.FourCC{'W', 'E', 'B', 'P'}) {
		return nil
	}
	for {
		id, n, chunk, err := r.Next()
		if err != nil {
			return nil
		}
		if id != (riff.FourCC{'E', 'X', 'I', 'F'}) {
			continue
		}
		if n > MaxImageBytes {
			return nil
		}
		b, err := io.ReadAll(chunk)
		if err != nil {
			return nil
		}
		return bytes.TrimPrefix(b, []byte("Exif\x00\x00"))
	}
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case uint16:
		return int(n), true
	case uint32:
		return int(n), true
	case int:
		return n, true
	case int64:
		return int(n), true
	case uint8:
		return int(n), true
	}
	return 0, false
}

// orient turns an image stored with EXIF orientation o upright, as the
// TIFF/EXIF specification defines the eight values (row 0 / column 0 of the
// stored image are, in turn: 1 top/left, 2 top/right, 3 bottom/right,
// 4 bottom/left, 5 left/top, 6 right/top, 7 right/bottom, 8 left/bottom).
// 6 is a phone held upright whose sensor stored it rotated 90°
// counter-clockwise. Orientation 1 returns img unchanged; the others a new
// zero-origin *image.RGBA, written from img one stored row at a time, so
// the only copy of the photo is the result (4 bytes a pixel).
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	// to maps a pixel of the stored image to the upright one.
	var to func(x, y int) (int, int)
	switch o {
	case 2:
		to = func(x, y int) (int, int) { return w - 1 - x, y }
	case 3:
		to = func(x, y int) (int, int) { return w - 1 - x, h - 1 - y }
	case 4:
		to = func(x, y int) (int, int) { return x, h - 1 - y }
	case 5:
		to = func(x, y int) (int, int) { return y, x }
	case 6:
		to = func(x, y int) (int, int) { return h - 1 - y, x }
	case 7:
		to = func(x, y int) (int, int) { return h - 1 - y, w - 1 - x }
	case 8:
		to = func(x, y int) (int, int) { return y, w - 1 - x }
	}
	rows := newRowReader(img, b)
	for sy := range h {
		row := rows.row(sy)
		for sx := range w {
			x, y := to(sx, sy)
			copy(dst.Pix[y*dst.Stride+4*x:y*dst.Stride+4*x+4], row[4*sx:4*sx+4])
		}
	}
	return dst
}
