package recognition_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"facelogin/internal/testdata"
	"facelogin/recognition"
)

func photoBytes(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testdata.Dir(t), "faces", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func pngOf(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// hugePNG is a valid PNG header claiming w×h pixels (with a correct CRC),
// followed by almost nothing: decoding it naively would allocate w*h*4 bytes.
func hugePNG(t testing.TB, w, h uint32) []byte {
	b := pngOf(t, image.NewGray(image.Rect(0, 0, 40, 40)))
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// hugeJPEG patches the SOF0 frame header of a real JPEG to claim w×h.
func hugeJPEG(t testing.TB, w, h uint16) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 40, 40)), nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0 marker")
	}
	binary.BigEndian.PutUint16(b[i+5:], h)
	binary.BigEndian.PutUint16(b[i+7:], w)
	return b
}

func TestDecodeImageBadInput(t *testing.T) {
	photo := photoBytes(t, "elkie.jpg")
	random := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(r.UintN(256))
	}
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty file", nil, recognition.ErrEmptyImage},
		{"random bytes", random, recognition.ErrUnknownFormat},
		{"text", []byte("username,encoding\nalice,0.1 0.2\n"), recognition.ErrUnknownFormat},
		{"truncated JPEG", photo[:len(photo)/2], recognition.ErrCorruptImage},
		{"JPEG header only", photo[:200], recognition.ErrCorruptImage},
		{"1x1 PNG", pngOf(t, image.NewRGBA(image.Rect(0, 0, 1, 1))), recognition.ErrImageTooSmall},
		{"20000x20000 PNG header", hugePNG(t, 20000, 20000), recognition.ErrImageTooLarge},
		{"20000x20000 JPEG header", hugeJPEG(t, 20000, 20000), recognition.ErrImageTooLarge},
		{"8000x8000 (64 MP) PNG header", hugePNG(t, 8000, 8000), recognition.ErrImageTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := recognition.DecodeImage(tc.data)
			if !errors.Is(err, tc.want) || img != nil {
				t.Fatalf("got (%v, %v), want %v", img != nil, err, tc.want)
			}
		})
	}
}

func TestDecodeImageGood(t *testing.T) {
	img, err := recognition.DecodeImage(photoBytes(t, "elkie.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1500 || b.Dy() != 1000 {
		t.Fatalf("elkie.jpg decoded as %v", b)
	}
}

func TestPNGWithAlphaIsFlattened(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	src.Set(10, 10, color.NRGBA{255, 0, 0, 255})
	src.Set(20, 20, color.NRGBA{0, 0, 255, 0}) // fully transparent
	img, err := recognition.DecodeImage(pngOf(t, src))
	if err != nil {
		t.Fatal(err)
	}
	flat := recognition.Opaque(img)
	if r, g, b, _ := flat.At(20, 20).RGBA(); r>>8 != 255 || g>>8 != 255 || b>>8 != 255 {
		t.Fatalf("transparent pixel became %v, want white", flat.At(20, 20))
	}
	if r, g, _, _ := flat.At(10, 10).RGBA(); r>>8 != 255 || g>>8 != 0 {
		t.Fatalf("opaque red pixel became %v", flat.At(10, 10))
	}
	photo, _ := recognition.DecodeImage(photoBytes(t, "elkie.jpg"))
	if recognition.Opaque(photo) != photo {
		t.Fatal("an opaque JPEG was copied")
	}
}

// FuzzDecodeImage: whatever the bytes, DecodeImage returns an image within
// the limits or an error; it never panics and never allocates past them.
func FuzzDecodeImage(f *testing.F) {
	f.Add(photoBytes(f, "elkie.jpg")[:3000])
	f.Add(pngOf(f, image.NewNRGBA(image.Rect(0, 0, 40, 40))))
	f.Add(hugePNG(f, 20000, 20000))
	f.Add(hugeJPEG(f, 20000, 20000))
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := recognition.DecodeImage(data)
		if err != nil {
			if img != nil {
				t.Fatal("image and error")
			}
			return
		}
		if err := recognition.CheckImage(img); err != nil {
			t.Fatalf("decoded an image outside the limits: %v", err)
		}
	})
}
