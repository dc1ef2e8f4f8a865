package liveness

import (
	"fmt"
	"math"
	"time"
)

// turnDetector finds one head turn in a given direction and back: the
// change of YawRatio from the person's frontal baseline reaches a turn in
// the asked direction, shows the depth of a real head, and then returns
// within TurnReturn of the baseline. A turn of WrongWayYaw the other way
// fails the step. The landmark signals are medians of the last TurnSmooth
// frames, so glitched frames neither make nor break a turn.
//
// Depth is judged on the pixels when the frontal reference has them (the
// 3D check: NonPlanarity of the turned face against the frontal one at
// least Min3D, as the median of the last TurnHold frames, once the turn
// passes TurnYaw); otherwise on the landmarks (TurnYawLandmarks, nose-tip
// Parallax at least MinParallax, at most MaxPerspective of the turn
// explained by a tilted picture's perspective, VerticalAsymmetry, and at
// most MaxNarrowing by its narrowing, OutlineWidth).
type turnDetector struct {
	th  *Thresholds
	dir float64 // +1 to the person's left, −1 to their right

	ref     []Point  // frontal reference shape (median of the settling frames)
	pix     *faceRef // frontal reference of the 3D check; nil without pixels
	yaw0    float64  // frontal YawRatio
	vasym0  float64  // frontal VerticalAsymmetry
	narrow0 float64  // frontal OutlineWidth

	dyaw, par, persp, narrow runningMedian
	held                     int       // consecutive frames that qualify in the asked direction
	np                       []float64 // NonPlanarity of those frames
	wrongHeld                int       // consecutive frames turned the other way by WrongWayYaw
	otherHeld                int       // consecutive frames turned the other way by the turn's own threshold
	otherTurn                bool      // a turn the other way was held TurnHold frames
	restHeld                 int       // consecutive frames back within TurnReturn after it
	restFrom                 time.Duration

	reached  bool
	peak     float64 // largest turn reached in the asked direction (ΔYawRatio)
	depth    float64 // NonPlanarity (pixels) or nose parallax (landmarks) when reached
	last     float64 // smoothed ΔYawRatio of the last frame, signed in dir
	flat     error   // a turn that reached the yaw without depth
	wrongWay error
	detail   string
}

func newTurnDetector(th *Thresholds, step Step, ref []Point, pix *faceRef, yaw0, vasym0, narrow0 float64) *turnDetector {
	n := th.TurnSmooth
	return &turnDetector{th: th, dir: step.direction(), ref: ref, pix: pix, yaw0: yaw0, vasym0: vasym0, narrow0: narrow0,
		dyaw: newRunningMedian(n), par: newRunningMedian(n), persp: newRunningMedian(n), narrow: newRunningMedian(n)}
}

// turnYaw is the ΔYawRatio a turn must reach.
func (d *turnDetector) turnYaw() float64 {
	if d.pix != nil {
		return d.th.TurnYaw
	}
	return d.th.TurnYawLandmarks
}

