package liveness

import (
	"math"
	"sort"
	"time"
)

// sample is what the check measures on one frame with one face.
type sample struct {
	t          time.Duration
	lm         []Point
	earR, earL float64 // eye aspect ratios of the person's right and left eye
	ear        float64 // their mean
	yaw        float64 // YawRatio
	vasym      float64 // VerticalAsymmetry
	narrow     float64 // OutlineWidth
	eyeW       float64 // EyeWidth, pixels
	faceW      float64 // jaw 0–16 distance, pixels
	center     vec     // centroid of the landmarks
	digest     uint64  // frameDigest of the frame's pixels; 0 without them
}

func measure(t time.Duration, lm []Point) sample {
	r, l := EARs(lm)
	return sample{
		t: t, lm: lm, earR: r, earL: l, ear: (r + l) / 2,
		yaw: YawRatio(lm), vasym: VerticalAsymmetry(lm), narrow: OutlineWidth(lm),
		eyeW: EyeWidth(lm), faceW: faceWidth(lm), center: centroid(lm),
	}
}

// VerticalAsymmetry is ln(hL/hR), where hL and hR are the heights of the
// person's left and right side of the face: from the outer eye corner
// (45, 36) to the mouth corner (54, 48), measured perpendicular to the
// line through the eye centres. Facing the camera it is ~0. It measures
// perspective: a flat picture tilted about its vertical axis brings one
// side nearer the camera, and that side grows in height as much as in
// width, so a picture "turned" by perspective shows it in proportion to the
// turn. A real head turns about the neck with the eyes and mouth corners
// only ~3 cm either side of the midline, so its sides keep their heights
// (in the videos |ΔV| ≤ 0.3·|ΔYawRatio| during turns, against 0.5–1 for
// photos tilted 40°).
func VerticalAsymmetry(lm []Point) float64 {
	up := mid(lm[leftEye], lm[leftEye+3]).sub(mid(lm[rightEye], lm[rightEye+3]))
	n := up.norm()
	if n == 0 {
		return 0
	}
	up = up.scale(1 / n).perp()
	hl := absf(pv(lm[54]).sub(pv(lm[leftEye+3])).dot(up))
	hr := absf(pv(lm[48]).sub(pv(lm[rightEye])).dot(up))
	if hl == 0 || hr == 0 {
		return 0
	}
	return math.Log(hl / hr)
}

// OutlineWidth is ln(W/H): W the width of the face outline (jaw points 0
// to 16), H the height from the middle of the eyes to the base of the nose
// (point 33). A head is round: turning, its outline is its silhouette and
// keeps its width (in the videos ln(W/H) falls by 0–0.13 for turns of
// ΔYawRatio 0.11–0.18). A flat picture tilted by θ narrows by cos θ
// (−0.27 at 40°) while the little turn its perspective fakes stays ≤ 0.13,
// and the height at its centre does not change.
func OutlineWidth(lm []Point) float64 {
	var eyes vec
	for i := rightEye; i < leftEye+6; i++ {
		eyes = eyes.add(pv(lm[i]))
	}
	eyes = eyes.scale(1.0 / 12)
	h := eyes.distTo(pv(lm[33]))
	if h == 0 {
		return 0
	}
	return math.Log(faceWidth(lm) / h)
}

// planePoints are the landmarks a flat-picture model is fitted to: eye
// corners, brow ends and mouth corners — points the shape predictor
// places on anatomical features (jaw-line points slide along the outline
// as the head turns) and that lie within ~1–2 cm of one plane on a real
// face, while the nose tip stands ~2–3 cm in front of it.
var planePoints = [...]int{17, 21, 22, 26, 36, 39, 42, 45, 48, 54}

// Parallax is how far the nose tip (point 30) of cur lies from where a flat
// picture of ref would put it: the homography that best maps ref's plane
// points (eye corners, brow ends, mouth corners) onto cur's is applied to
// ref's nose tip, and the offset of cur's nose tip from it is measured along
// cur's jaw line (point 0 towards 16) in face widths. Any view of a flat
// picture — moved, rotated, scaled, tilted in perspective — is such a
// homography of any other, so a picture's parallax is only landmark noise;
// a real head turning to its left moves the nose tip, which stands in front
// of that plane, further towards point 16: positive, ~0.035–0.055 at the
// turns in the videos (ΔYawRatio 0.13–0.17), against ≤ 0.03 sustained for
// photos tilted 40°. ok is false when the fit fails.
func Parallax(ref, cur []Point) (p float64, ok bool) {
	var src, dst [10]vec // len(planePoints)
	for i, k := range planePoints {
		src[i], dst[i] = pv(ref[k]), pv(cur[k])
	}
	h, ok := fitHomography(src[:], dst[:])
	if !ok {
		return 0, false
	}
	axis := pv(cur[jawLeft]).sub(pv(cur[jawRight]))
	w := axis.norm()
	if w == 0 {
		return 0, false
	}
	off := pv(cur[noseTip]).sub(h.apply(pv(ref[noseTip])))
	return off.dot(axis) / (w * w), true
}

// medianShape is the pointwise median of shapes (all 68-point).
func medianShape(shapes [][]Point) []Point {
	out := make([]Point, NumLandmarks)
	xs := make([]float64, len(shapes))
	ys := make([]float64, len(shapes))
	for k := range out {
		for i, s := range shapes {
			xs[i], ys[i] = float64(s[k].X), float64(s[k].Y)
		}
		out[k] = pt(median(xs), median(ys))
	}
	return out
}

// median of xs (reorders xs).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// window holds timed values for a running median over recent time.
type window struct {
	t   []time.Duration
	v   []float64
	buf []float64
}

func (w *window) add(t time.Duration, v float64) {
	w.t = append(w.t, t)
	w.v = append(w.v, v)
}

// median of the values no older than span before now; drops older ones.
func (w *window) median(now, span time.Duration) float64 {
	i := 0
	for i < len(w.t)-1 && now-w.t[i] > span {
		i++
	}
	if i > 0 {
		w.t = append(w.t[:0], w.t[i:]...)
		w.v = append(w.v[:0], w.v[i:]...)
	}
	w.buf = append(w.buf[:0], w.v...)
	return median(w.buf)
}

// runningMedian is the median of the last n values (fewer at the start):
// it removes landmark glitches shorter than half the window.
type runningMedian struct {
	n    int
	v    []float64
	next int
	buf  []float64
}

func newRunningMedian(n int) runningMedian { return runningMedian{n: max(1, n)} }

// median is the median of the values held (NaN when none).
func (m *runningMedian) median() float64 {
	m.buf = append(m.buf[:0], m.v...)
	return median(m.buf)
}

func (m *runningMedian) add(x float64) float64 {
	if len(m.v) < m.n {
		m.v = append(m.v, x)
	} else {
		m.v[m.next] = x
		m.next = (m.next + 1) % m.n
	}
	m.buf = append(m.buf[:0], m.v...)
	return median(m.buf)
}
