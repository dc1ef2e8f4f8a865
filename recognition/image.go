package recognition

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // decoders registered for DecodeImage
	_ "image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"os"
	"syscall"

	_ "golang.org/x/image/webp"
)

// Limits on images accepted from outside. A header claiming 20000×20000
// pixels would need 1.6 GB to decode; it is refused from the header alone.
const (
	MaxImagePixels = 40_000_000 // 40 MP: larger than any camera frame or phone photo
	MaxImageSide   = 16_384
	MinImageSide   = 32       // smaller than dlib's 80×80 HOG window even upsampled twice
	MaxImageBytes  = 64 << 20 // an encoded file larger than this is not a photo
	// MaxDecodedBytes bounds the memory a decoded image may take: pixels ×
	// bytes per pixel of the format's colour model, read from the header
	// before decoding. 160 MB is a 40 MP photo at 8 bits per channel; a
	// 16-bit PNG (8 bytes a pixel) may have 20 MP.
	MaxDecodedBytes = MaxImagePixels * 4
)

// Errors of LoadImageFile and DecodeImage, checked with errors.Is. Each
// names what was wrong.
var (
	ErrEmptyImage        = errors.New("image is empty (0 bytes)")
	ErrUnknownFormat     = errors.New("not a JPEG, PNG, GIF or WebP image")
	ErrUnsupportedFormat = errors.New("image format not supported")
	ErrCorruptImage      = errors.New("image is truncated or corrupt")
	ErrImageTooLarge     = errors.New("image is too large")
	ErrImageTooSmall     = errors.New("image is too small to hold a face")
	ErrImageFileLarge    = errors.New("image file is too large")
	ErrNotRegularFile    = errors.New("not a regular file")
)

// LoadImageFile reads and decodes a photo file with DecodeImage. Anything
// that is not a regular file (a directory, a named pipe, a device, a
// socket) is refused with ErrNotRegularFile before it is opened for
// reading, so a FIFO with no writer cannot hang the caller. Every photo the
// program reads from a path goes through here.
func LoadImageFile(path string) (image.Image, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("recognition: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: it is %s", path, ErrNotRegularFile, fileKind(st.Mode()))
	}
	// O_NONBLOCK: should the path be swapped for a FIFO after the Stat,
	// the open still returns at once, and the Stat of the open file below
	// refuses it. It changes nothing for regular files.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("recognition: %w", err)
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("recognition: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: it is %s", path, ErrNotRegularFile, fileKind(st.Mode()))
	}
	if st.Size() > MaxImageBytes {
		return nil, fmt.Errorf("%s: %w: %d MB, at most %d MB", path, ErrImageFileLarge, st.Size()>>20, MaxImageBytes>>20)
	}
	img, err := LoadImage(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// fileKind names a file type for people.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

// LoadImage decodes an image from outside (an upload, a pipe) with
// DecodeImage, reading at most MaxImageBytes+1 bytes.
func LoadImage(r io.Reader) (image.Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("recognition: read image: %w", err)
	}
	return DecodeImage(data)
}

// DecodeImage is the one decoder for photos from outside (enrol, identify,
// verify, detect, models verify --image). It accepts JPEG, PNG, GIF and
// WebP; the size and the decoded memory (pixels × bytes per pixel) are
// checked from the header before any pixel is decoded; the EXIF Orientation
// tag (all eight values) is applied, so the image comes back upright as a
// viewer shows it. Every failure is one of the errors above, wrapped with
// detail.
func DecodeImage(data []byte) (image.Image, error) {
	switch {
	case len(data) == 0:
		return nil, ErrEmptyImage
	case len(data) > MaxImageBytes:
		return nil, fmt.Errorf("%w: more than %d MB", ErrImageFileLarge, MaxImageBytes>>20)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			if name := unsupportedFormat(data); name != "" {
				return nil, fmt.Errorf("%w: %s; export or save it as JPEG", ErrUnsupportedFormat, name)
			}
			return nil, ErrUnknownFormat
		}
		return nil, fmt.Errorf("%w: %v", ErrCorruptImage, err)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	if bpp := bytesPerPixel(cfg.ColorModel); int64(cfg.Width)*int64(cfg.Height)*int64(bpp) > MaxDecodedBytes {
		return nil, fmt.Errorf("%w: %d×%d pixels at %d bytes per pixel (%s) would take %d MB to decode, at most %d MB; scale it down or save it with 8 bits per channel",
			ErrImageTooLarge, cfg.Width, cfg.Height, bpp, format, int64(cfg.Width)*int64(cfg.Height)*int64(bpp)>>20, MaxDecodedBytes>>20)
	}
	orientation := exifOrientation(data, format)
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptImage, format, err)
	}
	return orient(img, orientation), nil
}

// bytesPerPixel is what one pixel of a decoded image of colour model m
// takes in memory; unknown models count as the largest (8).
func bytesPerPixel(m color.Model) int {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3 // 4:4:4; subsampled JPEGs take less
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel, color.NYCbCrAModel:
		return 4
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// unsupportedFormat names image formats people have but DecodeImage does not
// read, from their magic bytes; "" if it is none of them.
func unsupportedFormat(b []byte) string {
	switch {
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		switch string(b[8:12]) {
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			return "HEIC/HEIF (the iPhone format)"
		case "avif", "avis":
			return "AVIF"
		}
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return "TIFF"
	case bytes.HasPrefix(b, []byte("BM")) && len(b) > 26:
		return "BMP"
	}
	return ""
}

func checkSize(w, h int) error {
	switch {
	case w > MaxImageSide || h > MaxImageSide || int64(w)*int64(h) > MaxImagePixels:
		return fmt.Errorf("%w: %d×%d pixels (at most %d×%d and %d megapixels); scale it down first",
			ErrImageTooLarge, w, h, MaxImageSide, MaxImageSide, MaxImagePixels/1_000_000)
	case w < MinImageSide || h < MinImageSide:
		return fmt.Errorf("%w: %d×%d pixels (at least %d×%d)", ErrImageTooSmall, w, h, MinImageSide, MinImageSide)
	}
	return nil
}

// CheckImage applies the size limits to an image already decoded (a camera
// frame, say).
func CheckImage(img image.Image) error {
	if img == nil {
		return ErrEmptyImage
	}
	b := img.Bounds()
	return checkSize(b.Dx(), b.Dy())
}

// Opaque returns img with any transparency flattened onto white, as a
// person sees it in a viewer (a PNG with alpha would otherwise turn black
// where it is transparent). Opaque images are returned unchanged.
func Opaque(img image.Image) image.Image {
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		return img
	}
	switch img.(type) {
	case *image.YCbCr, *image.Gray:
		return img
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
	return dst
}
