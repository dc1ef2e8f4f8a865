package recognition_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/image/bmp"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/tiff"

	"facelogin/internal/testdata"
	"facelogin/recognition"
)

// upright is a real photo (elkie.jpg) scaled to 300×200: small enough to
// transform quickly, asymmetric enough that every wrong orientation shows.
func upright(t testing.TB) *image.RGBA {
	t.Helper()
	src, err := recognition.DecodeImage(photoBytes(t, "elkie.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	dst := image.NewRGBA(image.Rect(0, 0, 300, 200))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), xdraw.Src, nil)
	return dst
}

// webpOf encodes img as lossless WebP with ffmpeg (libwebp); with o > 0 it
// rewrites the file in the extended format with an EXIF chunk.
func webpOf(t testing.TB, img image.Image, o int) []byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		testdata.Require(t, "ffmpeg (make deps)", err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.png"), filepath.Join(dir, "out.webp")
	if err := os.WriteFile(in, pngOf(t, img), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("ffmpeg", "-loglevel", "error", "-i", in, "-c:v", "libwebp", "-lossless", "1", out).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	w, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if o == 0 {
		return w
	}
	if string(w[12:16]) != "VP8L" {
		t.Fatalf("ffmpeg wrote a %q WebP, want simple lossless", w[12:16])
	}
	b := img.Bounds()
	chunk := func(id string, data []byte) []byte {
		c := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
		c = append(c, data...)
		if len(data)%2 == 1 {
			c = append(c, 0)
		}
		return c
	}
	vp8x := make([]byte, 10)
	vp8x[0] = 1 << 3 // EXIF present
	wm, hm := b.Dx()-1, b.Dy()-1
	vp8x[4], vp8x[5], vp8x[6] = byte(wm), byte(wm>>8), byte(wm>>16)
	vp8x[7], vp8x[8], vp8x[9] = byte(hm), byte(hm>>8), byte(hm>>16)
	body := append([]byte("WEBP"), chunk("VP8X", vp8x)...)
	body = append(body, w[12:]...) // the VP8L chunk as written
	body = append(body, chunk("EXIF", testdata.EXIFOrientation(o))...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// meanAbsDiff compares two images of the same size channel by channel.
func meanAbsDiff(t testing.TB, a, b image.Image) float64 {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("size %v, want %v", a.Bounds().Size(), b.Bounds().Size())
	}
	var sum float64
	n := 0
	ab, bb := a.Bounds(), b.Bounds()
	for y := range ab.Dy() {
		for x := range ab.Dx() {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			for _, d := range []int{int(r1>>8) - int(r2>>8), int(g1>>8) - int(g2>>8), int(b1>>8) - int(b2>>8)} {
				sum += float64(max(d, -d))
			}
			n += 3
		}
	}
	return sum / float64(n)
}

// TestDecodeImageOrientation: a photo stored in any of the eight EXIF
// orientations, as JPEG, PNG (eXIf) and WebP, decodes upright. PNG and
// lossless WebP must match the upright pixels exactly; JPEG within its
// compression noise (a wrong orientation differs by ~40 or has the wrong
// size).
func TestDecodeImageOrientation(t *testing.T) {
	u := upright(t)
	uJPEG, err := recognition.DecodeImage(testdata.JPEGWithOrientation(t, u, 1))
	if err != nil {
		t.Fatal(err)
	}
	for o := 1; o <= 8; o++ {
		s := testdata.StoredWithOrientation(u, o)
		for _, tc := range []struct {
			format string
			data   func() []byte
			want   image.Image
			tol    float64
		}{
			{"png", func() []byte { return testdata.PNGWithOrientation(t, s, o) }, u, 0},
			{"jpeg", func() []byte { return testdata.JPEGWithOrientation(t, s, o) }, uJPEG, 4},
			{"webp", func() []byte { return webpOf(t, s, o) }, u, 0},
		} {
			t.Run(tc.format+"/"+string(rune('0'+o)), func(t *testing.T) {
				img, err := recognition.DecodeImage(tc.data())
				if err != nil {
					t.Fatal(err)
				}
				if d := meanAbsDiff(t, img, tc.want); d > tc.tol {
					t.Fatalf("orientation %d: mean difference %.2f from upright, want ≤ %.0f", o, d, tc.tol)
				}
			})
		}
	}
}

// TestDecodeWebP: plain WebP (no EXIF) decodes to the same pixels.
func TestDecodeWebP(t *testing.T) {
	u := upright(t)
	img, err := recognition.DecodeImage(webpOf(t, u, 0))
	if err != nil {
		t.Fatal(err)
	}
	if d := meanAbsDiff(t, img, u); d != 0 {
		t.Fatalf("lossless WebP differs by %.2f", d)
	}
}

// TestUnsupportedFormats: formats people have but we do not read are named
// in the error, with what to do and the formats that are read. TIFF and BMP
// are real files of a real photo: their decoders are linked into the
// program (Fyne brings them), and must not be used behind the README's back.
func TestUnsupportedFormats(t *testing.T) {
	ftyp := func(brand string) []byte {
		b := binary.BigEndian.AppendUint32(nil, 24)
		b = append(b, "ftyp"+brand+"\x00\x00\x00\x00mif1"+brand...)
		return append(b, make([]byte, 64)...)
	}
	u := upright(t)
	encoded := func(enc func(io.Writer, image.Image) error) []byte {
		var buf bytes.Buffer
		if err := enc(&buf, u); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"heic", "HEIC", ftyp("heic")},
		{"heif mif1", "HEIC", ftyp("mif1")},
		{"avif", "AVIF", ftyp("avif")},
		{"tiff header", "TIFF", append([]byte("II*\x00"), make([]byte, 64)...)},
		{"tiff photo", "TIFF", encoded(func(w io.Writer, m image.Image) error { return tiff.Encode(w, m, nil) })},
		{"tiff photo deflate", "TIFF", encoded(func(w io.Writer, m image.Image) error {
			return tiff.Encode(w, m, &tiff.Options{Compression: tiff.Deflate})
		})},
		{"bmp photo", "BMP", encoded(bmp.Encode)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := recognition.DecodeImage(tc.data)
			if !errors.Is(err, recognition.ErrUnsupportedFormat) || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), "JPEG, PNG, GIF and WebP are read") {
				t.Fatalf("got %v, want ErrUnsupportedFormat naming %s and the formats read", err, tc.want)
			}
		})
	}
}

