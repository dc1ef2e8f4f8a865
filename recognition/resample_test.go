package recognition_test

import (
	"image"
	"image/color"
	"image/color/palette"
	"runtime"
	"testing"

	xdraw "golang.org/x/image/draw"

	"facelogin/internal/testdata"
	"facelogin/recognition"
)

// TestScaleIntoMatchesCatmullRom: ScaleInto gives the pixels of
// x/image/draw's Catmull-Rom scaler (within rounding) on a real photo,
// shrinking, enlarging and from a region, for every pixel kind the
// decoders return; only its memory differs.
func TestScaleIntoMatchesCatmullRom(t *testing.T) {
	photo, err := recognition.DecodeImage(photoBytes(t, "pristin.jpg")) // 2100×1040 YCbCr
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(photo.Bounds())
	xdraw.Draw(rgba, rgba.Rect, photo, image.Point{}, xdraw.Src)
	pal := image.NewPaletted(photo.Bounds(), palette.Plan9) // as a GIF holds it
	xdraw.Draw(pal, pal.Rect, photo, image.Point{}, xdraw.Src)
	full := photo.Bounds()
	for _, tc := range []struct {
		name   string
		src    image.Image
		sr     image.Rectangle
		dw, dh int
	}{
		{"YCbCr shrink 3.3×", photo, full, 630, 312},
		{"RGBA shrink 1.3× region", rgba, image.Rect(700, 100, 1500, 900), 615, 615},
		{"RGBA enlarge 2×", rgba, image.Rect(1000, 200, 1200, 400), 400, 400},
		{"paletted shrink 2×", pal, full, 1050, 520},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := image.NewRGBA(image.Rect(0, 0, tc.dw, tc.dh))
			recognition.ScaleInto(got, tc.src, tc.sr)
			want := image.NewRGBA(got.Rect)
			xdraw.CatmullRom.Scale(want, want.Rect, tc.src, tc.sr, xdraw.Src, nil)
			worst := 0
			for i := range got.Pix {
				worst = max(worst, abs(int(got.Pix[i])-int(want.Pix[i])))
			}
			if worst > 1 {
				t.Fatalf("a channel differs by %d from x/image/draw's Catmull-Rom", worst)
			}
		})
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// TestPhotoPipelineMemory: the Go side of the photo path — decode, turn
// upright, flatten, the coarse pass's scaled copy and a fine-pass tile —
// allocates the decoded photo, at most one upright copy, and the small
// images handed to the detector; nothing in proportion to the photo beyond
// that. (x/image/draw's scaler alone took 384 MB for the 40 MP coarse pass;
// the field report's 8000×5000 PNG took 1.2 GB through the whole program.)
func TestPhotoPipelineMemory(t *testing.T) {
	const mb = 1 << 20
	flat := image.NewRGBA(image.Rect(0, 0, 8000, 5000))
	for i := range flat.Pix {
		flat.Pix[i] = uint8(0x80 + i%4*16)
	}
	gradient := image.NewRGBA(image.Rect(0, 0, 4000, 6000)) // stored sideways
	for y := range 6000 {
		for x := range 4000 {
			gradient.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	for _, tc := range []struct {
		name  string
		data  []byte
		bound int64 // bytes the pipeline may allocate
	}{
		// 160 MB decoded (RGBA) + 14 MB coarse + 16 MB tile + rows.
		{"40 MP 8-bit PNG", pngOf(t, flat), 160*mb + 40*mb},
		// 36 MB decoded (YCbCr 4:2:0) + 96 MB upright RGBA + 14 + 16 MB.
		{"24 MP JPEG, orientation 6", testdata.JPEGWithOrientation(t, gradient, 6), 132*mb + 40*mb},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			img, err := recognition.DecodeImage(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			img = recognition.Opaque(img)
			b := img.Bounds()
			coarse := image.NewRGBA(image.Rect(0, 0, 2400*b.Dx()/max(b.Dx(), b.Dy()), 2400*b.Dy()/max(b.Dx(), b.Dy())))
			recognition.ScaleInto(coarse, img, b)
			tile := image.NewRGBA(image.Rect(0, 0, 2048, 2048))
			recognition.ScaleInto(tile, img, image.Rect(0, 0, 2643, 2643))
			runtime.ReadMemStats(&after)
			if got := int64(after.TotalAlloc - before.TotalAlloc); got > tc.bound {
				t.Fatalf("allocated %d MB, bound %d MB", got/mb, tc.bound/mb)
			}
		})
	}
}

// BenchmarkCoarsePass40MP: the photo path's coarse pass on a 40 MP photo
// (8000×5000 → 2400×1500), ScaleInto against x/image/draw's Catmull-Rom:
// time and the bytes allocated (B/op) by each.
func BenchmarkCoarsePass40MP(b *testing.B) {
	src := image.NewRGBA(image.Rect(0, 0, 8000, 5000))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 7)
	}
	dst := image.NewRGBA(image.Rect(0, 0, 2400, 1500))
	for _, bc := range []struct {
		name  string
		scale func()
	}{
		{"ScaleInto", func() { recognition.ScaleInto(dst, src, src.Rect) }},
		{"xdraw.CatmullRom", func() { xdraw.CatmullRom.Scale(dst, dst.Rect, src, src.Rect, xdraw.Src, nil) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.scale()
			}
		})
	}
}
