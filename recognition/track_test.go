package recognition

import (
	"image"
	"testing"
)

func TestPointRound(t *testing.T) {
	for _, c := range []struct {
		p    Point
		want image.Point
	}{
		{Point{0.4, 0.6}, image.Pt(0, 1)},
		{Point{-0.4, -0.6}, image.Pt(0, -1)},
		{Point{2.5, -2.5}, image.Pt(3, -3)}, // halves away from zero, as dlib rounds
		{Point{639.49, 479.51}, image.Pt(639, 480)},
	} {
		if got := c.p.Round(); got != c.want {
			t.Errorf("%v.Round() = %v, want %v", c.p, got, c.want)
		}
	}
}

// TestTrackedFaceFace: a tracked face handed to code written for Face (the
// quality gate) keeps its box and its rounded landmarks.
func TestTrackedFaceFace(t *testing.T) {
	tf := TrackedFace{ID: 3, Rect: image.Rect(10, 20, 110, 120), Landmarks: []Point{{11.6, 20.2}, {50, 60.5}}}
	f := tf.Face()
	if f.Rect != tf.Rect || len(f.Landmarks) != 2 || f.Landmarks[0] != image.Pt(12, 20) || f.Landmarks[1] != image.Pt(50, 61) || f.Descriptor != (Descriptor{}) {
		t.Errorf("Face() = %+v", f)
	}
	frame := image.NewRGBA(image.Rect(0, 0, 200, 200))
	if _, err := CheckQuality(frame, []Face{f}, DefaultQuality); err == nil {
		t.Error("a flat frame passed the quality gate")
	}
}

func TestLandmarkFrameFind(t *testing.T) {
	lf := LandmarkFrame{Faces: []TrackedFace{{ID: 2}, {ID: 5, Age: 7}}}
	if f, ok := lf.Find(5); !ok || f.Age != 7 {
		t.Errorf("Find(5) = %+v, %v", f, ok)
	}
	if _, ok := lf.Find(3); ok {
		t.Error("Find(3) found a face")
	}
}

// TestLandmarkRanges: the 68-point groups tile 0..67 in order.
func TestLandmarkRanges(t *testing.T) {
	next := 0
	for _, r := range []LandmarkRange{Jaw, RightBrow, LeftBrow, NoseBridge, NoseBase, RightEye, LeftEye, OuterLips, InnerLips} {
		if r.First != next || r.Last < r.First {
			t.Fatalf("range %+v, want it to start at %d", r, next)
		}
		next = r.Last + 1
	}
	if next != Landmarks68 || NoseTip != NoseBridge.Last {
		t.Errorf("groups end at %d, nose tip %d", next, NoseTip)
	}
}
