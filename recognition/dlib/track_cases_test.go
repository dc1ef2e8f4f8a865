package dlib_test

import (
	"errors"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"facelogin/camera"
	"facelogin/recognition"
	"facelogin/recognition/dlib"
)

// clipFrame is one frame of a clip cut together in a test, with where the
// face is (its detector box), if in view.
type clipFrame struct {
	img  *image.RGBA
	face image.Rectangle // empty when the face is out of view
}

// faceBox detects the single face of frame, for the clips' ground truth.
func faceBox(t *testing.T, frame *image.RGBA) image.Rectangle {
	t.Helper()
	dets, err := landmarker(t).Detect(frame, 0)
	if err != nil || len(dets) != 1 {
		t.Fatalf("%d faces, %v", len(dets), err)
	}
	return dets[0].Rect
}

// TestTrackLeaveAndReturn cuts clips from d18.mp4 in which the person
// leaves the view and comes back, as 640×480 frames:
//   - walking out: the picture slides right, 24 px per frame, until the
//     face is out of view; 30 frames without the face (the edge of the
//     picture, hair and background, stays in view); then a cut back to the
//     face 90 frames later;
//   - vanishing: the face is cut out at once (the picture jumps to the
//     same position as above) and cut back in 20 frames later.
//
// The track must follow the face while it is in view, never stay on the
// background (no face reported once the face is out of view, after at
// most two frames when it vanished at once: the frames a track may miss
// its confirmation), and find the face again within DetectEvery frames of
// its return, under a new track ID.
func TestTrackLeaveAndReturn(t *testing.T) {
	all := loadFrames(t, video(t, "d18.mp4"), 0)
	if len(all) < 216 {
		t.Fatalf("%d frames in d18.mp4", len(all))
	}
	at := func(i, dx int) clipFrame {
		src := all[i].Image
		img := placed(src, 480, dx)
		face := faceBox(t, webcamFrame(src)).Add(image.Pt(dx, 0))
		if face.Min.X >= 640 {
			face = image.Rectangle{}
		}
		return clipFrame{img, face}
	}
	outDX := 640 - faceBox(t, webcamFrame(all[60].Image)).Min.X + 8

	var walk, vanish []clipFrame
	for i := range 60 {
		walk = append(walk, at(i, 0))
		vanish = append(vanish, at(i, 0))
	}
	i := 60
	for dx := 24; dx < outDX; dx += 24 {
		walk = append(walk, at(i, dx))
		i++
	}
	for range 30 {
		walk = append(walk, at(i, outDX))
		i++
	}
	returnWalk := len(walk)
	for j := i + 90; j < len(all); j++ {
		walk = append(walk, at(j, 0))
	}
	for j := 60; j < 80; j++ {
		vanish = append(vanish, at(j, outDX))
	}
	returnVanish := len(vanish)
	for j := 150; j < len(all); j++ {
		vanish = append(vanish, at(j, 0))
	}

	for _, c := range []struct {
		name     string
		clip     []clipFrame
		back     int // the first frame after the face came back
		maxStray int // frames a track may outlive the face
	}{
		{"walking out", walk, returnWalk, 0},
		{"vanishing", vanish, returnVanish, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := newTracker(t, dlib.TrackerOptions{})
			var firstID, backID recognition.TrackID
			stray, refound := 0, -1
			for n, f := range c.clip {
				lf, err := tr.Track(f.img, time.Duration(n)*time.Second/30)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 && len(lf.Faces) == 1 {
					firstID = lf.Faces[0].ID
				}
				if f.face.Empty() {
					if len(lf.Faces) > 0 {
						stray++
					}
					continue
				}
				for _, face := range lf.Faces {
					if o := iou(face.Rect, f.face); o < 0.3 {
						t.Errorf("frame %d: track %d at %v, the face is at %v (overlap %.2f)", n, face.ID, face.Rect, f.face, o)
					}
				}
				switch {
				case n < c.back && visible(f.face) >= 0.6 && (len(lf.Faces) != 1 || lf.Faces[0].ID != firstID):
					t.Errorf("frame %d: %d faces, want track %d at %v", n, len(lf.Faces), firstID, f.face)
				case n >= c.back && len(lf.Faces) == 1 && refound < 0:
					refound, backID = n-c.back, lf.Faces[0].ID
				case n >= c.back && refound >= 0 && (len(lf.Faces) != 1 || lf.Faces[0].ID != backID):
					t.Errorf("frame %d: %d faces, want track %d", n, len(lf.Faces), backID)
				}
			}
			t.Logf("track outlived the face by %d frames; face found again %d frames after its return, track %d → %d", stray, refound, firstID, backID)
			if stray > c.maxStray {
				t.Errorf("a track stayed %d frames after the face left, want ≤ %d", stray, c.maxStray)
			}
			if refound < 0 || refound >= dlib.DefaultTrackerOptions.DetectEvery {
				t.Errorf("face found again %d frames after its return, want < %d", refound, dlib.DefaultTrackerOptions.DetectEvery)
			}
			if backID == firstID {
				t.Errorf("the returning face kept track ID %d; a face that left gets a new ID", backID)
			}
		})
	}
}

