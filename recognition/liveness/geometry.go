package liveness

import (
	"image"
	"math"

	"facelogin/recognition"
)

// Point is a landmark position in pixels of the frame it was found in, with
// its fractions: X to the right, Y down — recognition.Point, what the fast
// tracker (recognition.LandmarkFrame) produces, so its landmarks are fed
// as they are. Whole-pixel landmarks (recognition.Face) convert with
// FromImagePoints.
type Point = recognition.Point

// FromImagePoints converts whole-pixel landmarks (recognition.Face's).
func FromImagePoints(pts []image.Point) []Point {
	out := make([]Point, len(pts))
	for i, p := range pts {
		out[i] = Point{X: float32(p.X), Y: float32(p.Y)}
	}
	return out
}

// Indexes in the 68-point iBUG 300-W layout (C. Sagonas et al., "300 Faces
// in-the-Wild Challenge", 2013), the order dlib's 68-point shape predictor
// produces. Right and left are the person's own: on an unmirrored camera
// image the person's right eye (36–41) and jaw point 0 are on the left of
// the picture.
const (
	NumLandmarks = 68

	jawRight = 0  // jaw outline's first point, beside the person's right ear
	jawLeft  = 16 // jaw outline's last point, beside the person's left ear
	noseTip  = 30
	rightEye = 36 // outer corner; then two upper lid points, inner corner, two lower lid points
	leftEye  = 42 // inner corner; then two upper lid points, outer corner, two lower lid points
)

// vec is a point in float64 for the arithmetic.
type vec struct{ x, y float64 }

func pv(p Point) vec               { return vec{float64(p.X), float64(p.Y)} }
func (a vec) sub(b vec) vec        { return vec{a.x - b.x, a.y - b.y} }
func (a vec) add(b vec) vec        { return vec{a.x + b.x, a.y + b.y} }
func (a vec) scale(s float64) vec  { return vec{a.x * s, a.y * s} }
func (a vec) dot(b vec) float64    { return a.x*b.x + a.y*b.y }
func (a vec) norm() float64        { return math.Hypot(a.x, a.y) }
func dist(a, b Point) float64      { return pv(a).sub(pv(b)).norm() }
func finite(x float64) bool        { return !math.IsNaN(x) && !math.IsInf(x, 0) }
func clamp01(x float64) float64    { return math.Max(0, math.Min(1, x)) }
func lerp(a, b, t float64) float64 { return a + (b-a)*t }
func sq(x float64) float64         { return x * x }
func absf(x float64) float64       { return math.Abs(x) }
func pt(x, y float64) Point        { return Point{X: float32(x), Y: float32(y)} }
func mid(a, b Point) vec           { return pv(a).add(pv(b)).scale(0.5) }
func (a vec) distTo(b vec) float64 { return a.sub(b).norm() }
func (a vec) cross(b vec) float64  { return a.x*b.y - a.y*b.x }
func (a vec) perp() vec            { return vec{-a.y, a.x} }
func (a vec) isFinite() bool       { return finite(a.x) && finite(a.y) }

// EyeAspectRatio is the eye aspect ratio of Soukupová & Čech ("Real-Time
// Eye Blink Detection using Facial Landmarks", CVWW 2016) of the six
// points of one eye in the 68-point order p1..p6 (corner, two upper lid
// points, corner, two lower lid points):
//
//	EAR = (|p2−p6| + |p3−p5|) / (2·|p1−p4|)
//
// It is dimensionless and does not change with the face's size or
// in-plane rotation: ~0.25–0.35 for an open adult eye (~0.45 for a child's
// rounder one in ../shared/testdata/video/d11.mp4), ~0.05–0.15 closed. 0
// when the corners coincide.
func EyeAspectRatio(eye []Point) float64 {
	w := dist(eye[0], eye[3])
	if w == 0 {
		return 0
	}
	return (dist(eye[1], eye[5]) + dist(eye[2], eye[4])) / (2 * w)
}

// EARs returns the eye aspect ratio of the person's right eye (points
// 36–41) and left eye (42–47) of a 68-point shape.
func EARs(lm []Point) (right, left float64) {
	return EyeAspectRatio(lm[rightEye : rightEye+6]), EyeAspectRatio(lm[leftEye : leftEye+6])
}

// YawRatio is where the nose tip (point 30) lies between the ends of the
// jaw outline, measured along the line from point 0 to point 16:
//
//	r = ((p30−p0)·(p16−p0)) / |p16−p0|²
//
// (the x-ratio (x30−x0)/(x16−x0) of the issue, made independent of in-plane
// rotation). The nose tip stands ~3 cm in front of the face outline, so
// turning the head moves it across the outline: r ≈ 0.47–0.50 facing the
// camera, rising towards ~0.65–0.8 as the person turns to their own LEFT
// (on an unmirrored camera image the nose then moves towards point 16, on
// the right of the picture) and falling towards ~0.3 as they turn to their
// own right. A flat picture has no such depth: moved, rotated or scaled in
// its plane, r does not change at all; tilted about the vertical axis it
// changes only by the perspective of its width, ≤ ~0.1 at 40° with the
// face filling a webcam's view (see Parallax).
func YawRatio(lm []Point) float64 {
	a := pv(lm[jawLeft]).sub(pv(lm[jawRight]))
	n := pv(lm[noseTip]).sub(pv(lm[jawRight]))
	d := a.dot(a)
	if d == 0 {
		return 0.5
	}
	return n.dot(a) / d
}

// EyeWidth is the mean width of the two eyes (corner to corner), in
// pixels: the scale the eye aspect ratio is measured at.
func EyeWidth(lm []Point) float64 {
	return (dist(lm[rightEye], lm[rightEye+3]) + dist(lm[leftEye], lm[leftEye+3])) / 2
}

// faceWidth is the distance between the ends of the jaw outline, pixels.
func faceWidth(lm []Point) float64 { return dist(lm[jawRight], lm[jawLeft]) }

// centroid is the mean of all points.
func centroid(lm []Point) vec {
	var c vec
	for _, p := range lm {
		c = c.add(pv(p))
	}
	return c.scale(1 / float64(len(lm)))
}

// validShape reports whether lm is a usable 68-point shape: the right count,
// finite coordinates, and a face outline of non-zero width.
func validShape(lm []Point) bool {
	if len(lm) != NumLandmarks {
		return false
	}
	for _, p := range lm {
		if !pv(p).isFinite() {
			return false
		}
	}
	return faceWidth(lm) > 0 && EyeWidth(lm) > 0
}
