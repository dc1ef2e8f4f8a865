package recognition

import (
	"image"
	"math"
	"time"
)

// Point is a landmark position with its fractions, in pixels of the frame
// it was found in: X to the right, Y down, (0,0) the centre of the top-left
// pixel — the convention of image.Point landmarks in Face, which are these
// positions rounded. The shape predictor places points to a fraction of a
// pixel; keeping the fractions matters for small features such as the eye
// aspect ratio, where a whole-pixel step is 10–20% of the eye's height.
type Point struct{ X, Y float32 }

// Round returns the nearest whole pixel.
func (p Point) Round() image.Point {
	return image.Pt(int(math.Round(float64(p.X))), int(math.Round(float64(p.Y))))
}

// TrackID names one face for as long as a tracker keeps it in view. A
// tracker numbers its tracks 1, 2, 3, … in the order they start and never
// reuses a number, so a face that leaves the view and comes back gets a new
// ID. 0 is no track.
type TrackID uint64

// TrackedFace is one face in one frame of a landmark track.
type TrackedFace struct {
	ID TrackID
	// Rect is the face box in frame pixels, in the convention of Face.Rect
	// (dlib's HOG detector box: Min the top-left pixel, Max the bottom-right
	// one). On frames where the face was tracked rather than detected it is
	// the box the detector would draw around these landmarks.
	Rect image.Rectangle
	// Landmarks are the shape predictor's points: 68 in the iBUG 300-W
	// order with the 68-point model (see Jaw, RightEye, …), 5 with dlib's
	// 5-point model.
	Landmarks []Point
	// Detected is true when the landmarks were fitted in a box the face
	// detector found in this very frame, false when they were fitted in the
	// box of the previous frame's landmarks.
	Detected bool
	// Age counts the frames of this track up to and including this one
	// (1 on the frame the track started).
	Age int
}

// Face returns f as a Face (box and rounded landmarks, no descriptor), for
// code written for Face such as CheckQuality.
func (f TrackedFace) Face() Face {
	pts := make([]image.Point, len(f.Landmarks))
	for i, p := range f.Landmarks {
		pts[i] = p.Round()
	}
	return Face{Rect: f.Rect, Landmarks: pts}
}

// LandmarkFrame is the fast path's result for one frame: every face in view
// with its track ID, box and landmarks. A sequence of them, one per frame,
// is a time-stamped landmark track: select one face's points across frames
// with Find.
type LandmarkFrame struct {
	// Time is the frame's timestamp as the caller gave it: an offset from
	// any origin fixed for the stream (a video file's presentation time, a
	// camera frame's capture time minus the first one's). Only differences
	// between frames of one stream mean anything.
	Time time.Duration
	// Index counts the frames the tracker was given before this one.
	Index int
	// Size is the frame's width and height in pixels.
	Size image.Point
	// Detection is true when the face detector scanned the whole frame for
	// new faces; on other frames known faces were only followed.
	Detection bool
	// Faces are ordered by ID: the longest-tracked face first.
	Faces []TrackedFace
}

// Find returns the face with the given track ID, if it is in this frame.
func (f *LandmarkFrame) Find(id TrackID) (TrackedFace, bool) {
	for _, face := range f.Faces {
		if face.ID == id {
			return face, true
		}
	}
	return TrackedFace{}, false
}

// LandmarkRange is a run of landmark indexes, First to Last inclusive.
type LandmarkRange struct{ First, Last int }

// The groups of the 68-point iBUG 300-W layout (C. Sagonas et al., "300
// Faces in-the-Wild Challenge", 2013), the order dlib's 68-point shape
// predictor produces. Right and left are the person's own: the right eye
// appears on the left of an unmirrored camera image.
var (
	Jaw        = LandmarkRange{0, 16}
	RightBrow  = LandmarkRange{17, 21}
	LeftBrow   = LandmarkRange{22, 26}
	NoseBridge = LandmarkRange{27, 30}
	NoseBase   = LandmarkRange{31, 35}
	RightEye   = LandmarkRange{36, 41} // outer corner, two upper lid points, inner corner, two lower lid points
	LeftEye    = LandmarkRange{42, 47} // inner corner, two upper lid points, outer corner, two lower lid points
	OuterLips  = LandmarkRange{48, 59}
	InnerLips  = LandmarkRange{60, 67}
)

// NoseTip is the index of the tip of the nose in the 68-point layout.
const NoseTip = 30

// Landmarks68 is the number of points of the iBUG 300-W layout.
const Landmarks68 = 68