// visible is the fraction of r inside a 640×480 frame.
func visible(r image.Rectangle) float64 {
	in := r.Intersect(image.Rect(0, 0, 640, 480))
	return float64(in.Dx()*in.Dy()) / float64(r.Dx()*r.Dy())
}

// TestTrackTwoFaces stacks two videos side by side (each 320×320 in a
// 640×480 frame, faces of 130–190 px): from the first frame to the last,
// both faces are tracked, each under its own track ID, which never changes
// and never moves to the other face.
func TestTrackTwoFaces(t *testing.T) {
	for _, pair := range [][2]string{{"d18.mp4", "d20.mp4"}, {"d6.mp4", "d10.mp4"}} {
		t.Run(pair[0]+"+"+pair[1], func(t *testing.T) {
			a, err := camera.OpenVideoFile(video(t, pair[0]))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := camera.OpenVideoFile(video(t, pair[1]))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			tr := newTracker(t, dlib.TrackerOptions{})
			ids := map[recognition.TrackID]int{}
			var left, right recognition.TrackID
			n := 0
			for ; ; n++ {
				fa, errA := a.Next()
				fb, errB := b.Next()
				if errA != nil || errB != nil {
					break
				}
				lf, err := tr.Track(sideBySide(fa.Image, fb.Image), fa.Time)
				if err != nil {
					t.Fatal(err)
				}
				if len(lf.Faces) != 2 {
					t.Errorf("frame %d: %d faces, want 2", n, len(lf.Faces))
					continue
				}
				for _, f := range lf.Faces {
					ids[f.ID]++
					cx := (f.Rect.Min.X + f.Rect.Max.X) / 2
					side := &right
					if cx < 320 {
						side = &left
					}
					if *side == 0 {
						*side = f.ID
					}
					if *side != f.ID {
						t.Errorf("frame %d: track %d on the face that was track %d", n, f.ID, *side)
					}
				}
			}
			t.Logf("%d frames: track IDs %v (left %d, right %d)", n, ids, left, right)
			if len(ids) != 2 || left == right || n < 150 {
				t.Errorf("%d frames, track IDs %v, want two, each on every frame", n, ids)
			}
		})
	}
}

// trackAll replays frames through a new tracker.
func trackAll(t *testing.T, frames []*image.RGBA) []recognition.LandmarkFrame {
	tr, err := landmarker(t).NewTracker(dlib.TrackerOptions{})
	if err != nil {
		t.Error(err)
		return nil
	}
	defer tr.Close()
	out := make([]recognition.LandmarkFrame, 0, len(frames))
	for i, f := range frames {
		lf, err := tr.Track(f, time.Duration(i)*40*time.Millisecond)
		if err != nil {
			t.Error(err)
			return nil
		}
		out = append(out, lf)
	}
	return out
}

