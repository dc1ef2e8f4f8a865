package dlib_test

import (
	"image"
	"image/draw"
	"math"
	"path/filepath"
	"testing"

	"facelogin/camera"
	"facelogin/internal/testdata"
	"facelogin/recognition/dlib"
)

// maxScoreDiff bounds how far hogscan.cc's detection scores may stray from
// dlib's: the same features and filters summed in another order differ in
// float32's last bits (measured: 1.4e-6 at most).
const maxScoreDiff = 1e-4

// TestHOGScanMatchesDlib: hogscan.cc's whole-frame scan finds exactly the
// faces dlib's own frontal face detector finds — the same boxes, best
// first, from the same filters, with scores within maxScoreDiff — on the
// portraits and the group photo as 640×480 frames (scanned at the
// Tracker's 0.9 scale and at full size) and on a quarter of the LFW photos.
func TestHOGScanMatchesDlib(t *testing.T) {
	lm := landmarker(t)
	type picture struct {
		name string
		img  image.Image
		min  int // Scan's minFaceSide: 0 the default (0.9 scale), 1 full size
	}
	var pics []picture
	for _, p := range testdata.Photos(t) {
		name := filepath.Base(p.File)
		img := frame640(t, name)
		pics = append(pics, picture{name, img, 0}, picture{name + " full size", img, 1})
	}
	lfw, err := filepath.Glob(filepath.Join(testdata.Dir(t), "lfw", "*", "*.jpg"))
	if err != nil || len(lfw) == 0 {
		t.Fatalf("no LFW photos (%v)", err)
	}
	for i := 0; i < len(lfw); i += 4 {
		pics = append(pics, picture{filepath.Base(lfw[i]), load(t, lfw[i]), 1})
	}
	faces, worst := 0, 0.0
	for _, p := range pics {
		want, err := lm.Scan(p.img, p.min, true)
		if err != nil {
			t.Fatal(err)
		}
		got, err := lm.Scan(p.img, p.min, false)
		if err != nil {
			t.Fatal(err)
		}
		faces += len(want)
		if len(got) != len(want) {
			t.Errorf("%s: %d faces %v, dlib %d %v", p.name, len(got), got, len(want), want)
			continue
		}
		for i := range got {
			if got[i].Rect != want[i].Rect || got[i].Filter != want[i].Filter {
				t.Errorf("%s: face %d %+v, dlib %+v", p.name, i, got[i], want[i])
			}
			worst = math.Max(worst, math.Abs(got[i].Score-want[i].Score))
		}
	}
	t.Logf("%d pictures, %d faces, largest score difference %.2g", len(pics), faces, worst)
	if faces < len(pics)*3/4 {
		t.Errorf("dlib found %d faces in %d pictures: the comparison covers too few", faces, len(pics))
	}
	if worst > maxScoreDiff {
		t.Errorf("scores differ from dlib's by up to %.2g, want ≤ %g", worst, maxScoreDiff)
	}
}

// TestPyramidMatchesDlib: hogscan.cc's image pyramid (pyramid_down6) is
// dlib's pyramid_down<6> to the bit, on every level, for each portrait in
// gray at its own size and cropped to widths and heights that leave every
// number of columns after the last 4-pixel vector of dlib's loop.
func TestPyramidMatchesDlib(t *testing.T) {
	pics := 0
	for _, p := range testdata.Photos(t) {
		src := load(t, p.File)
		b := src.Bounds()
		gray := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(gray, gray.Rect, src, b.Min, draw.Src)
		for crop := range 8 {
			sub := gray.SubImage(image.Rect(0, 0, b.Dx()-crop, b.Dy()-3*crop)).(*image.Gray)
			if n := dlib.PyramidMismatches(sub, 12); n != 0 {
				t.Errorf("%s cropped to %v: %d pixels differ from dlib's pyramid", filepath.Base(p.File), sub.Rect.Size(), n)
			}
			pics++
		}
	}
	if !t.Failed() {
		t.Logf("%d pictures, 12 levels each: every pixel the same", pics)
	}
}

// TestTrackerHOGScanMatchesDlib replays every frame of each shared video as
// 640×480 webcam frames through two Trackers with the default options —
// one whose HOG scans (whole-frame detections and the confirming scans
// around each face) run hogscan.cc, one dlib's own detector, as the
// Tracker did before hogscan.cc — and requires the same result on every
// frame: the same detection frames, the same faces with the same track
// IDs, boxes and confirmations, and landmarks within 2 px (mean point
// error; the same boxes give the same fits, so 0 is expected).
func TestTrackerHOGScanMatchesDlib(t *testing.T) {
	for _, path := range testdata.Videos(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			fast := newTracker(t, dlib.TrackerOptions{})
			ref := newTracker(t, dlib.TrackerOptions{})
			ref.UseReferenceDetector()
			frames, faces, worst := 0, 0, 0.0
			readFrames(t, path, func(f camera.VideoFrame) {
				frame := webcamFrame(f.Image)
				got, err := fast.Track(frame, f.Time)
				if err != nil {
					t.Fatal(err)
				}
				want, err := ref.Track(frame, f.Time)
				if err != nil {
					t.Fatal(err)
				}
				frames++
				if got.Detection != want.Detection || len(got.Faces) != len(want.Faces) {
					t.Fatalf("frame %d: detection %v, %d faces; with dlib's detector %v, %d faces",
						f.Index, got.Detection, len(got.Faces), want.Detection, len(want.Faces))
				}
				for i, g := range got.Faces {
					w := want.Faces[i]
					if g.ID != w.ID || g.Rect != w.Rect || g.Detected != w.Detected {
						t.Fatalf("frame %d: face %d ID %d at %v detected %v; with dlib's detector ID %d at %v detected %v",
							f.Index, i, g.ID, g.Rect, g.Detected, w.ID, w.Rect, w.Detected)
					}
					e := meanError(g.Landmarks, w.Landmarks, allPoints)
					if e > 2 {
						t.Errorf("frame %d: face %d landmarks %.2f px from dlib's detector's, want ≤ 2", f.Index, i, e)
					}
					worst = math.Max(worst, e)
					faces++
				}
			})
			t.Logf("%d frames, %d faces, all as with dlib's detector; largest mean point error %.3f px", frames, faces, worst)
			if faces < frames*9/10 {
				t.Errorf("faces on %d of %d frames: the comparison covers too few", faces, frames)
			}
		})
	}
}

// BenchmarkHOGScan: one whole-frame scan of a 640×480 frame at the
// Tracker's 0.9 scale (gray conversion and scaling, feature pyramid, the
// detector's 5 filters, non-maximum suppression), by hogscan.cc and, in
// the same run, by dlib's own object_detector.
//
// go test -run '^$' -bench 'HOGScan$' -count 5 ./recognition/dlib/
func BenchmarkHOGScan(b *testing.B) {
	lm := landmarker(b)
	frame := benchFrames(b, 480)[0]
	for _, c := range []struct {
		name      string
		reference bool
	}{{"hogscan", false}, {"dlib", true}} {
		b.Run(c.name, func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				hits, err := lm.Scan(frame, 0, c.reference)
				if err != nil || len(hits) != 1 {
					b.Fatalf("%d faces, %v", len(hits), err)
				}
			}
		})
	}
}
