package app

import (
	"math"
	"slices"

	"facelogin/recognition"
	livecheck "facelogin/recognition/liveness"
)

// poseCues are the head pose and expression of one tracked face, read
// from its 68 landmarks (iBUG 300-W order; left and right the person's
// own, the camera image unmirrored). Each is dimensionless, unchanged by
// the face's size, position and in-plane rotation, and compared with the
// same person's values while looking straight (see poseStep.reached).
type poseCues struct {
	// yaw is liveness.YawRatio: where the nose tip lies between the ends
	// of the jaw line, ≈ 0.5 facing the camera, rising as the person
	// turns to their own left, falling as they turn to their right.
	yaw float64
	// pitch is pitchRatio: where the nose tip lies between the eyes and
	// the mouth, falling as the person looks up.
	pitch float64
	// smile is smileRatio: mouth width over the distance between the outer
	// eye corners, rising with a smile.
	smile float64
}

// cuesOf measures lm; ok is false for a shape that is not 68 finite
// points with eyes apart.
func cuesOf(lm []recognition.Point) (poseCues, bool) {
	if len(lm) != recognition.Landmarks68 {
		return poseCues{}, false
	}
	c := poseCues{yaw: livecheck.YawRatio(lm), pitch: pitchRatio(lm), smile: smileRatio(lm)}
	for _, v := range []float64{c.yaw, c.pitch, c.smile} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
			return poseCues{}, false
		}
	}
	return c, true
}

// pitchRatio is where the nose tip (point 30) lies between the middle of
// the eyes (mean of 36–47) and the middle of the mouth (mean of the mouth
// corners 48 and 54), measured along the face's vertical axis (the
// perpendicular of the line through the eye centres):
//
//	r = ((p30 − eyes)·v) / ((mouth − eyes)·v)
//
// The vertical counterpart of liveness.YawRatio, after Gee & Cipolla's
// facial-normal model ("Determining the gaze of faces in images", Image
// and Vision Computing 12(10), 1994), which reads head pose from the nose
// tip's position relative to the eye–mouth frame: the nose tip stands in
// front of the plane of eyes and mouth, so tipping the head back (looking
// up) moves its image towards the eyes and r falls; looking down raises
// it. Only its change from the person's own straight view is used (its
// absolute value depends on the face). 0 for a degenerate shape.
func pitchRatio(lm []recognition.Point) float64 {
	var re, le vec2
	for i := range 6 {
		re = re.add(p2(lm[recognition.RightEye.First+i]))
		le = le.add(p2(lm[recognition.LeftEye.First+i]))
	}
	re, le = re.scale(1.0/6), le.scale(1.0/6)
	across := le.sub(re)
	v := vec2{-across.y, across.x} // down the face for an upright face
	eyes := re.add(le).scale(0.5)
	mouth := p2(lm[recognition.OuterLips.First]).add(p2(lm[recognition.OuterLips.First+6])).scale(0.5)
	h := mouth.sub(eyes).dot(v)
	if h == 0 {
		return 0
	}
	return p2(lm[recognition.NoseTip]).sub(eyes).dot(v) / h
}

// smileRatio is the width of the mouth (corner 48 to corner 54) over the
// distance between the outer eye corners (36 and 45): the lip-corner pull
// of a smile (FACS action unit 12, Ekman & Friesen, "Facial Action Coding
// System", 1978) normalised by the inter-ocular distance, the usual scale
// for landmark-based expression features. Only its change from the
// person's own straight view is used. 0 for a degenerate shape.
func smileRatio(lm []recognition.Point) float64 {
	eyes := p2(lm[recognition.LeftEye.First+3]).sub(p2(lm[recognition.RightEye.First])).norm()
	if eyes == 0 {
		return 0
	}
	return p2(lm[recognition.OuterLips.First+6]).sub(p2(lm[recognition.OuterLips.First])).norm() / eyes
}

type vec2 struct{ x, y float64 }

func p2(p recognition.Point) vec2   { return vec2{float64(p.X), float64(p.Y)} }
func (a vec2) add(b vec2) vec2      { return vec2{a.x + b.x, a.y + b.y} }
func (a vec2) sub(b vec2) vec2      { return vec2{a.x - b.x, a.y - b.y} }
func (a vec2) scale(s float64) vec2 { return vec2{a.x * s, a.y * s} }
func (a vec2) dot(b vec2) float64   { return a.x*b.x + a.y*b.y }
func (a vec2) norm() float64        { return math.Hypot(a.x, a.y) }

// poseKind is what one step of a guided registration asks for.
type poseKind int

const (
	poseStraight poseKind = iota
	poseLeft
	poseRight
	poseUp
	poseSmile
)

// poseStep is one step of a guided registration: the prompt, how many
// accepted frames it takes, and whether the person may skip it.
type poseStep struct {
	kind     poseKind
	prompt   string // large, on screen while the step runs
	frames   int    // accepted frames that complete the step
	optional bool   // skippable, and ends by itself after the step limit
}

// Thresholds of the guided poses, as changes from the person's own cues
// while looking straight (the median of the straight step's frames).
// The straight step asks for no particular yaw: portraits that pass the
// quality gate range over YawRatio 0.16–0.77 (the photos of
// ../shared/testdata/faces), and a person who habitually holds the head a
// little turned registers with that as their straight view; the other
// poses are measured from it.
var (
	// turnYaw is the |Δyaw| that counts as "slightly left/right": the
	// liveness check's turn (the turns in the shared videos reach
	// ΔYawRatio 0.11–0.18).
	turnYaw = livecheck.Default.TurnYaw
)

const (
	// upPitch is the fall of pitchRatio that counts as "slightly up".
	// A design value, not measured: the shared videos hold no one looking
	// up on request. It is smaller than turnYaw because the nose tip moves
	// across the eye–mouth span, shorter than the jaw line the yaw ratio
	// divides by.
	upPitch = 0.05
	// smileGain is the relative widening of the mouth that counts as a
	// smile. A design value, not measured on video; a still face's
	// landmarks must not reach it (the e2e test's still photo never does).
	smileGain = 0.08
)

// reached reports whether cues, against the straight-ahead baseline,
// show the pose the step asks for. Any view is the straight one (its
// frames are the baseline).
func (s poseStep) reached(c, base poseCues) bool {
	switch s.kind {
	case poseStraight:
		return true
	case poseLeft:
		return c.yaw-base.yaw >= turnYaw
	case poseRight:
		return base.yaw-c.yaw >= turnYaw
	case poseUp:
		return base.pitch-c.pitch >= upPitch
	case poseSmile:
		return c.smile >= base.smile*(1+smileGain) && math.Abs(c.yaw-base.yaw) < turnYaw
	}
	return false
}

// medianCues is the pointwise median of cs (not empty).
func medianCues(cs []poseCues) poseCues {
	pick := func(f func(poseCues) float64) float64 {
		xs := make([]float64, len(cs))
		for i, c := range cs {
			xs[i] = f(c)
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	return poseCues{
		yaw:   pick(func(c poseCues) float64 { return c.yaw }),
		pitch: pick(func(c poseCues) float64 { return c.pitch }),
		smile: pick(func(c poseCues) float64 { return c.smile }),
	}
}
