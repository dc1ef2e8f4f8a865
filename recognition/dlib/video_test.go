package dlib_test

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	xdraw "golang.org/x/image/draw"

	"facelogin/camera"
	"facelogin/internal/testdata"
	"facelogin/recognition"
	"facelogin/recognition/dlib"
)

// Helpers for the tests that replay the shared videos (../shared/testdata/
// video: seven people talking to the camera, 480–512 px square, 25–30 fps).

var (
	sharedLM     *dlib.Landmarker
	sharedLMErr  error
	sharedLMOnce sync.Once
)

// landmarker loads the shape predictor once for all tests (~1 s, 100 MB).
func landmarker(t testing.TB) *dlib.Landmarker {
	t.Helper()
	dir := modelsDir(t)
	sharedLMOnce.Do(func() { sharedLM, sharedLMErr = dlib.OpenLandmarker(dir) })
	if sharedLMErr != nil {
		t.Fatal(sharedLMErr)
	}
	return sharedLM
}

func newTracker(t testing.TB, opt dlib.TrackerOptions) *dlib.Tracker {
	t.Helper()
	tr, err := landmarker(t).NewTracker(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func video(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(testdata.Dir(t), "video", name)
}

// readFrames calls fn with every frame of the video at path, in order.
func readFrames(t testing.TB, path string, fn func(camera.VideoFrame)) {
	t.Helper()
	err := camera.ReadVideoFile(path, func(f camera.VideoFrame) error {
		fn(f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// loadFrames reads the first n frames of a video (all for n <= 0).
func loadFrames(t testing.TB, path string, n int) []camera.VideoFrame {
	t.Helper()
	var out []camera.VideoFrame
	readFrames(t, path, func(f camera.VideoFrame) {
		if n <= 0 || len(out) < n {
			out = append(out, f)
		}
	})
	return out
}

var canvasGray = image.NewUniform(color.Gray{90})

// webcamFrame makes a video frame into a 640×480 webcam frame: scaled to
// 480 rows, centred between grey bars.
func webcamFrame(src *image.RGBA) *image.RGBA {
	return placed(src, 480, 0)
}

// placed draws src scaled to side×side pixels centred in a 640×480 grey
// frame and moved dx pixels to the right.
func placed(src *image.RGBA, side, dx int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(dst, dst.Bounds(), canvasGray, image.Point{}, draw.Src)
	r := image.Rect(0, 0, side, side).Add(image.Pt((640-side)/2+dx, (480-side)/2))
	draw.Draw(dst, r, scaled(src, side), image.Point{}, draw.Src)
	return dst
}

// sideBySide puts two video frames, each scaled to 320×320, next to each
// other in a 640×480 frame.
func sideBySide(a, b *image.RGBA) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(dst, dst.Bounds(), canvasGray, image.Point{}, draw.Src)
	draw.Draw(dst, image.Rect(0, 80, 320, 400), scaled(a, 320), image.Point{}, draw.Src)
	draw.Draw(dst, image.Rect(320, 80, 640, 400), scaled(b, 320), image.Point{}, draw.Src)
	return dst
}

func scaled(src *image.RGBA, side int) *image.RGBA {
	b := src.Bounds()
	if b.Dx() == side && b.Dy() == side {
		return src
	}
	dst := image.NewRGBA(image.Rect(0, 0, side, side))
	xdraw.BiLinear.Scale(dst, dst.Bounds(), src, b, xdraw.Src, nil)
	return dst
}

// meanError is the mean distance between corresponding landmarks, pixels.
func meanError(a, b []recognition.Point, r recognition.LandmarkRange) float64 {
	var s float64
	for i := r.First; i <= r.Last; i++ {
		s += math.Hypot(float64(a[i].X-b[i].X), float64(a[i].Y-b[i].Y))
	}
	return s / float64(r.Last-r.First+1)
}

var allPoints = recognition.LandmarkRange{First: 0, Last: recognition.Landmarks68 - 1}

// eyeAspectRatio is the mean of both eyes' (|p2−p6| + |p3−p5|) / (2|p1−p4|)
// (Soukupová and Čech, "Real-Time Eye Blink Detection using Facial
// Landmarks", 2016).
func eyeAspectRatio(p []recognition.Point) float64 {
	ear := func(e recognition.LandmarkRange) float64 {
		d := func(i, j int) float64 {
			a, b := p[e.First+i], p[e.First+j]
			return math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y))
		}
		return (d(1, 5) + d(2, 4)) / (2 * d(0, 3))
	}
	return (ear(recognition.RightEye) + ear(recognition.LeftEye)) / 2
}

// roughness is the root mean square of a series' second differences:
// frame-to-frame jitter, little affected by smooth real motion.
func roughness(x []float64) float64 {
	if len(x) < 3 {
		return 0
	}
	var s float64
	for i := 1; i+1 < len(x); i++ {
		d := x[i+1] - 2*x[i] + x[i-1]
		s += d * d
	}
	return math.Sqrt(s / float64(len(x)-2))
}

func percentile(x []float64, p float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// iou is the intersection over union of two boxes.
func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	i := float64(in.Dx() * in.Dy())
	return i / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - i)
}

// bestMatch returns the face of faces whose box overlaps r most, and the
// overlap.
func bestMatch(faces []recognition.TrackedFace, r image.Rectangle) (recognition.TrackedFace, float64) {
	var best recognition.TrackedFace
	bestIoU := 0.0
	for _, f := range faces {
		if o := iou(f.Rect, r); o > bestIoU {
			best, bestIoU = f, o
		}
	}
	return best, bestIoU
}