// TestAnimatedWebP: an animated WebP (made by libwebp's img2webp from two
// frames of a real photo) is called animated, with what to do, not
// damaged; a still WebP of the same frame decodes.
func TestAnimatedWebP(t *testing.T) {
	if _, err := exec.LookPath("img2webp"); err != nil {
		testdata.Require(t, "img2webp (Debian webp)", err)
	}
	dir := t.TempDir()
	u := upright(t)
	flipped := image.NewRGBA(u.Rect)
	for y := range u.Rect.Dy() {
		copy(flipped.Pix[y*flipped.Stride:], u.Pix[(u.Rect.Dy()-1-y)*u.Stride:(u.Rect.Dy()-y)*u.Stride])
	}
	var frames []string
	for i, img := range []image.Image{u, flipped} {
		name := filepath.Join(dir, fmt.Sprintf("f%d.png", i))
		if err := os.WriteFile(name, pngOf(t, img), 0o600); err != nil {
			t.Fatal(err)
		}
		frames = append(frames, name)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"lossless", []string{"-lossless"}},
		{"lossy", []string{"-lossy", "-q", "80"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name+".webp")
			args := append(append([]string{}, tc.args...), frames[0], "-d", "100", frames[1], "-o", out)
			if b, err := exec.Command("img2webp", args...).CombinedOutput(); err != nil {
				t.Fatalf("img2webp: %v\n%s", err, b)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			_, err = recognition.DecodeImage(data)
			if !errors.Is(err, recognition.ErrAnimatedImage) || errors.Is(err, recognition.ErrCorruptImage) ||
				!strings.Contains(err.Error(), "animated WebP") || !strings.Contains(err.Error(), "one frame") {
				t.Fatalf("got %v, want ErrAnimatedImage saying animated WebP and to export one frame", err)
			}
		})
	}
	if _, err := recognition.DecodeImage(webpOf(t, u, 0)); err != nil {
		t.Fatalf("a still WebP: %v", err)
	}
}

