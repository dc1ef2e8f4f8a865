package recognition

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"golang.org/x/image/webp"
)

// Limits on images accepted from outside. A header claiming 20000×20000
// pixels would need 1.6 GB to decode; it is refused from the header alone.
const (
	MaxImagePixels = 40_000_000 // 40 MP: larger than any camera frame or phone photo
	MaxImageSide   = 16_384
	MinImageSide   = 32      // smaller than dlib's 80×80 HOG window even upsampled twice
	MaxImageBytes  = 64 * MB // an encoded file larger than this is not a photo
	// MaxDecodedBytes bounds the memory decoding may take: pixels × the
	// bytes per pixel the format's decoder holds (see decodeBytesPerPixel),
	// read from the header before decoding. 160 MB is a 40 MP photo at 4
	// bytes per pixel; a 16-bit PNG or a lossless WebP (8 bytes per pixel
	// while decoding) may have 20 MP. Turning a photo upright (EXIF
	// orientation) takes one more copy of at most 4 bytes per pixel, so the
	// decoded photo never holds more than 2 × MaxDecodedBytes. A JPEG is
	// decoded by libjpeg-turbo and bounded by MaxJPEGDecodeBytes, which
	// counts a progressive file's coefficients too (jpeg_turbo.go).
	MaxDecodedBytes = MaxImagePixels * 4
)

// MaxJPEGDecodeBytes bounds the memory decoding one JPEG takes: the
// decoded image (at most MaxDecodedBytes) and the coefficient store of a
// progressive or multi-scan file. 64 MB above MaxDecodedBytes lets a 24 MP
// progressive JPEG with full-resolution colour (4:4:4: 72 MB of planes and
// 144 MB of coefficients, 216 MB of the 224) and a 40 MP progressive 4:2:0
// (60 + 120 MB) through; a 40 MP progressive 4:4:4 (360 MB) or progressive CMYK
// (480 MB) is refused from its header. (Builds without cgo decode JPEG
// with image/jpeg, bounded by MaxDecodedBytes only.)
const MaxJPEGDecodeBytes = MaxDecodedBytes + 64*MB

// MB is the unit every size here is given in, in code, messages and the
// README alike: a megabyte of 1,000,000 bytes (SI, as file managers show
// it).
const MB = 1_000_000

// inMB is n in whole megabytes, rounded up, so a size over a limit is
// never shown equal to it.
func inMB(n int64) int64 { return (n + MB - 1) / MB }

// MaxJPEGScans bounds the scans of a JPEG: each scan of a progressive file
// is a pass over the coefficients of its components (2.6–21 ms for 40 MP
// here, BenchmarkJPEGScans and a field report), so a 1.6 MB file of 20,000
// copies of one scan took 428 s to decode. libjpeg's
// own progressive script writes 10 scans for YCbCr and 6 a component
// otherwise (jcparam.c, jpeg_simple_progression: 24 for CMYK); 100 is
// Skia's limit (SkJpegDecoderMgr.cpp, "much larger than the number of
// scans we might expect in a normal image"), as djpeg -maxscans and
// TurboJPEG's scan limit advise. At 100 scans a 40 MP file costs ~2 s of
// scans at most. (Builds without cgo decode with image/jpeg, unbounded.)
const MaxJPEGScans = 100

// Formats names, for people, the formats DecodeImage reads: one for each
// entry of decoders (TestFormatsAreRead decodes a file of each).
var Formats = []string{"JPEG", "PNG", "GIF", "WebP"}

// FormatNames lists Formats for a sentence: "JPEG, PNG, GIF or WebP"
// with conj "or".
func FormatNames(conj string) string {
	return strings.Join(Formats[:len(Formats)-1], ", ") + " " + conj + " " + Formats[len(Formats)-1]
}

// Errors of LoadImageFile and DecodeImage, checked with errors.Is. Each
// names what was wrong.
var (
	ErrEmptyImage        = errors.New("image is empty (0 bytes)")
	ErrUnknownFormat     = errors.New("not a " + FormatNames("or") + " image")
	ErrAnimatedImage     = errors.New("animated image")
	ErrUnsupportedFormat = errors.New("image format not supported")
	ErrCorruptImage      = errors.New("image is truncated or corrupt")
	ErrImageTooLarge     = errors.New("image is too large")
	ErrImageTooSmall     = errors.New("image is too small to hold a face")
	ErrImageFileLarge    = errors.New("image file is too large")
	ErrNotRegularFile    = errors.New("not a regular file")
	ErrTooManyScans      = errors.New("too many scans")
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
		return nil, fmt.Errorf("%s: %w: %d MB, at most %d MB", path, ErrImageFileLarge, inMB(st.Size()), MaxImageBytes/MB)
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

// Decoders of the formats DecodeImage reads, by the name image.Decode
// gives them. Called directly rather than through image.Decode, whose
// registry holds whatever the program happens to link (Fyne brings a TIFF
// decoder, for one), so the formats read are these four whatever is linked.
var decoders = map[string]struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}{
	"jpeg": {jpeg.DecodeConfig, jpeg.Decode},
	"png":  {png.DecodeConfig, png.Decode},
	"gif":  {gif.DecodeConfig, gif.Decode},
	"webp": {webp.DecodeConfig, webp.Decode},
}

