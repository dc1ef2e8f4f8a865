package dlib_test

import (
	"errors"
	"image"
	"path/filepath"
	"slices"
	"testing"

	"facelogin/camera"
	"facelogin/internal/testdata"
	"facelogin/recognition"
	"facelogin/recognition/dlib"
)

// TestDescribeMatchesRecognize: the descriptor of a tracked face, computed
// on demand from the region around it, is the one Recognize computes for
// that face on the whole frame, up to the small difference go-face's
// detector makes when it scans a region instead of the frame (its box, and
// so its landmarks and aligned chip, move by a pixel or two). Every 30th
// frame of each shared video as a 640×480 webcam frame. Same-person
// distances between frames of these videos are ~0.24 (median), the
// acceptance threshold 0.375.
func TestDescribeMatchesRecognize(t *testing.T) {
	e := liveEngine(t)
	var dists []float64
	for _, path := range testdata.Videos(t) {
		tr := newTracker(t, dlib.TrackerOptions{})
		readFrames(t, path, func(f camera.VideoFrame) {
			frame := webcamFrame(f.Image)
			lf, err := tr.Track(frame, f.Time)
			if err != nil {
				t.Fatal(err)
			}
			if f.Index%30 != 7 {
				return
			}
			want, err := e.Recognize(frame)
			if err != nil || len(want) != 1 || len(lf.Faces) != 1 {
				t.Fatalf("%s frame %d: Recognize %d faces (%v), tracker %d", filepath.Base(path), f.Index, len(want), err, len(lf.Faces))
			}
			got, err := e.Describe(frame, lf.Faces[0])
			if err != nil {
				t.Errorf("%s frame %d: %v", filepath.Base(path), f.Index, err)
				return
			}
			if o := iou(got.Rect, lf.Faces[0].Rect); o < 0.5 {
				t.Errorf("%s frame %d: described face %v, tracked %v", filepath.Base(path), f.Index, got.Rect, lf.Faces[0].Rect)
			}
			dists = append(dists, float64(recognition.Distance(&got.Descriptor, &want[0].Descriptor)))
		})
	}
	t.Logf("%d tracked faces: distance to Recognize's descriptor median %.3f, 90th percentile %.3f, max %.3f",
		len(dists), percentile(dists, 0.5), percentile(dists, 0.9), percentile(dists, 1))
	if percentile(dists, 0.5) > 0.06 || percentile(dists, 1) > 0.15 {
		t.Errorf("descriptors differ from Recognize's by %.3f (median), %.3f (max)", percentile(dists, 0.5), percentile(dists, 1))
	}
}

// TestDescribeOneBLASThread: with OpenBLAS on one thread (as the live
// window runs it, SetBLASThreads) a tracked face's box and landmarks are
// those computed with OpenBLAS's default threads, and its descriptor the
// same up to float32 rounding: on some CPUs (AMD EPYC here; an Intel CPU
// gave bit-identical results) OpenBLAS's threaded matrix product sums in
// another order, which moves the descriptor by ~5e-7 — a millionth of the
// acceptance threshold 0.375. maxBLASDrift bounds it at 1e-5.
// Every 30th frame of each shared video as a 640×480 webcam frame.
const maxBLASDrift = 1e-5

