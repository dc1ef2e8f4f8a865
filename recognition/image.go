package recognition

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // decoders registered for LoadImage
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
)

// Limits on images accepted from outside. A header claiming 20000×20000
// pixels would need 1.6 GB to decode; it is refused from the header alone.
const (
	MaxImagePixels = 40_000_000 // 40 MP: larger than any camera frame or phone photo
	MaxImageSide   = 16_384
	MinImageSide   = 32       // smaller than dlib's 80×80 HOG window even upsampled twice
	MaxImageBytes  = 64 << 20 // an encoded file larger than this is not a photo
)

// Errors of LoadImage, checked with errors.Is. Each names what was wrong.
var (
	ErrEmptyImage     = errors.New("image is empty (0 bytes)")
	ErrUnknownFormat  = errors.New("not a JPEG, PNG or GIF image")
	ErrCorruptImage   = errors.New("image is truncated or corrupt")
	ErrImageTooLarge  = errors.New("image is too large")
	ErrImageTooSmall  = errors.New("image is too small to hold a face")
	ErrImageFileLarge = errors.New("image file is too large")
)

// LoadImageFile reads and decodes an image file with LoadImage.
func LoadImageFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("recognition: %w", err)
	}
	defer f.Close()
	img, err := LoadImage(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// LoadImage decodes an image from outside (a file, an upload) safely: the
// size is checked from the header before any pixel is decoded, and every
// failure is one of the errors above, wrapped with detail.
func LoadImage(r io.Reader) (image.Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("recognition: read image: %w", err)
	}
	return DecodeImage(data)
}

// DecodeImage is LoadImage for bytes already in memory.
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
			return nil, ErrUnknownFormat
		}
		return nil, fmt.Errorf("%w: %v", ErrCorruptImage, err)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptImage, format, err)
	}
	return img, nil
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
