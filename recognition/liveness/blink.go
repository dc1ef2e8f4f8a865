package liveness

import (
	"fmt"
	"math"
	"time"
)

// blinkDetector finds one blink in a stream of samples: the mean eye aspect
// ratio of both eyes, as a fraction e of the person's open-eye baseline,
// falls from open (≥ BlinkOpen) to closed (≤ BlinkClosed) within
// MaxClosing, stays closed no longer than MaxClosed, and comes back to
// BlinkReopen within MaxReopening; at the deepest frame each eye on its own
// is at or below BlinkEachEye of its baseline (a wink is not a blink).
//
// The baseline is the running median of the eye aspect ratio over the last
// BaselineWindow while the eyes are not in a dip, so it follows the person
// (a child's rounder eyes, glasses, light) and is not pulled down by the
// blinks themselves.
type blinkDetector struct {
	th *Thresholds

	base, baseR, baseL window

	state      blinkState
	lastOpen   time.Duration // last frame at or above BlinkOpen before the dip
	b          [3]float64    // baselines frozen at the dip's start: mean, right, left
	closedAt   time.Duration // first closed frame
	closedTo   time.Duration // last closed frame
	closedLast time.Duration
	min        [3]float64 // ratios at the deepest frame: mean, right, left
	between    int        // frames strictly between closed and open in this dip

	// Photo-blink evidence: how much the rest of the face changes at the
	// closure and the reopening, against its usual change between frames.
	prev      *sample
	restMoves window
	jumpClose float64
	jumpOpen  float64

	opened   []sample // the open frames of the last PhotoBlinkLookback before the dip
	evidence blinkEvidence

	// The deepest closed frame's face, when the frames have pixels: at the
	// reopening its eyes are compared with the reopened ones.
	closedPatch *Patch
	closedLm    []Point

	rejected error  // why the last dip was not a blink
	detail   string // the accepted blink, for people reading logs
}

type blinkState int

const (
	blinkIdle    blinkState = iota // eyes open
	blinkClosing                   // below open, not yet closed
	blinkClosed                    // closed
	blinkOpening                   // was closed, not yet reopened
	blinkRefused                   // a dip was no blink: wait for open eyes
)

func newBlinkDetector(th *Thresholds) *blinkDetector { return &blinkDetector{th: th} }

// seed adds the settling frames to the baselines.
func (d *blinkDetector) seed(ss []sample) {
	for i := range ss {
		d.addBaseline(&ss[i])
		d.trackRest(&ss[i])
	}
}

func (d *blinkDetector) addBaseline(s *sample) {
	d.base.add(s.t, s.ear)
	d.baseR.add(s.t, s.earR)
	d.baseL.add(s.t, s.earL)
}

func (d *blinkDetector) baselines(now time.Duration) [3]float64 {
	w := d.th.BaselineWindow
	return [3]float64{d.base.median(now, w), d.baseR.median(now, w), d.baseL.median(now, w)}
}

// remember keeps an open frame for the comparison after a dip.
func (d *blinkDetector) remember(s *sample) {
	i := 0
	for i < len(d.opened) && s.t-d.opened[i].t > d.th.PhotoBlinkLookback {
		i++
	}
	d.opened = append(d.opened[i:], *s)
}

// trackRest records how much the face outside the eyes moved since the
// previous frame and returns it.
func (d *blinkDetector) trackRest(s *sample) float64 {
	var m float64
	if d.prev != nil {
		m = restChange(d.prev.lm, s.lm)
		if d.state == blinkIdle {
			d.restMoves.add(s.t, m)
		}
	}
	d.prev = s
	return m
}

