package liveness

import (
	"math"
	"time"
)

// recurrence finds a still picture shown again during the steps (issue
// 10's slideshow: a few stills of a real blink or turn — eyes open,
// half-closed, closed, half-closed, open; frontal, part-turned, turned,
// part-turned, frontal — each held a few frames in the order the prompts
// ask). Each intermediate still is shown on the way there and again on the
// way back. A frame counts as such a return (a twin) when
//   - the face is away from rest: eyes below BlinkOpen of the settled open
//     level, or the head turned by at least half of TurnYaw;
//   - it is held: its ShapeDistance and YawRatio changed from the frame
//     before by at most RecurHeld times their median change between
//     settling frames (the yaw by at least minYawNoise) — a still is held,
//     while a head turning slowly out and back, which passes through the
//     shapes of its way out, moves its yaw on every frame;
//   - a frame of the last RecurLookback is within RecurMax of it
//     (ShapeDistance), and the face had left that frame's shape by at
//     least RecurDeparture times the settling change in between.
//
// A living face does not come back to exactly a shape it left and hold
// it there; RecurFrames twins and no step passes.
//
// A slideshow that shows the very same picture files again (an image
// sequence, a screen replaying the same stills) comes back to exactly a
// picture it had left: the same frameDigest, or the same 68 landmarks to
// the bit, after a different picture between. A camera's sensor noise
// never repeats a frame's pixels (frameDigest), and a tracker's fit on a
// moving face never repeats its landmarks exactly; such a frame is an
// exact repeat wherever the face is, and RecurFrames of them fail the
// check as twins do.
type recurrence struct {
	th *Thresholds
	// Median changes between consecutive settling frames: ShapeDistance,
	// YawRatio.
	floor, floorYaw float64
	past            []recFrame
	prev            *sample
	// nearest is the smallest twin distance of a moving, held frame so
	// far (+Inf when none had a twin), for logs; twins counts the frames
	// whose twin distance was at most RecurMax.
	nearest float64
	twins   int
	// left holds the frameDigests of the pictures shown and left (a
	// different picture followed), from settling on; shown is the
	// current picture's. repeats counts the exact repeats.
	left    map[uint64]bool
	shown   uint64
	repeats int
}

type recFrame struct {
	t      time.Duration
	lm     []Point
	digest uint64
	away   float64 // largest ShapeDistance of a later frame from this one
}

// minYawNoise is the least change of YawRatio between frames counted as
// motion: the nose tip's sub-pixel jitter across a 200-pixel jaw line. A
// clean source (the same picture repeated) settles with almost none, and
// its held stills jitter by this much.
const minYawNoise = 0.005

// newRecurrence starts on the settling frames ss.
func newRecurrence(th *Thresholds, ss []sample) *recurrence {
	var ds, dy []float64
	for i := 1; i < len(ss); i++ {
		ds = append(ds, ShapeDistance(ss[i-1].lm, ss[i].lm))
		dy = append(dy, math.Abs(ss[i].yaw-ss[i-1].yaw))
	}
	r := &recurrence{th: th, floor: median(ds), floorYaw: median(dy), nearest: math.Inf(1), left: map[uint64]bool{}}
	for i := range ss {
		r.show(ss[i].digest)
	}
	return r
}

// show notes that the frame of digest d (0: no pixels) is on view.
func (r *recurrence) show(d uint64) {
	if d == 0 || d == r.shown {
		return
	}
	if r.shown != 0 {
		r.left[r.shown] = true
	}
	r.shown = d
}

// exactRepeat reports whether s shows again a picture or a landmark shape
// left before: the same frameDigest as a frame before a different one
// (show), or, from a different picture, landmarks identical to the bit to
// those of a frame of the lookback with different landmarks between. (The
// same picture handed again is left to the digest: a tracker may fit it
// differently from one frame to the next, and the same again on a later
// re-detection.)
func (r *recurrence) exactRepeat(s *sample) bool {
	if r.show(s.digest); s.digest != 0 && r.left[s.digest] {
		return true
	}
	same := func(p *recFrame) bool { return s.digest != 0 && p.digest == s.digest }
	k := len(r.past) - 1
	for k >= 0 && (same(&r.past[k]) || sameShape(r.past[k].lm, s.lm)) {
		k-- // the current run: the same picture, or the same landmarks
	}
	for ; k >= 0; k-- {
		if !same(&r.past[k]) && sameShape(r.past[k].lm, s.lm) {
			return true
		}
	}
	return false
}

// feed takes the next sample; moving says whether its face is away from
// rest. It returns the twin distance of s (ShapeDistance to the nearest
// earlier frame the face had left and came back to; +Inf when none, when
// s is not moving or not held).
func (r *recurrence) feed(s *sample, moving bool) float64 {
	i := 0
	for i < len(r.past) && s.t-r.past[i].t > r.th.RecurLookback {
		i++
	}
	r.past = append(r.past[:0], r.past[i:]...)
	if r.exactRepeat(s) {
		r.repeats++
	}
	twin := math.Inf(1)
	if p := r.prev; p == nil || ShapeDistance(p.lm, s.lm) > r.th.RecurHeld*r.floor ||
		math.Abs(s.yaw-p.yaw) > math.Max(r.th.RecurHeld*r.floorYaw, minYawNoise) {
		moving = false // passing through, not held
	}
	r.prev = s
	for k := range r.past {
		p := &r.past[k]
		d := ShapeDistance(p.lm, s.lm)
		if moving && p.away >= r.th.RecurDeparture*r.floor {
			twin = math.Min(twin, d)
		}
		p.away = math.Max(p.away, d)
	}
	r.past = append(r.past, recFrame{t: s.t, lm: s.lm, digest: s.digest})
	r.nearest = math.Min(r.nearest, twin)
	if twin <= r.th.RecurMax {
		r.twins++
	}
	return twin
}

// ShapeDistance is how different two 68-point shapes are once moved,
// turned and scaled onto each other: the RMS distance of all points after
// the least-squares similarity transform of a onto b, in inter-ocular
// distances of b (eye centre to eye centre). Detector noise on one still
// picture gives ~0.005–0.015; 0 for identical shapes.
func ShapeDistance(a, b []Point) float64 {
	var ca, cb vec
	for k := range a {
		ca, cb = ca.add(pv(a[k])), cb.add(pv(b[k]))
	}
	n := float64(len(a))
	ca, cb = ca.scale(1/n), cb.scale(1/n)
	var sab, cab, saa float64
	for k := range a {
		p, q := pv(a[k]).sub(ca), pv(b[k]).sub(cb)
		sab += p.dot(q)
		cab += p.cross(q)
		saa += p.dot(p)
	}
	iod := eyeCentre(b, leftEye).sub(eyeCentre(b, rightEye)).norm()
	if saa == 0 || iod == 0 {
		return math.Inf(1)
	}
	c, s := sab/saa, cab/saa
	var sum float64
	for k := range a {
		p, q := pv(a[k]).sub(ca), pv(b[k]).sub(cb)
		sum += sq(c*p.x-s*p.y-q.x) + sq(s*p.x+c*p.y-q.y)
	}
	return math.Sqrt(sum/n) / iod
}

// eyeCentre is the mean of the six points of the eye starting at first.
func eyeCentre(lm []Point, first int) vec {
	var c vec
	for i := first; i < first+6; i++ {
		c = c.add(pv(lm[i]))
	}
	return c.scale(1.0 / 6)
}
