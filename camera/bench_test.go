package camera

import (
	"context"
	"image"
	"path/filepath"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// BenchmarkFrameConvert measures turning one captured 640x480 BGR frame into
// the *image.RGBA consumers get, against gocv's own Mat.ToImage.
func BenchmarkFrameConvert(b *testing.B) {
	frames := testFrames(b, 1)
	defer closeAll(frames)
	bgr := frames[0]
	b.Run("cvtColor+copy", func(b *testing.B) {
		tmp := gocv.NewMat()
		defer tmp.Close()
		b.ReportAllocs()
		b.SetBytes(640 * 480 * 4)
		for b.Loop() {
			if _, err := toRGBA(bgr, &tmp); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The colour conversion alone, without the new image: the rest of
	// cvtColor+copy is allocating (and zeroing) 1.2 MB per frame.
	b.Run("cvtColor-only", func(b *testing.B) {
		tmp := gocv.NewMat()
		defer tmp.Close()
		b.ReportAllocs()
		b.SetBytes(640 * 480 * 4)
		for b.Loop() {
			gocv.CvtColor(bgr, &tmp, gocv.ColorBGRToRGBA)
		}
	})
	// gocv v0.31's ToImage does the same cvtColor+copy (older gocv went
	// pixel by pixel), but returns image.Image of varying types and makes a
	// new Mat each time.
	b.Run("gocv.ToImage", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(640 * 480 * 4)
		for b.Loop() {
			if _, err := bgr.ToImage(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scale-1280x960-to-640x480", func(b *testing.B) {
		big := gocv.NewMat()
		defer big.Close()
		gocv.Resize(bgr, &big, image.Pt(1280, 960), 0, 0, gocv.InterpolationLinear)
		c := &Camera{opts: Options{Width: 640, Height: 480}}
		scaled, tmp := gocv.NewMat(), gocv.NewMat()
		defer scaled.Close()
		defer tmp.Close()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.convert(big, &scaled, &tmp); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCapture measures frames per second from a 640x480 MJPG .avi:
// OpenCV's decode alone, and the whole camera (decode, convert, publish,
// loop) read unpaced through Wait.
func BenchmarkCapture(b *testing.B) {
	video := filepath.Join(b.TempDir(), "clip.avi")
	writeVideo(b, video, 30, 60)

	b.Run("decode", func(b *testing.B) {
		vc, err := gocv.VideoCaptureFile(video)
		if err != nil {
			b.Fatal(err)
		}
		defer vc.Close()
		img := gocv.NewMat()
		defer img.Close()
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			if !vc.Read(&img) || img.Empty() {
				vc.Set(gocv.VideoCapturePosFrames, 0)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
	})
	b.Run("camera", func(b *testing.B) {
		cam, err := Open(context.Background(), mustParse(b, video), Options{FPS: -1})
		if err != nil {
			b.Fatal(err)
		}
		defer cam.Close()
		ctx := context.Background()
		first, err := cam.Wait(ctx, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		start, seq := time.Now(), first.Seq
		for b.Loop() {
			f, err := cam.Wait(ctx, seq)
			if err != nil {
				b.Fatal(err)
			}
			seq = f.Seq
		}
		// Frames captured, including those a consumer this fast still skipped.
		b.ReportMetric(float64(seq-first.Seq)/time.Since(start).Seconds(), "frames/s")
	})
}

// BenchmarkOpenToFirstFrame measures Open until the first frame is there,
// for a video file and an image sequence (the camera's share of cold start).
func BenchmarkOpenToFirstFrame(b *testing.B) {
	dir := b.TempDir()
	video := filepath.Join(dir, "clip.avi")
	writeVideo(b, video, 30, 10)
	pattern := writeSequence(b, dir, 10)
	for _, s := range []string{video, pattern} {
		b.Run(filepath.Ext(s), func(b *testing.B) {
			src := mustParse(b, s)
			for b.Loop() {
				cam, err := Open(context.Background(), src, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := cam.Wait(context.Background(), 0); err != nil {
					b.Fatal(err)
				}
				cam.Close()
			}
		})
	}
}
