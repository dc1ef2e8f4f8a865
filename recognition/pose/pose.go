// Package pose reads head pose and expression from 68 face landmarks and
// holds the rules of a guided registration: the steps (look straight,
// slightly left, right, up, smile), when a frame shows the pose a step asks
// for, and how a sequence of tracked frames walks through the steps. The
// window's Register (app/guide.go) and the measurement of guided enrolment
// on the shared videos (TestGuidedEnrolment in recognition/dlib) both use
// it. Pure Go, no cgo.
package pose

import (
	"math"
	"slices"

	"facelogin/recognition"
	livecheck "facelogin/recognition/liveness"
)

// Cues are the head pose and expression of one tracked face, read from its
// 68 landmarks (iBUG 300-W order; left and right the person's own, the
// camera image unmirrored). Each is dimensionless, unchanged by the face's
// size, position and in-plane rotation, and compared with the same
// person's values while looking straight (see Thresholds.Reached).
type Cues struct {
	// Yaw is liveness.YawRatio: where the nose tip lies between the ends
	// of the jaw line, ≈ 0.5 facing the camera, rising as the person turns
	// to their own left, falling as they turn to their right.
	Yaw float64
	// Pitch is PitchRatio: how far the nose tip lies below the eyes, in
	// inter-ocular distances, falling as the person looks up.
	Pitch float64
	// Smile is SmileRatio: mouth width over the distance between the outer
	// eye corners, rising with a smile.
	Smile float64
}

// CuesOf measures lm; ok is false for a shape that is not 68 finite points
// with eyes apart.
func CuesOf(lm []recognition.Point) (Cues, bool) {
	if len(lm) != recognition.Landmarks68 {
		return Cues{}, false
	}
	c := Cues{Yaw: livecheck.YawRatio(lm), Pitch: PitchRatio(lm), Smile: SmileRatio(lm)}
	for _, v := range []float64{c.Yaw, c.Pitch, c.Smile} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
			return Cues{}, false
		}
	}
	return c, true
}

// PitchRatio is how far the nose tip (point 30) lies below the middle of
// the eyes (mean of 36–47), measured along the face's vertical axis (the
// perpendicular of the line through the eye centres) in units of the
// distance between the eye centres:
//
//	r = ((p30 − eyes)·v̂) / |le − re|
//
// After Gee & Cipolla's facial-normal model ("Determining the gaze of faces
// in images", Image and Vision Computing 12(10), 1994), which reads head
// pose from the nose tip's position relative to the eyes and mouth: the
// nose tip stands in front of the plane of the eyes, so tipping the head
// back (looking up) moves its image towards the eyes and r falls; looking
// down raises it. The mouth is left out on purpose: an open mouth drops the
// mouth corners, and a ratio over the eye–mouth span then moves as much as
// a look up does (on the shared videos a held "O" mouth moved it by
// 0.12–0.13, a look up by 0.12–0.24; this ratio by 0.02–0.05 and
// 0.09–0.22: TestPoseThresholds in recognition/dlib). Only its change from
// the person's own straight view is used. 0 for a degenerate shape.
func PitchRatio(lm []recognition.Point) float64 {
	var re, le vec2
	for i := range 6 {
		re = re.add(p2(lm[recognition.RightEye.First+i]))
		le = le.add(p2(lm[recognition.LeftEye.First+i]))
	}
	re, le = re.scale(1.0/6), le.scale(1.0/6)
	across := le.sub(re)
	n := across.norm()
	if n == 0 {
		return 0
	}
	v := vec2{-across.y / n, across.x / n} // down the face for an upright face
	eyes := re.add(le).scale(0.5)
	return p2(lm[recognition.NoseTip]).sub(eyes).dot(v) / n
}

// SmileRatio is the width of the mouth (corner 48 to corner 54) over the
// distance between the outer eye corners (36 and 45): the lip-corner pull
// of a smile (FACS action unit 12, Ekman & Friesen, "Facial Action Coding
// System", 1978) normalised by the inter-ocular distance, the usual scale
// for landmark-based expression features. Only its change from the
// person's own straight view is used. 0 for a degenerate shape.
func SmileRatio(lm []recognition.Point) float64 {
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

// Median is the pointwise median of cs (not empty).
func Median(cs []Cues) Cues {
	pick := func(f func(Cues) float64) float64 {
		xs := make([]float64, len(cs))
		for i, c := range cs {
			xs[i] = f(c)
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	return Cues{
		Yaw:   pick(func(c Cues) float64 { return c.Yaw }),
		Pitch: pick(func(c Cues) float64 { return c.Pitch }),
		Smile: pick(func(c Cues) float64 { return c.Smile }),
	}
}
