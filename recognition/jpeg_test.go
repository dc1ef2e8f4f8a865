//go:build cgo

// The JPEG variants are decoded by libjpeg-turbo (jpeg_turbo.go), which
// needs cgo; without it image/jpeg decodes them under the pixel bound only.

package recognition_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"facelogin/internal/testdata"
	"facelogin/recognition"
)

// convertJPEG makes a JPEG with ImageMagick's convert (Debian imagemagick,
// a build dependency): the input arguments, then the output options.
func convertJPEG(t testing.TB, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("convert"); err != nil {
		testdata.Require(t, "ImageMagick convert (make deps)", err)
	}
	out := filepath.Join(t.TempDir(), "out.jpg")
	if b, err := exec.Command("convert", append(args, out)...).CombinedOutput(); err != nil {
		t.Fatalf("convert %v: %v\n%s", args, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// JPEG variants of one 8000×5000 (40 MP) flat colour, a few hundred KB each.
var (
	flat40     = []string{"-size", "8000x5000", "xc:#806040", "-type", "TrueColor"}
	greyFlat40 = []string{"-size", "8000x5000", "xc:#808080", "-colorspace", "Gray"}
)

func joinArgs(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var (
	progressive = []string{"-interlace", "Plane"}
	s444        = []string{"-sampling-factor", "1x1"}
	s420        = []string{"-sampling-factor", "2x2"}
	cmyk        = []string{"-colorspace", "CMYK"}
	q90         = []string{"-quality", "90"}
)

// TestJPEGVariantsMemory: a JPEG's decoding is bounded by what its decoder
// really holds, read from the header (frame, sampling, scans, Adobe
// marker): a progressive file keeps every DCT coefficient until its last
// scan. Go's image/jpeg took 0.7–1.1 GB (4 bytes a coefficient, CMYK
// through extra buffers) for these 40 MP files of 0.2–0.6 MB; libjpeg-turbo
// keeps 2 bytes a coefficient in C memory, freed when decoding ends, and
// writes the planes as stored. The Go memory allocated is the decoded
// image only; a file whose coefficients and planes exceed
// MaxJPEGDecodeBytes is refused from its header, allocating nothing.
func TestJPEGVariantsMemory(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct {
		name    string
		args    []string
		refused bool
		alloc   int64 // Go bytes the decoded image may take
		colour  [3]uint8
	}{
		{"progressive 4:4:4", joinArgs(flat40, s444, progressive, q90), true, 0, [3]uint8{}},
		{"progressive 4:2:0", joinArgs(flat40, s420, progressive, q90), false, 60*mb + 4*mb, [3]uint8{0x80, 0x60, 0x40}},
		{"grey progressive", joinArgs(greyFlat40, progressive, q90), false, 40*mb + 4*mb, [3]uint8{0x80, 0x80, 0x80}},
		{"baseline CMYK", joinArgs(flat40, cmyk, q90), false, 160*mb + 4*mb, [3]uint8{0x80, 0x60, 0x40}},
		{"progressive CMYK", joinArgs(flat40, cmyk, progressive, q90), true, 0, [3]uint8{}},
		{"baseline 4:4:4", joinArgs(flat40, s444, q90), false, 120*mb + 4*mb, [3]uint8{0x80, 0x60, 0x40}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := convertJPEG(t, tc.args...)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			img, err := recognition.DecodeImage(data)
			runtime.ReadMemStats(&after)
			got := int64(after.TotalAlloc - before.TotalAlloc)
			if tc.refused {
				if !errors.Is(err, recognition.ErrImageTooLarge) || !strings.Contains(err.Error(), "progressive") ||
					!strings.Contains(err.Error(), "coefficients") || !strings.Contains(err.Error(), "at most 224 MB") {
					t.Fatalf("got %v, want ErrImageTooLarge naming a progressive JPEG's coefficients and the README's 224 MB", err)
				}
				if got > 4*mb {
					t.Fatalf("refusing took %d MB", got/mb)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got > tc.alloc {
				t.Fatalf("decoding allocated %d MB, bound %d MB", got/mb, tc.alloc/mb)
			}
			b := img.Bounds()
			for _, p := range []image.Point{{0, 0}, {b.Dx() / 2, b.Dy() / 2}, {b.Dx() - 1, b.Dy() - 1}} {
				r, g, bl, _ := img.At(p.X, p.Y).RGBA()
				for i, v := range []uint32{r >> 8, g >> 8, bl >> 8} {
					if d := int(v) - int(tc.colour[i]); d < -6 || d > 6 {
						t.Fatalf("pixel %v = %d,%d,%d, want about %v", p, r>>8, g>>8, bl>>8, tc.colour)
					}
				}
			}
		})
	}
}

// TestJPEGVariantsMatchGo: a real photo (elkie.jpg at 900×600) saved in
// each variant decodes to the pixels Go's image/jpeg gives (within IDCT
// rounding): YCbCr samplings, grey, Adobe CMYK (inverted, as Photoshop
// and ImageMagick write it) and YCCK, baseline and progressive.
func TestJPEGVariantsMatchGo(t *testing.T) {
	src := filepath.Join(testdata.Dir(t), "faces", "elkie.jpg")
	photo := []string{src, "-resize", "900x600!"}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"baseline 4:2:0", joinArgs(photo, s420, q90)},
		{"progressive 4:4:4", joinArgs(photo, s444, progressive, q90)},
		{"progressive 4:2:0", joinArgs(photo, s420, progressive, q90)},
		{"4:2:2", joinArgs(photo, []string{"-sampling-factor", "2x1"}, q90)},
		{"4:4:0", joinArgs(photo, []string{"-sampling-factor", "1x2"}, q90)},
		{"grey progressive", joinArgs(photo, []string{"-colorspace", "Gray"}, progressive, q90)},
		// Adobe transform 2: libjpeg stores CMYK as YCbCr + K.
		{"YCCK", joinArgs(photo, cmyk, []string{"-define", "jpeg:colorspace=5"}, q90)},
		{"CMYK", joinArgs(photo, cmyk, q90)},
		{"CMYK progressive", joinArgs(photo, cmyk, progressive, q90)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := convertJPEG(t, tc.args...)
			want, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			got, err := recognition.DecodeImage(data)
			if err != nil {
				t.Fatal(err)
			}
			if d := meanAbsDiff(t, got, want); d > 1.0 {
				t.Fatalf("mean difference from image/jpeg %.2f per channel (%T against %T)", d, got, want)
			}
		})
	}
}

// jpegScans splits a JPEG into what comes before its first scan, its
// scans (each an SOS segment with its entropy-coded data, after the
// tables defined since the scan before it) and what follows the last (EOI).
func jpegScans(t testing.TB, b []byte) (head []byte, scans [][]byte, tail []byte) {
	t.Helper()
	i, first, prevEnd := 2, 0, 0
	for i+2 <= len(b) {
		if b[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		m := b[i+1]
		if m == 0xD9 {
			if len(scans) == 0 {
				first = i
			}
			return b[:first], scans, b[i:]
		}
		if i+4 > len(b) {
			break
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if m != 0xDA {
			i += 2 + n
			continue
		}
		j := i + 2 + n
		for j+1 < len(b) && (b[j] != 0xFF || b[j+1] == 0 || b[j+1] >= 0xD0 && b[j+1] <= 0xD7) {
			j++
		}
		start := i
		if len(scans) > 0 {
			start = prevEnd
		} else {
			first = i
		}
		scans = append(scans, b[start:j])
		i, prevEnd = j, j
	}
	t.Fatal("no EOI")
	return nil, nil, nil
}

// TestJPEGScanLimit: each scan of a progressive JPEG is a pass over all
// of its coefficients, so a small file of thousands of copies of one scan
// kept the decoder busy for minutes (20,000 copies, 1.6 MB: 428 s). A JPEG
// of up to MaxJPEGScans scans decodes; one more is refused, by count
// (libjpeg's progress monitor), before the rest is read.
func TestJPEGScanLimit(t *testing.T) {
	data := convertJPEG(t, "-size", "640x480", "plasma:fractal", "-seed", "7", "-sampling-factor", "2x2", "-interlace", "Plane", "-quality", "90")
	head, scans, tail := jpegScans(t, data)
	if len(scans) < 6 {
		t.Fatalf("convert wrote %d scans, want a progressive JPEG", len(scans))
	}
	small := scans[0]
	for _, s := range scans {
		if len(s) < len(small) {
			small = s
		}
	}
	withScans := func(n int) []byte { // the scans as written, then the smallest again and again
		out := append([]byte(nil), head...)
		for i := range n {
			if i < len(scans) {
				out = append(out, scans[i]...)
			} else {
				out = append(out, small...)
			}
		}
		return append(out, tail...)
	}
	if _, err := recognition.DecodeImage(withScans(len(scans))); err != nil {
		t.Fatalf("the file as written (%d scans): %v", len(scans), err)
	}
	for _, tc := range []struct {
		scans   int
		refused bool
	}{
		{recognition.MaxJPEGScans, false},
		{recognition.MaxJPEGScans + 1, true},
		{20_000, true},
	} {
		t.Run(strconv.Itoa(tc.scans), func(t *testing.T) {
			_, err := recognition.DecodeImage(withScans(tc.scans))
			if !tc.refused {
				if err != nil {
					t.Fatalf("%d scans: %v", tc.scans, err)
				}
				return
			}
			want := fmt.Sprintf("more than %d scans (it began scan %d;", recognition.MaxJPEGScans, recognition.MaxJPEGScans+1)
			if !errors.Is(err, recognition.ErrTooManyScans) || !strings.Contains(err.Error(), want) {
				t.Fatalf("%d scans: got %v, want %v saying %q", tc.scans, err, recognition.ErrTooManyScans, want)
			}
		})
	}
}

// BenchmarkJPEGScans: what each scan of a 40 MP progressive 4:2:0 file
// costs, the file as ImageMagick writes it (10 scans) against the same
// padded to MaxJPEGScans with copies of its smallest scan — the work the
// scan limit bounds. go test -run '^$' -bench JPEGScans -benchtime 3x ./recognition/
func BenchmarkJPEGScans(b *testing.B) {
	data := convertJPEG(b, joinArgs(flat40, s420, progressive, q90)...)
	head, scans, tail := jpegScans(b, data)
	small := scans[0]
	for _, s := range scans {
		if len(s) < len(small) {
			small = s
		}
	}
	padded := append([]byte(nil), head...)
	for _, s := range scans {
		padded = append(padded, s...)
	}
	for range recognition.MaxJPEGScans - len(scans) {
		padded = append(padded, small...)
	}
	padded = append(padded, tail...)
	for _, c := range []struct {
		name string
		data []byte
	}{{"written", data}, {"max-scans", padded}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := recognition.DecodeImage(c.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