func TestDescribeOneBLASThread(t *testing.T) {
	e := liveEngine(t)
	threads := dlib.BLASThreads()
	if threads == 0 {
		testdata.Require(t, "OpenBLAS", &blasErr{dlib.BLASLibraries()})
	}
	t.Cleanup(func() { dlib.SetBLASThreads(threads) })
	n, drift := 0, float32(0)
	for _, path := range testdata.Videos(t) {
		tr := newTracker(t, dlib.TrackerOptions{})
		readFrames(t, path, func(f camera.VideoFrame) {
			frame := webcamFrame(f.Image)
			lf, err := tr.Track(frame, f.Time)
			if err != nil || f.Index%30 != 7 || len(lf.Faces) != 1 {
				return
			}
			dlib.SetBLASThreads(threads)
			want, err := e.Describe(frame, lf.Faces[0])
			if err != nil {
				return // go-face finds no face there, whatever the threads
			}
			if dlib.SetBLASThreads(1); dlib.BLASThreads() != 1 {
				t.Fatalf("OpenBLAS runs %d threads after SetBLASThreads(1)", dlib.BLASThreads())
			}
			got, err := e.Describe(frame, lf.Faces[0])
			if err != nil {
				t.Fatalf("%s frame %d: %v", filepath.Base(path), f.Index, err)
			}
			d := recognition.Distance(&got.Descriptor, &want.Descriptor)
			if d > maxBLASDrift || got.Rect != want.Rect || !slices.Equal(got.Landmarks, want.Landmarks) {
				t.Errorf("%s frame %d: one BLAS thread gave %v (distance %g), %d threads %v", filepath.Base(path), f.Index,
					got.Rect, d, threads, want.Rect)
			}
			drift = max(drift, d)
			n++
		})
	}
	t.Logf("%d tracked faces described with %d and 1 BLAS threads: same boxes and landmarks, descriptors at most %g apart", n, threads, drift)
	if n < 20 {
		t.Errorf("only %d faces compared", n)
	}
}

// TestDescribeTwoFaces: with two people in the frame (two videos side by
// side, faces of ~150 px), each tracked face gets its own person's
// descriptor: close to Recognize's for that face (below 0.2; the
// acceptance threshold is 0.375) and far from the other person's.
func TestDescribeTwoFaces(t *testing.T) {
	e := liveEngine(t)
	a := loadFrames(t, video(t, "d18.mp4"), 80)
	b := loadFrames(t, video(t, "d20.mp4"), 80)
	tr := newTracker(t, dlib.TrackerOptions{})
	var maxSame, minOther float64 = 0, 2
	for i := range a {
		frame := sideBySide(a[i].Image, b[i].Image)
		lf, err := tr.Track(frame, a[i].Time)
		if err != nil {
			t.Fatal(err)
		}
		if i%20 != 19 {
			continue
		}
		want, err := e.Recognize(frame) // left to right
		if err != nil || len(want) != 2 || len(lf.Faces) != 2 {
			t.Fatalf("frame %d: Recognize %d faces (%v), tracker %d", i, len(want), err, len(lf.Faces))
		}
		for j, face := range lf.Faces { // IDs are given left to right
			got, err := e.Describe(frame, face)
			if err != nil {
				t.Fatal(err)
			}
			maxSame = max(maxSame, float64(recognition.Distance(&got.Descriptor, &want[j].Descriptor)))
			minOther = min(minOther, float64(recognition.Distance(&got.Descriptor, &want[1-j].Descriptor)))
		}
	}
	t.Logf("distance to Recognize's descriptor of the same face at most %.3f, of the other person at least %.3f", maxSame, minOther)
	if maxSame > 0.2 || minOther < 0.4 {
		t.Errorf("distance to the same face up to %.3f, to the other person down to %.3f", maxSame, minOther)
	}
}

func TestDescribeErrors(t *testing.T) {
	frame := webcamFrame(loadFrames(t, video(t, "d20.mp4"), 1)[0].Image)
	tr := newTracker(t, dlib.TrackerOptions{})
	lf, err := tr.Track(frame, 0)
	if err != nil || len(lf.Faces) != 1 {
		t.Fatalf("%d faces, %v", len(lf.Faces), err)
	}
	face := lf.Faces[0]
	e := liveEngine(t)
	for _, c := range []struct {
		name string
		img  image.Image
		face recognition.TrackedFace
		want error
	}{
		{"no frame", nil, face, recognition.ErrEmptyImage},
		{"box on the background", frame, recognition.TrackedFace{ID: 7, Rect: image.Rect(0, 0, 70, 70)}, recognition.ErrNoFace},
		{"box outside the frame", frame, recognition.TrackedFace{ID: 7, Rect: image.Rect(900, 100, 1100, 300)}, recognition.ErrNoFace},
	} {
		if _, err := e.Describe(c.img, c.face); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := e.Describe(frame, recognition.TrackedFace{ID: 7}); err == nil {
		t.Error("empty box: no error")
	}
	closed, err := dlib.Open(modelsDir(t), dlib.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if _, err := closed.Describe(frame, face); !errors.Is(err, dlib.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}