// DecodeImage is the one decoder for photos from outside (enrol, identify,
// verify, detect, models verify --image). It accepts JPEG, PNG, GIF (its
// first frame) and still WebP; TIFF, BMP, HEIC/HEIF, AVIF and animated WebP
// are named and refused. The size and the memory decoding takes (pixels ×
// the decoder's bytes per pixel, at most MaxDecodedBytes) are checked from
// the header before any pixel is decoded; the EXIF Orientation tag (all
// eight values) is applied, so the image comes back upright as a viewer
// shows it. Every failure is one of the errors above, wrapped with detail.
func DecodeImage(data []byte) (image.Image, error) {
	switch {
	case len(data) == 0:
		return nil, ErrEmptyImage
	case len(data) > MaxImageBytes:
		return nil, fmt.Errorf("%w: more than %d MB", ErrImageFileLarge, MaxImageBytes/MB)
	}
	format := formatOf(data)
	if _, ok := decoders[format]; !ok {
		if name := unsupportedFormat(data); name != "" {
			return nil, fmt.Errorf("%w: %s; export or save it as JPEG (%s are read)", ErrUnsupportedFormat, name, FormatNames("and"))
		}
		return nil, ErrUnknownFormat
	}
	if format == "webp" && animatedWebP(data) {
		return nil, errAnimatedWebP
	}
	var img image.Image
	var err error
	if format == "jpeg" {
		img, err = decodeJPEG(data)
	} else {
		img, err = decodeGo(format, data)
	}
	if err != nil {
		return nil, err
	}
	return orient(img, exifOrientation(data, format)), nil
}

var errAnimatedWebP = fmt.Errorf("%w: an animated WebP; export one frame as JPEG, PNG or a still WebP", ErrAnimatedImage)

// decodeGo decodes with the format's Go decoder after bounding the
// decoded size (pixels × decodeBytesPerPixel) from the header.
func decodeGo(format string, data []byte) (image.Image, error) {
	dec := decoders[format]
	cfg, err := dec.config(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptImage, format, err)
	}
	bpp := decodeBytesPerPixel(format, cfg.ColorModel, data)
	if format == "webp" {
		// The config is the VP8X canvas; the frame is decoded at its own
		// size, which must match it.
		l, err := readWebPLayout(data)
		if err != nil {
			return nil, err
		}
		if l.animated {
			return nil, errAnimatedWebP
		}
		if cfg.Width, cfg.Height, err = l.size(); err != nil {
			return nil, err
		}
		if l.doubled() {
			bpp = 8 // NRGBA, twice
		}
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	if need := int64(cfg.Width) * int64(cfg.Height) * int64(bpp); need > MaxDecodedBytes {
		return nil, fmt.Errorf("%w: %d×%d pixels at %d bytes per pixel (%s) would take %d MB to decode, at most %d MB (%d MP × 4 bytes per pixel); scale it down or save it as an 8-bit JPEG or PNG",
			ErrImageTooLarge, cfg.Width, cfg.Height, bpp, format, inMB(need), MaxDecodedBytes/MB, MaxImagePixels/1_000_000)
	}
	img, err := dec.decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptImage, format, err)
	}
	return img, nil
}

// formatOf names the format of data from its magic bytes, as image.Decode
// would; "" for none of the four DecodeImage reads.
func formatOf(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\xff\xd8")):
		return "jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "gif"
	case len(b) >= 16 && string(b[:4]) == "RIFF" && string(b[8:15]) == "WEBPVP8":
		return "webp"
	}
	return ""
}

// animatedWebP reports whether a WebP file is the extended format with its
// animation flag set (WebP container specification, "Extended file
// format": bit 1 of the VP8X flags byte).
func animatedWebP(b []byte) bool {
	return len(b) >= 21 && string(b[12:16]) == "VP8X" && b[20]&0x02 != 0
}

// decodeBytesPerPixel is the memory a format's decoder holds per pixel:
// the decoded image's colour model (bytesPerPixel), doubled for an
// interlaced PNG (its seven passes are decoded apart and merged). WebP's
// second buffer is counted by webpLayout.doubled.
func decodeBytesPerPixel(format string, m color.Model, data []byte) int {
	bpp := bytesPerPixel(m)
	switch {
	case format == "png" && len(data) > 28 && data[28] == 1: // IHDR interlace method: Adam7
		bpp *= 2
	}
	return bpp
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
// where it is transparent). Opaque images are returned unchanged; RGBA,
// NRGBA and paletted images (what DecodeImage returns for PNG, GIF and
// lossless WebP) are flattened in place, so a large photo is not copied;
// other kinds are copied into a new RGBA.
func Opaque(img image.Image) image.Image {
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		return img
	}
	switch m := img.(type) {
	case *image.YCbCr, *image.Gray:
		return img
	case *image.RGBA:
		overWhite(m.Pix, m.Stride, m.Rect, true)
		return m
	case *image.NRGBA:
		overWhite(m.Pix, m.Stride, m.Rect, false)
		return m
	case *image.Paletted:
		pal := make(color.Palette, len(m.Palette))
		for i, c := range m.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			px := []uint8{n.R, n.G, n.B, n.A}
			overWhite(px, 4, image.Rect(0, 0, 1, 1), false)
			pal[i] = color.NRGBA{px[0], px[1], px[2], 255}
		}
		m.Palette = pal
		return m
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
	return dst
}

// overWhite composites the 4-byte pixels of rectangle r (rows stride bytes
// apart) onto white in place: c + (255−a) premultiplied, c·a/255 + 255−a
// not, and alpha 255.
func overWhite(pix []uint8, stride int, r image.Rectangle, premultiplied bool) {
	for y := range r.Dy() {
		row := pix[y*stride : y*stride+4*r.Dx()]
		for i := 0; i < len(row); i += 4 {
			a := uint32(row[i+3])
			for c := i; c < i+3; c++ {
				v := uint32(row[c])
				if !premultiplied {
					v = (v*a + 127) / 255
				}
				row[c] = uint8(min(255, v+255-a))
			}
			row[i+3] = 255
		}
	}
}