// TestTrackDeterministic: the tracks depend on the frames alone. Replaying
// a clip (d12.mp4, fast head motion, where the tracker works hardest) gives
// identical results, also with two trackers of one Landmarker running at
// once on other goroutines and slowed down by a sleep (the race detector
// checks the sharing: go test -race).
func TestTrackDeterministic(t *testing.T) {
	var clips [2][]*image.RGBA
	for i, name := range []string{"d12.mp4", "d20.mp4"} {
		for _, f := range loadFrames(t, video(t, name), 120) {
			clips[i] = append(clips[i], webcamFrame(f.Image))
		}
	}
	want := [2][]recognition.LandmarkFrame{trackAll(t, clips[0]), trackAll(t, clips[1])}
	var got [2][]recognition.LandmarkFrame
	var wg sync.WaitGroup
	for i := range clips {
		wg.Go(func() {
			slow := make([]*image.RGBA, len(clips[i]))
			copy(slow, clips[i])
			if i == 1 {
				time.Sleep(20 * time.Millisecond)
			}
			got[i] = trackAll(t, slow)
		})
	}
	wg.Wait()
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			for j := range want[i] {
				if j >= len(got[i]) || !reflect.DeepEqual(got[i][j], want[i][j]) {
					t.Fatalf("clip %d differs from frame %d", i, j)
				}
			}
			t.Fatalf("clip %d: %d frames, want %d", i, len(got[i]), len(want[i]))
		}
	}
}

// TestTrackFrameTypes: a gray frame gives the same faces as the colour
// frame it was made from (dlib's gray is (r+g+b)/3), a frame inside a
// larger picture (non-zero origin) the same faces moved by its origin, and
// bad frames clear errors.
func TestTrackFrameTypes(t *testing.T) {
	frames := loadFrames(t, video(t, "d20.mp4"), 10)
	track := func(conv func(*image.RGBA) image.Image) []recognition.LandmarkFrame {
		tr := newTracker(t, dlib.TrackerOptions{})
		var out []recognition.LandmarkFrame
		for i, f := range frames {
			lf, err := tr.Track(conv(webcamFrame(f.Image)), time.Duration(i))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, lf)
		}
		return out
	}
	want := track(func(m *image.RGBA) image.Image { return m })
	if len(want[0].Faces) != 1 {
		t.Fatalf("%d faces", len(want[0].Faces))
	}
	gray := track(func(m *image.RGBA) image.Image {
		g := image.NewGray(m.Rect)
		for i := range g.Pix {
			p := m.Pix[4*i:]
			g.Pix[i] = uint8((uint(p[0]) + uint(p[1]) + uint(p[2])) / 3)
		}
		return g
	})
	if !reflect.DeepEqual(gray, want) {
		t.Errorf("gray frames give other faces: %v, want %v", gray[0].Faces, want[0].Faces)
	}
	off := image.Pt(37, 23)
	sub := track(func(m *image.RGBA) image.Image {
		big := image.NewRGBA(image.Rect(0, 0, 700, 520))
		for y := range 480 {
			copy(big.Pix[big.PixOffset(off.X, off.Y+y):], m.Pix[m.PixOffset(0, y):m.PixOffset(640, y)])
		}
		return big.SubImage(image.Rect(0, 0, 640, 480).Add(off))
	})
	for i := range want {
		for j, f := range want[i].Faces {
			g := sub[i].Faces[j]
			if g.Rect != f.Rect.Add(off) || g.Landmarks[30].X != f.Landmarks[30].X+float32(off.X) || g.Landmarks[8].Y != f.Landmarks[8].Y+float32(off.Y) {
				t.Fatalf("frame %d in a larger picture: %v, want %v moved by %v", i, g.Rect, f.Rect, off)
			}
		}
	}

	tr := newTracker(t, dlib.TrackerOptions{})
	if _, err := tr.Track(nil, 0); !errors.Is(err, recognition.ErrEmptyImage) {
		t.Errorf("nil frame: %v", err)
	}
	if _, err := tr.Track(image.NewRGBA(image.Rect(0, 0, 10, 10)), 0); !errors.Is(err, recognition.ErrImageTooSmall) {
		t.Errorf("10×10 frame: %v", err)
	}
	// A new frame size starts over: the next frame counts from 0.
	if _, err := tr.Track(webcamFrame(frames[0].Image), 0); err != nil {
		t.Fatal(err)
	}
	lf, err := tr.Track(scaled(frames[1].Image, 400), 1)
	if err != nil || lf.Index != 0 || len(lf.Faces) != 1 || lf.Faces[0].ID != 2 || !lf.Detection {
		t.Errorf("after a size change: index %d, %d faces %v, detection %v, %v", lf.Index, len(lf.Faces), lf.Faces, lf.Detection, err)
	}
	if _, err := landmarker(t).NewTracker(dlib.TrackerOptions{DetectEvery: -1}); err == nil {
		t.Error("negative DetectEvery accepted")
	}
}

