package liveness

import (
	"fmt"
	"math"
)

// turnDetector finds one head turn in a given direction and back: the
// change of YawRatio from the person's frontal baseline reaches TurnYaw in
// the asked direction with the depth of a real head — the nose tip's
// Parallax at least MinParallax and at most MaxPerspective of the turn
// explained by the perspective of a tilted picture (VerticalAsymmetry) —
// and then returns within TurnReturn of the baseline. A turn of WrongWayYaw
// with depth the other way fails the step. Every signal is the
// median of the last TurnSmooth frames, so glitched frames neither make nor
// break a turn.
type turnDetector struct {
	th  *Thresholds
	dir float64 // +1 to the person's left, −1 to their right

	ref     []Point // frontal reference shape (median of the settling frames)
	yaw0    float64 // frontal YawRatio
	vasym0  float64 // frontal VerticalAsymmetry
	narrow0 float64 // frontal OutlineWidth

	dyaw, par, persp, narrow runningMedian
	held                     int // consecutive frames that qualify in the asked direction

	reached  bool
	peak     float64 // largest turn reached in the asked direction (ΔYawRatio)
	peakPar  float64
	last     float64 // smoothed ΔYawRatio of the last frame, signed in dir
	flat     error   // a turn that reached TurnYaw without depth
	wrongWay error
	detail   string
}

func newTurnDetector(th *Thresholds, step Step, ref []Point, yaw0, vasym0, narrow0 float64) *turnDetector {
	n := th.TurnSmooth
	return &turnDetector{th: th, dir: step.direction(), ref: ref, yaw0: yaw0, vasym0: vasym0, narrow0: narrow0,
		dyaw: newRunningMedian(n), par: newRunningMedian(n), persp: newRunningMedian(n), narrow: newRunningMedian(n)}
}

// feed takes the next sample; true when the turn is complete. A turn of
// full size and depth the other way sets wrongWay.
func (d *turnDetector) feed(s *sample) bool {
	dy := d.dyaw.add(s.yaw - d.yaw0)
	p, ok := Parallax(d.ref, s.lm)
	if !ok {
		p = 0
	}
	par := d.par.add(p)
	dv := d.persp.add(s.vasym - d.vasym0)
	dn := d.narrow.add(s.narrow - d.narrow0)
	d.last = d.dir * dy

	if d.reached {
		if math.Abs(dy) <= d.th.TurnReturn {
			d.detail = fmt.Sprintf("yaw ratio %.3f → %+.3f, nose parallax %+.3f face widths, back to %+.3f",
				d.yaw0, d.dir*d.peak, d.dir*d.peakPar, dy)
			return true
		}
		if d.dir*dy > d.peak {
			d.peak, d.peakPar = d.dir*dy, d.dir*par
		}
		return false
	}
	size := math.Abs(dy)
	if size < d.th.TurnYaw {
		d.held = 0
		return false
	}
	sign := math.Copysign(1, dy)
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
	if sign != d.dir {
		// Glancing the other way first is natural; a full turn the other
		// way is a mistake, or a recording that holds the other turn.
		if size >= d.th.WrongWayYaw {
			d.wrongWay = fmt.Errorf("%w: asked %s, turned %s", ErrWrongWay, stepOf(d.dir), stepOf(-d.dir))
		}
		return false
	}
	if d.held++; d.held < d.th.TurnHold {
		return false
	}
	d.reached, d.peak, d.peakPar = true, size, sign*par
	return false
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
		return 0.7 * clamp01(d.last/d.th.TurnYaw)
	}
	back := (d.peak - d.last) / (d.peak - d.th.TurnReturn)
	return 0.7 + 0.3*clamp01(back)
}
