package recognition_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"facelogin/internal/testdata"
	"facelogin/recognition"
)

// cwebpFrame encodes a 64×48 crop of a real photo with libwebp's cwebp
// (Debian webp, beside img2webp) and returns the simple-format file's one
// image chunk: "VP8 " (lossy) or "VP8L" (lossless), header and payload.
func cwebpFrame(t *testing.T, lossless bool) []byte {
	t.Helper()
	if _, err := exec.LookPath("cwebp"); err != nil {
		testdata.Require(t, "cwebp (Debian webp)", err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.png"), filepath.Join(dir, "out.webp")
	if err := os.WriteFile(in, pngOf(t, upright(t).SubImage(image.Rect(100, 60, 164, 108))), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-quiet", in, "-o", out}
	if lossless {
		args = append([]string{"-lossless"}, args...)
	}
	if b, err := exec.Command("cwebp", args...).CombinedOutput(); err != nil {
		t.Fatalf("cwebp: %v\n%s", err, b)
	}
	w, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[bool]string{true: "VP8L", false: "VP8 "}[lossless]; string(w[12:16]) != want {
		t.Fatalf("cwebp wrote a %q chunk, want %q", w[12:16], want)
	}
	return w[12:]
}

// extendedWebP wraps image chunk frame in the extended format with a VP8X
// chunk declaring a w×h canvas.
func extendedWebP(frame []byte, w, h int) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00")
	b = append(b, byte(w-1), byte((w-1)>>8), byte((w-1)>>16), byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	b = append(b, frame...)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

// withFrameSize rewrites the size an image chunk's own header declares:
// the VP8L header's 14-bit width−1 and height−1, or the VP8 key frame's
// 14-bit width and height. The payload stays the small one; the file is a
// bomb only if a decoder trusts the header.
func withFrameSize(frame []byte, w, h int) []byte {
	f := append([]byte(nil), frame...)
	p := f[8:]
	if string(f[:4]) == "VP8L" {
		v := binary.LittleEndian.Uint32(p[1:5])&^(1<<28-1) | uint32(w-1) | uint32(h-1)<<14
		binary.LittleEndian.PutUint32(p[1:5], v)
		return f
	}
	binary.LittleEndian.PutUint16(p[6:8], uint16(w))
	binary.LittleEndian.PutUint16(p[8:10], uint16(h))
	return f
}

// TestWebPFrameBehindVP8X: x/image/webp's DecodeConfig gives the VP8X
// canvas, but Decode decodes the frame at the size its own header gives.
// A VP8X canvas that differs from the frame (smaller: a bomb behind a small
// header; any other size: a damaged file) is refused before decoding, for
// lossless and lossy frames alike, and an honest extended file is read.
func TestWebPFrameBehindVP8X(t *testing.T) {
	for _, lossless := range []bool{true, false} {
		name := map[bool]string{true: "lossless", false: "lossy"}[lossless]
		frame := cwebpFrame(t, lossless)
		t.Run(name+"/honest", func(t *testing.T) {
			img, err := recognition.DecodeImage(extendedWebP(frame, 64, 48))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 48 {
				t.Fatalf("decoded %v, want 64×48", b)
			}
		})
		for _, tc := range []struct {
			name           string
			canvas, frame  [2]int
			mentionInError string
		}{
			{"canvas larger than the frame", [2]int{100, 100}, [2]int{64, 48}, "64×48"},
			{"16383×16383 frame behind 100×100", [2]int{100, 100}, [2]int{16383, 16383}, "16383×16383"},
			{"8000×5000 frame behind 100×100", [2]int{100, 100}, [2]int{8000, 5000}, "8000×5000"},
			{"40 MP frame behind 40 MP canvas of another shape", [2]int{5000, 8000}, [2]int{8000, 5000}, "8000×5000"},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				f := frame
				if tc.frame != [2]int{64, 48} {
					f = withFrameSize(frame, tc.frame[0], tc.frame[1])
				}
				var mem1, mem2 runtimeMem
				mem1.read()
				_, err := recognition.DecodeImage(extendedWebP(f, tc.canvas[0], tc.canvas[1]))
				mem2.read()
				if !errors.Is(err, recognition.ErrCorruptImage) || !strings.Contains(err.Error(), "VP8X") ||
					!strings.Contains(err.Error(), tc.mentionInError) {
					t.Fatalf("got %v, want %v naming the VP8X canvas and the %s frame", err, recognition.ErrCorruptImage, tc.mentionInError)
				}
				if grew := mem2.total - mem1.total; grew > 16<<20 {
					t.Fatalf("refusing allocated %d MB: the frame was decoded", grew>>20)
				}
			})
		}
		// Without VP8X the frame's own size is the image's: bounded as any.
		t.Run(name+"/simple format, 16383×16383 frame", func(t *testing.T) {
			f := withFrameSize(frame, 16383, 16383)
			b := append([]byte("RIFF\x00\x00\x00\x00WEBP"), f...)
			binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
			if _, err := recognition.DecodeImage(b); !errors.Is(err, recognition.ErrImageTooLarge) {
				t.Fatalf("got %v, want %v", err, recognition.ErrImageTooLarge)
			}
		})
	}
}

// TestFormatsAreRead: every format recognition.Formats names for people
// (in ErrUnknownFormat and the CLI's messages) is read, and the messages
// name each of them.
func TestFormatsAreRead(t *testing.T) {
	img := upright(t).SubImage(image.Rect(100, 60, 164, 108))
	var gifBuf, jpegBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpegBuf, img, nil); err != nil {
		t.Fatal(err)
	}
	webp := append([]byte("RIFF\x00\x00\x00\x00WEBP"), cwebpFrame(t, false)...)
	binary.LittleEndian.PutUint32(webp[4:], uint32(len(webp)-8))
	files := map[string][]byte{"JPEG": jpegBuf.Bytes(), "PNG": pngOf(t, img), "GIF": gifBuf.Bytes(), "WebP": webp}
	for _, name := range recognition.Formats {
		data, ok := files[name]
		if !ok {
			t.Fatalf("no %s file in this test", name)
		}
		if _, err := recognition.DecodeImage(data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !strings.Contains(recognition.ErrUnknownFormat.Error(), name) {
			t.Errorf("%q does not name %s", recognition.ErrUnknownFormat, name)
		}
	}
	if len(recognition.Formats) != len(files) {
		t.Errorf("Formats = %v, this test reads %d formats", recognition.Formats, len(files))
	}
}

// TestLimitsInMB: sizes are given in one unit, MB = 1,000,000 bytes, and
// the refusals say the README's figures (64 MB a file, 160 MB decoded,
// 224 MB for a JPEG with its coefficients).
func TestLimitsInMB(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"MaxImageBytes", recognition.MaxImageBytes, 64_000_000},
		{"MaxDecodedBytes", recognition.MaxDecodedBytes, 160_000_000},
		{"MaxJPEGDecodeBytes", recognition.MaxJPEGDecodeBytes, 224_000_000},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, the README says %d", c.name, c.got, c.want)
		}
	}
	_, err := recognition.DecodeImage(png16Bomb(t, 8000, 5000))
	if err == nil || !strings.Contains(err.Error(), "would take 320 MB to decode, at most 160 MB") {
		t.Errorf("16-bit 40 MP PNG: %v, want 320 MB against 160 MB", err)
	}
	_, err = recognition.DecodeImage(make([]byte, recognition.MaxImageBytes+1))
	if err == nil || !strings.Contains(err.Error(), "more than 64 MB") {
		t.Errorf("a file over the limit: %v, want 64 MB", err)
	}
}
