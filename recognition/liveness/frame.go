package liveness

import (
	"image"
	"time"

	"facelogin/recognition"
)

// Frame is what the check sees of one camera frame: its capture time and
// every face found in it. Any engine produces it — dlib's detector on every
// frame, the fast landmark tracker, a test's synthetic track — so the check
// does not depend on where the landmarks came from.
type Frame struct {
	// Time is the frame's capture time as an offset from any origin fixed
	// for the stream (a video file's presentation time, a camera frame's
	// capture time minus the first one's). It must increase from frame to
	// frame; only differences matter. The check never reads the clock, so
	// a recording gives the same result on a fast and a slow machine.
	Time time.Duration
	// Faces are all faces in view. The check needs exactly one.
	Faces []Face
	// Image is the frame's pixels, in the coordinates of the landmarks,
	// optional. The check reads it only on the few frames it compares
	// pixel by pixel (the start of each step, the frames of a turn past
	// Thresholds.TurnYaw, a blink's closed and reopened eyes: NewPatch
	// and the 3D check, a few ms each — BenchmarkNewPatch,
	// BenchmarkNonPlanarity) and keeps no reference to it after Feed
	// returns. Without it (and without
	// Face.Patch) turns are judged on the landmarks alone, which needs a
	// larger turn (Thresholds.TurnYawLandmarks) and lets more through.
	Image image.Image
}

// Face is one face of a Frame.
type Face struct {
	// Track is the tracker's ID of this face, constant while the tracker
	// follows it; 0 when the landmark source has no tracker (then only the
	// geometry tells one face from another).
	Track recognition.TrackID
	// Box is the face box in frame pixels (informational: detectors'
	// boxes jump between fixed sizes, so continuity is judged on the
	// landmarks).
	Box image.Rectangle
	// Landmarks are the 68 points of the iBUG 300-W layout in frame
	// pixels (dlib's 68-point shape predictor). Faces with another number
	// of points (dlib's 5-point model) cannot be checked: ErrNoLandmarks.
	Landmarks []Point
	// Patch is the face's pixels (NewPatch of the frame and Landmarks),
	// when the caller made it already; otherwise the check makes it from
	// Frame.Image when it needs it.
	Patch *Patch
	// Descriptor is the face's identity descriptor (dlib's 128-d ResNet
	// embedding, or any other metric embedding), when the caller computed
	// one for this frame — only needed when Config.MaxDescriptorDistance is
	// set, and only on the frames after Status.NeedDescriptor asked for it
	// (it is read from the first such frame with a steady frontal face and
	// open eyes, once before the first step and once after the last).
	Descriptor []float32
}

// FromLandmarkFrame is the check's input for one frame of the fast
// landmark path: every face the tracker follows in img (the frame lf was
// computed from), with its track ID, box and landmarks, and img for the
// pixel checks. The app feeds the Tracker's output through it frame by
// frame:
//
//	lf, err := tracker.Track(img, at)
//	st := challenge.Feed(liveness.FromLandmarkFrame(lf, img))
func FromLandmarkFrame(lf recognition.LandmarkFrame, img image.Image) Frame {
	f := Frame{Time: lf.Time, Faces: make([]Face, 0, len(lf.Faces)), Image: img}
	for _, tf := range lf.Faces {
		f.Faces = append(f.Faces, Face{Track: tf.ID, Box: tf.Rect, Landmarks: tf.Landmarks})
	}
	return f
}
