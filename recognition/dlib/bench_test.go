package dlib_test

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xdraw "golang.org/x/image/draw"

	"facelogin/internal/testdata"
	"facelogin/recognition/dlib"
)

// The benchmarks use a 640×480 frame made from a real photo, like a webcam
// frame with one face at arm's length.

// BenchmarkPipeline: JPEG + HOG detection + 68 landmarks + descriptor of
// one face on a 640×480 frame. Target ≤ 50 ms.
func BenchmarkPipeline(b *testing.B) {
	e := liveEngine(b)
	frame := frame640(b, "elkie.jpg")
	b.Logf("BLAS in use: %v", dlib.BLASLibraries())
	for b.Loop() {
		if faces, err := e.Recognize(frame); err != nil || len(faces) != 1 {
			b.Fatalf("%d faces, %v", len(faces), err)
		}
	}
}

// BenchmarkDetect: the same frame with the face painted over, so go-face
// stops after the HOG detector: JPEG + detection only.
func BenchmarkDetect(b *testing.B) {
	e := liveEngine(b)
	frame := frame640(b, "elkie.jpg")
	faces, err := e.Recognize(frame)
	if err != nil || len(faces) != 1 {
		b.Fatalf("%d faces, %v", len(faces), err)
	}
	draw.Draw(frame, faces[0].Rect.Inset(-faces[0].Rect.Dx()/3), image.NewUniform(color.Gray{90}), image.Point{}, draw.Src)
	for b.Loop() {
		if faces, err := e.Recognize(frame); err != nil || len(faces) != 0 {
			b.Fatalf("%d faces, %v", len(faces), err)
		}
	}
}

// BenchmarkDescribe: the cost of one more face — 68 landmarks, the aligned
// chip and the ResNet descriptor — measured as the difference between two
// 640×480 frames that differ only in holding one or two copies of the same
// face (the HOG scan of the two frames costs the same). Target ≤ 15 ms.
func BenchmarkDescribe(b *testing.B) {
	e := liveEngine(b)
	frame := frame640(b, "elkie.jpg")
	faces, err := e.Recognize(frame)
	if err != nil || len(faces) != 1 {
		b.Fatalf("%d faces, %v", len(faces), err)
	}
	r := faces[0].Rect.Inset(-faces[0].Rect.Dx() / 4).Intersect(frame.Bounds())
	crop := image.NewRGBA(image.Rect(0, 0, 200, 200))
	xdraw.CatmullRom.Scale(crop, crop.Bounds(), frame, r, xdraw.Src, nil)
	one := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(one, one.Bounds(), image.NewUniform(color.Gray{90}), image.Point{}, draw.Src)
	draw.Draw(one, crop.Bounds().Add(image.Pt(60, 140)), crop, image.Point{}, draw.Src)
	two := image.NewRGBA(one.Bounds())
	draw.Draw(two, two.Bounds(), one, image.Point{}, draw.Src)
	draw.Draw(two, crop.Bounds().Add(image.Pt(380, 140)), crop, image.Point{}, draw.Src)
	b.Logf("BLAS in use: %v", dlib.BLASLibraries())
	var t1, t2 time.Duration
	for b.Loop() {
		start := time.Now()
		if f, err := e.Recognize(one); err != nil || len(f) != 1 {
			b.Fatalf("one: %d faces, %v", len(f), err)
		}
		mid := time.Now()
		if f, err := e.Recognize(two); err != nil || len(f) != 2 {
			b.Fatalf("two: %d faces, %v", len(f), err)
		}
		t1 += mid.Sub(start)
		t2 += time.Since(mid)
	}
	b.ReportMetric(float64((t2-t1).Microseconds())/1000/float64(b.N), "ms/face")
	b.ReportMetric(float64(t1.Microseconds())/1000/float64(b.N), "ms/frame-1-face")
}

// BenchmarkFrameJPEG compares the two ways to hand a 640×480 frame to
// go-face, which only reads JPEG: libjpeg-turbo straight from RGBA (what
// the engine does) against Go's image/jpeg.
func BenchmarkFrameJPEG(b *testing.B) {
	frame := frame640(b, "elkie.jpg")
	b.Run("libjpeg-turbo", func(b *testing.B) {
		for b.Loop() {
			if n := dlib.EncodeJPEGForTest(frame, 92); n == 0 {
				b.Fatal("empty JPEG")
			}
		}
	})
	b.Run("image-jpeg", func(b *testing.B) {
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := jpeg.Encode(&buf, frame, &jpeg.Options{Quality: 92}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestBLASIsOpenBLAS(t *testing.T) {
	engine(t) // the models are loaded, so libdlib and its BLAS are mapped
	libs := dlib.BLASLibraries()
	for _, l := range libs {
		if filepath.Base(filepath.Dir(l)) == "openblas-pthread" || strings.Contains(l, "openblas") {
			return
		}
	}
	testdata.Require(t, "OpenBLAS", &blasErr{libs})
}

type blasErr struct{ libs []string }

func (e *blasErr) Error() string {
	return "libblas.so.3 does not resolve to OpenBLAS (run `make deps`); mapped: " + strings.Join(e.libs, ", ")
}