// TestCloseFreesDlibObjects: Close frees the C++ detector and shape
// predictor: the objects are counted as they are made and freed, and the C
// heap's allocated bytes (over all malloc arenas) go back to where they
// were after each of four open/close cycles, though the open predictor
// holds ~70 MB. (Resident memory is no measure: glibc keeps freed memory
// in per-thread arenas for reuse.) Calls after Close fail with ErrClosed;
// Close is idempotent.
func TestCloseFreesDlibObjects(t *testing.T) {
	dir := modelsDir(t)
	frame := webcamFrame(loadFrames(t, video(t, "d20.mp4"), 1)[0].Image)
	objects, heap := dlib.LiveObjects(), dlib.HeapInUse()
	for cycle := range 4 {
		lm, err := dlib.OpenLandmarker(dir)
		if err != nil {
			t.Fatal(err)
		}
		tr1, err := lm.NewTracker(dlib.TrackerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tr2, err := lm.NewTracker(dlib.TrackerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n := dlib.LiveObjects() - objects; n != 4 { // predictor, Detect's detector, two trackers'
			t.Fatalf("%d dlib objects alive, want 4", n)
		}
		open := dlib.HeapInUse() - heap
		for _, tr := range []*dlib.Tracker{tr1, tr2} {
			if lf, err := tr.Track(frame, 0); err != nil || len(lf.Faces) != 1 {
				t.Fatalf("%d faces, %v", len(lf.Faces), err)
			}
		}
		tr1.Close()
		tr1.Close()
		if _, err := tr1.Track(frame, 1); !errors.Is(err, dlib.ErrClosed) {
			t.Errorf("Track after Close: %v", err)
		}
		lm.Close()
		lm.Close()
		if _, err := tr2.Track(frame, 1); !errors.Is(err, dlib.ErrClosed) {
			t.Errorf("Track after the Landmarker's Close: %v", err)
		}
		if _, err := lm.Detect(frame, 0); !errors.Is(err, dlib.ErrClosed) {
			t.Errorf("Detect after Close: %v", err)
		}
		if _, err := lm.NewTracker(dlib.TrackerOptions{}); !errors.Is(err, dlib.ErrClosed) {
			t.Errorf("NewTracker after Close: %v", err)
		}
		tr2.Close()
		left := dlib.HeapInUse() - heap
		t.Logf("cycle %d: C heap +%d MB while open, %+d kB after Close", cycle, open>>20, left>>10)
		if n := dlib.LiveObjects() - objects; n != 0 {
			t.Fatalf("%d dlib objects alive after Close", n)
		}
		if open < 50<<20 || left > 1<<20 {
			t.Fatalf("C heap grew by %d MB while open and %d kB remain after Close", open>>20, left>>10)
		}
	}
}

// TestOpenLandmarkerBadModels: a missing, empty, truncated or foreign model
// file is ErrModels with a sentence naming it, never a crash.
func TestOpenLandmarkerBadModels(t *testing.T) {
	good := filepath.Join(modelsDir(t), recognition.LandmarksFile)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := os.ReadFile(filepath.Join(modelsDir(t), recognition.ResNetFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte // nil: no file
		want string
	}{
		{"missing", nil, "is missing"},
		{"empty", []byte{}, "is empty"},
		{"truncated", data[:len(data)/3], "truncated or not a dlib shape predictor"},
		{"the ResNet under its name", foreign, "truncated or not a dlib shape predictor"},
		{"text", []byte("not a model\n"), "truncated or not a dlib shape predictor"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.data != nil {
				if err := os.WriteFile(filepath.Join(dir, recognition.LandmarksFile), c.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			objects := dlib.LiveObjects()
			lm, err := dlib.OpenLandmarker(dir)
			if err == nil {
				lm.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, dlib.ErrModels) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v, want ErrModels saying %q", err, c.want)
			}
			if n := dlib.LiveObjects() - objects; n != 0 {
				t.Errorf("%d dlib objects left behind", n)
			}
		})
	}
}