// feed takes the next sample (and its frame's pixels); true when the turn
// is complete. A turn of WrongWayYaw the other way, held TurnHold frames
// and WrongWayFor, sets wrongWay.
func (d *turnDetector) feed(s *sample, px *pixels) bool {
	dy := d.dyaw.add(s.yaw - d.yaw0)
	d.last = d.dir * dy
	if d.pix == nil {
		// Landmark depth cues, smoothed over every frame.
		p, ok := Parallax(d.ref, s.lm)
		if !ok {
			p = 0
		}
		d.par.add(p)
		d.persp.add(s.vasym - d.vasym0)
		d.narrow.add(s.narrow - d.narrow0)
	}

	if d.reached {
		if math.Abs(dy) <= d.th.TurnReturn {
			d.detail = fmt.Sprintf("yaw ratio %.3f → %+.3f, %s, back to %+.3f", d.yaw0, d.dir*d.peak, d.depthText(), dy)
			return true
		}
		d.peak = math.Max(d.peak, d.dir*dy)
		return false
	}
	size := math.Abs(dy)
	sign := math.Copysign(1, dy)
	if sign != d.dir && size >= d.th.WrongWayYaw {
		// Glancing the other way first is natural; a full turn the other
		// way is a mistake, or a recording that holds the other turn.
		if d.wrongHeld++; d.wrongHeld >= d.th.TurnHold {
			d.wrongWay = fmt.Errorf("%w: asked %s, turned %s", ErrWrongWay, stepOf(d.dir), stepOf(-d.dir))
		}
	} else {
		d.wrongHeld = 0
	}
	d.otherWay(s, size, sign)
	if size < d.turnYaw() || sign != d.dir {
		d.held, d.np = 0, d.np[:0]
		return false
	}
	if d.pix != nil {
		return d.feed3D(s, px, size)
	}
	par, dv, dn := d.par.median(), d.persp.median(), d.narrow.median()
	deep := sign*par >= d.th.MinParallax
	// A picture tilted so that the nose drifts one way grows on the other
	// side: VerticalAsymmetry moves against the turn's sign.
	perspective := -sign * dv / size
	// And it narrows, where a head's outline keeps its width.
	narrowing := -dn / size
	if !deep || perspective > d.th.MaxPerspective || narrowing > d.th.MaxNarrowing {
		d.held = 0
		d.flat = fmt.Errorf("%w (yaw ratio %+.3f, nose parallax %+.3f face widths, perspective %.2f and narrowing %.2f of the turn)",
			ErrFlat, dy, par, perspective, narrowing)
		return false
	}
	if d.held++; d.held < d.th.TurnHold {
		return false
	}
	d.reached, d.peak, d.depth = true, size, sign*par
	return false
}

// otherWay fails the step on a whole turn the other way: past the turn's
// own threshold (held TurnHold frames), then back to the frontal pose
// and resting there for WrongWayRest. A glance the other way that leads
// straight into the asked turn only passes through the frontal pose.
func (d *turnDetector) otherWay(s *sample, size, sign float64) {
	switch {
	case sign != d.dir && size >= d.turnYaw():
		if d.otherHeld++; d.otherHeld >= d.th.TurnHold {
			d.otherTurn = true
		}
		d.restHeld = 0
	case d.otherTurn && size <= d.th.TurnReturn:
		if d.restHeld == 0 {
			d.restFrom = s.t
		}
		d.restHeld++
		if d.restHeld >= d.th.TurnHold && s.t-d.restFrom >= d.th.WrongWayRest && d.wrongWay == nil {
			d.wrongWay = fmt.Errorf("%w: asked %s, turned %s and back", ErrWrongWay, stepOf(d.dir), stepOf(-d.dir))
		}
	default:
		d.otherHeld, d.restHeld = 0, 0
	}
}

// feed3D judges a frame turned far enough on the pixels.
func (d *turnDetector) feed3D(s *sample, px *pixels, size float64) bool {
	p := px.patch()
	if p == nil {
		// No pixels for this frame: it cannot count.
		d.held, d.np = 0, d.np[:0]
		return false
	}
	v, ok := d.pix.nonPlanarity(p, s.lm)
	if !ok {
		v = 0 // not aligned: no evidence of depth
	}
	d.held++
	d.np = append(d.np, v)
	if len(d.np) > d.th.TurnHold {
		d.np = d.np[1:]
	}
	if d.held < d.th.TurnHold {
		return false
	}
	m := median(append([]float64(nil), d.np...))
	if m < d.th.Min3D {
		d.flat = fmt.Errorf("%w (yaw ratio %+.3f, non-planarity %.4f face widths, a head shows ≥ %.3f)",
			ErrFlat, d.dir*size, m, d.th.Min3D)
		return false
	}
	d.reached, d.peak, d.depth = true, size, m
	return false
}

func (d *turnDetector) depthText() string {
	if d.pix != nil {
		return fmt.Sprintf("non-planarity %.4f face widths", d.depth)
	}
	return fmt.Sprintf("nose parallax %+.3f face widths", d.depth)
}

func stepOf(dir float64) string {
	if dir > 0 {
		return "left"
	}
	return "right"
}

// progress for the prompt: the way out fills 70%, the way back the rest.
func (d *turnDetector) progress() float64 {
	if !d.reached {
		return 0.7 * clamp01(d.last/d.turnYaw())
	}
	back := (d.peak - d.last) / (d.peak - d.th.TurnReturn)
	return 0.7 + 0.3*clamp01(back)
}