// feed takes the next sample (and its frame's pixels); true when it
// completes a blink.
func (d *blinkDetector) feed(s *sample, px *pixels) bool {
	move := d.trackRest(s)
	if d.state == blinkIdle || d.state == blinkRefused {
		d.b = d.baselines(s.t)
	}
	e := s.ear / d.b[0]
	switch d.state {
	case blinkRefused:
		if e >= d.th.BlinkOpen {
			d.state = blinkIdle
			d.lastOpen = s.t
		}
		return false
	case blinkIdle:
		if e >= d.th.BlinkOpen {
			d.lastOpen = s.t
			d.remember(s)
			d.addBaseline(s)
			return false
		}
		d.state = blinkClosing
		d.between = 0
		d.min = [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
		d.closedPatch, d.closedLm = nil, nil
		fallthrough
	case blinkClosing:
		if e <= d.th.BlinkClosed {
			if s.t-d.lastOpen > d.th.MaxClosing {
				return d.reject(s, fmt.Errorf("%w: the eyes took %v to close", ErrNotBlink, roundMS(s.t-d.lastOpen)))
			}
			d.state = blinkClosed
			d.closedAt = s.t
			d.jumpClose = move
			d.deepest(s, e, px)
			return false
		}
		if e >= d.th.BlinkOpen { // a shallow dip
			d.state = blinkIdle
			d.lastOpen = s.t
			return false
		}
		d.between++
		if s.t-d.lastOpen > d.th.MaxClosing+d.th.MaxClosed {
			return d.reject(s, fmt.Errorf("%w: the eyes narrowed for %v without closing", ErrNotBlink, roundMS(s.t-d.lastOpen)))
		}
		return false
	case blinkClosed:
		if e <= d.th.BlinkClosed {
			d.deepest(s, e, px)
			if s.t-d.closedAt > d.th.MaxClosed {
				return d.reject(s, fmt.Errorf("%w: the eyes stayed closed for more than %v", ErrNotBlink, d.th.MaxClosed))
			}
			return false
		}
		d.closedTo = d.closedLast
		d.state = blinkOpening
		fallthrough
	case blinkOpening:
		if e <= d.th.BlinkClosed { // closed again
			d.state = blinkClosed
			d.deepest(s, e, px)
			return false
		}
		if e < d.th.BlinkOpen {
			d.between++
		}
		if e < d.th.BlinkReopen {
			if s.t-d.closedTo > d.th.MaxReopening {
				return d.reject(s, fmt.Errorf("%w: the eyes took more than %v to reopen", ErrNotBlink, d.th.MaxReopening))
			}
			return false
		}
		d.jumpOpen = move
		return d.judge(s, px)
	}
	return false
}

func (d *blinkDetector) deepest(s *sample, e float64, px *pixels) {
	d.closedLast = s.t
	if e < d.min[0] {
		d.min = [3]float64{e, s.earR / d.b[1], s.earL / d.b[2]}
		d.closedPatch, d.closedLm = px.patch(), s.lm
	}
}

// blinkEvidence describes a dip that closed and reopened in time.
type blinkEvidence struct {
	between             int     // frames strictly between closed and open
	jumpClose, jumpOpen float64 // change of the rest of the face at the closure and the reopening
	floor               float64 // its usual change between frames over the last second
	prePost             float64 // change from the last open frame before to the reopened one
}

// judge decides on a dip that closed and reopened in time.
func (d *blinkDetector) judge(s *sample, px *pixels) bool {
	d.evidence = blinkEvidence{between: d.between, jumpClose: d.jumpClose, jumpOpen: d.jumpOpen,
		floor: d.restMoves.median(s.t, time.Second)}
	d.evidence.prePost = math.Inf(1)
	for i := range d.opened {
		d.evidence.prePost = math.Min(d.evidence.prePost, restChange(d.opened[i].lm, s.lm))
	}
	d.state = blinkIdle
	d.lastOpen = s.t
	if d.min[1] > d.th.BlinkEachEye || d.min[2] > d.th.BlinkEachEye {
		d.rejected = fmt.Errorf("%w: only one eye closed (right %.2f, left %.2f of open)", ErrNotBlink, d.min[1], d.min[2])
		return false
	}
	// Two pictures swapped (eyes open, eyes closed): the eyes jump from
	// open to closed and back with no frame in between, and the rest of
	// the face comes back exactly as it was — the same picture. A living
	// face either shows the lids on their way, or has moved meanwhile.
	ev := d.evidence
	if ev.between == 0 && ev.prePost <= d.th.PhotoBlinkStill*ev.floor {
		d.rejected = fmt.Errorf("%w (no frame between open and closed; the rest of the face changed %.4f face widths, %.1f times its usual change between frames)",
			ErrPhotoBlink, ev.prePost, ev.prePost/ev.floor)
		return false
	}
	// With pixels: did the eyes themselves close? Landmark noise on a
	// still picture can fake a dip; its eyes stay as they were.
	corr := math.NaN()
	if d.closedPatch != nil {
		if p := px.patch(); p != nil {
			if ref := newFaceRef(d.closedPatch, d.closedLm, false); ref != nil {
				c, ok := ref.eyeCorrelation(p, s.lm)
				if !ok {
					c = 1 // not aligned: no evidence of a change
				}
				corr = c
			}
		}
	}
	if corr > d.th.MaxEyeCorrelation {
		d.rejected = fmt.Errorf("%w (the eyes of the closed and the reopened frame correlate %.3f)", ErrEyesUnchanged, corr)
		return false
	}
	d.detail = fmt.Sprintf("eye aspect ratio %.3f open, %.2f of it at the deepest, closed %v", d.b[0], d.min[0], d.closedTo-d.closedAt)
	if !math.IsNaN(corr) {
		d.detail += fmt.Sprintf(", eyes closed/reopened correlate %.3f", corr)
	}
	return true
}

func (d *blinkDetector) reject(_ *sample, err error) bool {
	d.rejected = err
	d.state = blinkRefused
	return false
}

// progress for the prompt: 0 eyes open, ½ closed, 1 reopened.
func (d *blinkDetector) progress() float64 {
	switch d.state {
	case blinkClosing:
		return 0.25
	case blinkClosed:
		return 0.5
	case blinkOpening:
		return 0.75
	}
	return 0
}

// restPoints are the landmarks outside the eyes and brows: jaw, nose, mouth.
var restPoints = func() []int {
	var out []int
	for i := 0; i < NumLandmarks; i++ {
		if i < 17 || (i >= 27 && i < 36) || i >= 48 {
			out = append(out, i)
		}
	}
	return out
}()

// restChange is how much the face outside the eyes changed shape between
// two frames: the RMS distance of the rest points after the best similarity
// transform (move, turn, scale) of a onto b, in face widths.
func restChange(a, b []Point) float64 {
	var ca, cb vec
	for _, k := range restPoints {
		ca, cb = ca.add(pv(a[k])), cb.add(pv(b[k]))
	}
	n := float64(len(restPoints))
	ca, cb = ca.scale(1/n), cb.scale(1/n)
	// Least-squares similarity: b ≈ s·R·(a−ca) + cb, with
	// (s cos θ, s sin θ) = (Σ a·b, Σ a×b) / Σ |a|².
	var sab, cab, saa float64
	for _, k := range restPoints {
		p, q := pv(a[k]).sub(ca), pv(b[k]).sub(cb)
		sab += p.dot(q)
		cab += p.cross(q)
		saa += p.dot(p)
	}
	if saa == 0 {
		return 0
	}
	c, s := sab/saa, cab/saa
	var sum float64
	for _, k := range restPoints {
		p, q := pv(a[k]).sub(ca), pv(b[k]).sub(cb)
		r := vec{c*p.x - s*p.y, s*p.x + c*p.y}
		sum += sq(r.x-q.x) + sq(r.y-q.y)
	}
	w := faceWidth(b)
	if w == 0 {
		return 0
	}
	return math.Sqrt(sum/n) / w
}