// png16Bomb is a valid 16-bit RGB PNG of w×h pixels, all black, that
// deflate squeezes to a tiny file: the decompression bomb of the field
// report (40 MP, ~300 KB, 1.6 GB and 14 s to decode naively).
func png16Bomb(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA64(image.Rect(0, 0, 64, 64))
	p := pngOf(t, img)
	binary.BigEndian.PutUint32(p[16:], uint32(w))
	binary.BigEndian.PutUint32(p[20:], uint32(h))
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	return p
}

// vp8lHeader is the header of a lossless WebP of w×h pixels (WebP
// lossless bitstream specification: signature 0x2f, then 14-bit width−1
// and height−1, alpha and version bits) with no image data.
func vp8lHeader(w, h int) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBPVP8L\x05\x00\x00\x00\x2f")
	b = binary.LittleEndian.AppendUint32(b, uint32(w-1)|uint32(h-1)<<14)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return append(b, 0)
}

// TestDecompressionBomb: the memory a header promises (pixels × bytes per
// pixel) is bounded before decoding, so a small file cannot make a kiosk
// swap; an 8-bit image of the same size class still decodes.
func TestDecompressionBomb(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"40 MP 16-bit PNG", png16Bomb(t, 8000, 5000), recognition.ErrImageTooLarge},
		{"24 MP 16-bit PNG", png16Bomb(t, 6000, 4000), recognition.ErrImageTooLarge},
		{"40 MP 16-bit grey PNG", func() []byte {
			p := pngOf(t, image.NewGray16(image.Rect(0, 0, 64, 64)))
			binary.BigEndian.PutUint32(p[16:], 8000)
			binary.BigEndian.PutUint32(p[20:], 5000)
			binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
			return p
		}(), nil}, // 2 bytes a pixel: 80 MB, within the bound (header only: decoding fails as corrupt)
		// A lossless WebP decodes through two full NRGBA buffers (8 bytes
		// a pixel): the field report's 1.6 KB 8000×5000 file took 1.5 GB.
		{"40 MP lossless WebP", vp8lHeader(8000, 5000), recognition.ErrImageTooLarge},
		{"20 MP lossless WebP", vp8lHeader(5000, 4000), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := recognition.DecodeImage(tc.data)
			if tc.want == nil {
				if errors.Is(err, recognition.ErrImageTooLarge) {
					t.Fatalf("refused an image within the bound: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), "bytes per pixel") {
				t.Fatalf("got %v, want %v naming bytes per pixel", err, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Logf("refusal took %v: was it decoded?", d)
			}
		})
	}
	t.Run("allocations", func(t *testing.T) {
		bomb := png16Bomb(t, 8000, 5000)
		allocs := testing.AllocsPerRun(1, func() { recognition.DecodeImage(bomb) })
		var ms1, ms2 = new(runtimeMem), new(runtimeMem)
		ms1.read()
		recognition.DecodeImage(bomb)
		ms2.read()
		if grew := ms2.total - ms1.total; grew > 16<<20 {
			t.Fatalf("refusing the bomb allocated %d MB (%.0f allocations)", grew>>20, allocs)
		}
	})
}

// TestNotRegularFiles: a FIFO with no writer, a directory and a device are
// refused by name before they are opened for reading; none of them hangs.
func TestNotRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "photo.jpg")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.jpg")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{fifo, "named pipe"},
		{link, "named pipe"},
		{dir, "directory"},
		{"/dev/zero", "character device"},
		{"/dev/null", "character device"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := recognition.LoadImageFile(tc.path)
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, recognition.ErrNotRegularFile) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want ErrNotRegularFile naming %q", err, tc.want)
				}
			case <-time.After(time.Minute):
				t.Fatal("LoadImageFile hung")
			}
		})
	}
	// A regular file still loads, through a symlink too.
	photo := filepath.Join(dir, "elkie.jpg")
	if err := os.WriteFile(photo, photoBytes(t, "elkie.jpg"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(photo, filepath.Join(dir, "elkie-link.jpg")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{photo, filepath.Join(dir, "elkie-link.jpg")} {
		if _, err := recognition.LoadImageFile(p); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
}

type runtimeMem struct{ total uint64 }

func (m *runtimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.total = s.TotalAlloc
}
