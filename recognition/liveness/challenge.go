package liveness

import (
	"errors"
	"fmt"
	"math"
	"time"

	"facelogin/recognition"
)

// Challenge is one liveness check, fed frame by frame. The window, the
// kiosk and the command line drive it the same way:
//
//	c, err := liveness.New(liveness.Config{})
//	for frame := range frames {
//		st := c.Feed(frame)   // st.Prompt, st.Arrow, st.Progress for the screen
//		if st.Done {
//			break
//		}
//	}
//	res := c.End()            // Live, Reason, Steps
//
// First the person shows one steady frontal face with open eyes for
// Thresholds.SettleFor (their own baselines are measured then); then each
// step is prompted in turn and must be done within Config.StepTimeout;
// exactly one face must stay in view, followed without loss or jump, from
// the first frame to the last. Time comes only from Frame.Time, so a
// recording is judged the same on any machine. Not safe for concurrent use.
type Challenge struct {
	cfg   Config
	th    Thresholds
	steps []Step

	phase     phase
	began     bool
	start     time.Duration // first frame
	lastT     time.Duration // last frame
	frames    int
	intervals [8]time.Duration // between the last frames, for the rate
	nInt      int

	last       *sample // last frame with the face
	lastTrack  recognition.TrackID
	frozenFrom time.Duration
	frozenN    int

	settle []sample
	hint   error // why the face is not settled yet

	ref     []Point
	yaw0    float64
	vasym0  float64
	narrow0 float64
	eyeW0   float64
	ear0    float64
	blink   *blinkDetector
	turn    *turnDetector
	recur   *recurrence

	// After the last step: when it passed, and whether the frames since
	// are still watched for a still shown again (a blink's way back,
	// Thresholds.RecurWait).
	passedAt time.Duration
	watching bool

	step      int
	stepStart time.Duration
	results   []StepResult

	before   []float32
	distance float64

	outcome Outcome
	reason  error
}

type phase int

const (
	settling   phase = iota // waiting for a steady frontal face
	stepping                // steps prompted one by one
	confirming              // steps done, waiting for the closing descriptor and the blink's way back
	finished
)

// StepResult is one step of a finished (or abandoned) challenge.
type StepResult struct {
	Step   Step
	Passed bool
	// At is when the step was passed, from the first frame; Took is the
	// time from its prompt to passing it (0 when not passed).
	At, Took time.Duration
	// Detail gives the measured signals of a passed step, for logs.
	Detail string
}

// Result is the verdict of a challenge.
type Result struct {
	Outcome Outcome
	// Live is Outcome == Live: every step passed with one face throughout
	// (and the same person before and after, when that check is on).
	Live bool
	// Reason is nil when Live; otherwise it wraps one of the Err* reasons
	// (errors.Is) with detail. Its sentinel's text is written for people.
	Reason error
	Steps  []StepResult
	// Settled is true when a steady frontal face was seen and the steps
	// were prompted.
	Settled bool
	// Frames is the number of frames fed; Duration the time from the first
	// to the last.
	Frames   int
	Duration time.Duration
	// DescriptorDistance is the distance between the descriptors before
	// the first and after the last step; −1 when not checked.
	DescriptorDistance float64
	// Before is the descriptor taken before the first step (shape 128,
	// with Config.MaxDescriptorDistance set), nil when none was taken.
	// The same-person check compares it only with the closing one: a
	// caller that decides who logged in from frames after the challenge
	// checks it against that user too (two people within
	// SamePersonDistance of each other pass the check).
	Before []float32
	// Recurrences is the number of frames, from the first step on, that
	// came back to a shape the face had left and held it (a still shown
	// again: Thresholds.RecurMax); NearestRecurrence the smallest
	// ShapeDistance of a moving, held frame to a frame it had left
	// (+Inf when none), for logs and measurements.
	Recurrences       int
	NearestRecurrence float64
	// ExactRepeats is the number of frames, from settling on, that showed
	// again exactly a picture (frameDigest) or landmark shape the face had
	// left, as the same still files shown again do; a camera's frames
	// never repeat so.
	ExactRepeats int
}

// The prompts a challenge shows besides its steps' own (Step.Prompt), in
// English; a screen that translates them compares Status.Prompt with these.
const (
	PromptLook   = "Look at the camera"
	PromptDone   = "Done"
	PromptFailed = "Liveness check failed"
)

// Status is what the screen shows while the challenge runs.
type Status struct {
	// Step is the prompted step (0 while settling and after the last),
	// Index its position (0-based) of Count.
	Step         Step
	Index, Count int
	// Prompt is the instruction for people: "Look at the camera", "Blink",
	// "Turn your head to your left", … Arrow is the prompt arrow's
	// direction on a screen the person faces.
	Prompt string
	Arrow  Arrow
	// Hint is advice when something is in the way ("face too small for the
	// liveness check: come closer", "more than one face: one person at a
	// time"), nil otherwise.
	Hint error
	// Progress is how far the current step is done, 0..1; Overall the
	// whole challenge's, 0..1 (settling counts as one more step).
	Progress, Overall float64
	// Remaining is the time left for the current step (or for settling).
	Remaining time.Duration
	// NeedDescriptor asks the caller to attach Face.Descriptor to the next
	// frames (only with Config.MaxDescriptorDistance set).
	NeedDescriptor bool
	// Done is true once the challenge has a Result.
	Done bool
}

// New prepares a challenge. It fails only on a bad Config (unknown steps,
// a step count outside 1..3) or when crypto/rand fails.
func New(cfg Config) (*Challenge, error) {
	c := &Challenge{cfg: cfg, th: cfg.thresholds(), distance: -1}
	if c.cfg.StepTimeout == 0 {
		c.cfg.StepTimeout = 4 * time.Second
	}
	if c.cfg.SettleTimeout == 0 {
		c.cfg.SettleTimeout = 4 * time.Second
	}
	if c.cfg.StepTimeout < 0 || c.cfg.SettleTimeout < 0 || c.cfg.MaxDescriptorDistance < 0 {
		return nil, errors.New("liveness: negative timeout or distance")
	}
	if len(cfg.Steps) > 0 {
		if len(cfg.Steps) > 2*len(AllSteps) {
			return nil, fmt.Errorf("liveness: %d steps: at most %d", len(cfg.Steps), 2*len(AllSteps))
		}
		for _, s := range cfg.Steps {
			if s < Blink || s > TurnRight {
				return nil, fmt.Errorf("liveness: unknown step %v", s)
			}
		}
		c.steps = append([]Step(nil), cfg.Steps...)
	} else {
		n := cfg.NumSteps
		if n == 0 {
			n = 2
		}
		steps, err := RandomSteps(n)
		if err != nil {
			return nil, err
		}
		c.steps = steps
	}
	c.blink = newBlinkDetector(&c.th)
	return c, nil
}

// Steps are the challenge's steps in order.
func (c *Challenge) Steps() []Step { return append([]Step(nil), c.steps...) }

// Feed gives the challenge the next frame and returns what to show. Frames
// after the challenge is done are ignored.
func (c *Challenge) Feed(f Frame) Status {
	if c.phase == finished {
		return c.Status()
	}
	if c.began && f.Time <= c.lastT {
		c.finish(Refused, fmt.Errorf("%w: frame at %v after %v", ErrBadFrame, f.Time, c.lastT))
		return c.Status()
	}
	if !c.began {
		c.began, c.start = true, f.Time
	} else {
		c.intervals[c.nInt%len(c.intervals)] = f.Time - c.lastT
		c.nInt++
	}
	c.lastT = f.Time
	c.frames++

	if c.timedOut(f.Time) {
		return c.Status()
	}
	if c.nInt >= 4 {
		if iv := c.medianInterval(); iv > time.Duration(float64(time.Second)/c.th.MinRate) {
			c.finish(Refused, fmt.Errorf("%w: landmarks at %.1f per second, the check needs %.0f",
				ErrTooSlow, float64(time.Second)/float64(iv), c.th.MinRate))
			return c.Status()
		}
	}

	s, err := c.face(f)
	if err != nil {
		c.trouble(err)
		return c.Status()
	}
	if s == nil {
		return c.Status()
	}
	px := &pixels{img: f.Image, lm: s.lm, p: f.Faces[0].Patch}
	switch c.phase {
	case settling:
		c.settleOn(s, f.Faces[0].Descriptor, px)
	case stepping:
		c.stepOn(s, px)
	case confirming:
		c.confirmOn(s, f.Faces[0].Descriptor)
	}
	return c.Status()
}

// face picks the one face of the frame and checks it against the last
// one. nil, nil: a frame without a face within the allowed gap.
func (c *Challenge) face(f Frame) (*sample, error) {
	switch n := len(f.Faces); {
	case n == 0:
		if c.last != nil && f.Time-c.last.t > c.th.MaxGap {
			return nil, fmt.Errorf("%w: no face for %v", ErrFaceLost, roundMS(f.Time-c.last.t))
		}
		if c.last == nil {
			return nil, ErrNoFace
		}
		return nil, nil
	case n > 1:
		return nil, fmt.Errorf("%w: %d faces in view", ErrManyFaces, n)
	}
	face := f.Faces[0]
	if len(face.Landmarks) != NumLandmarks {
		c.finish(Refused, fmt.Errorf("%w: %d landmarks per face", ErrNoLandmarks, len(face.Landmarks)))
		return nil, nil
	}
	if !validShape(face.Landmarks) {
		return nil, nil // a degenerate fit: as a missed frame
	}
	s := measure(f.Time, face.Landmarks)
	s.digest = frameDigest(f.Image)
	stop, err := c.follows(&s, face.Track)
	if stop {
		return nil, nil
	}
	// The next frame is compared with this one even when it broke the
	// rules: while settling, the person starts over from here.
	c.last, c.lastTrack = &s, face.Track
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// follows checks that s (of the face with tracker ID track) continues the
// last frame's face: no gap, no jump, no change of size, no frozen
// landmarks or pixels (the same picture handed again: frameDigest). stop
// is true when it ended the challenge (a frozen source).
func (c *Challenge) follows(s *sample, track recognition.TrackID) (stop bool, err error) {
	p := c.last
	if p == nil {
		return false, nil
	}
	switch {
	case s.t-p.t > c.th.MaxGap:
		return false, fmt.Errorf("%w: no face for %v", ErrFaceLost, roundMS(s.t-p.t))
	case track != 0 && c.lastTrack != 0 && track != c.lastTrack:
		return false, fmt.Errorf("%w: the tracker lost face %d and found face %d", ErrFaceJumped, c.lastTrack, track)
	case s.center.distTo(p.center) > c.th.MaxJump*p.faceW:
		return false, fmt.Errorf("%w: moved %.0f%% of its width in one frame", ErrFaceJumped, 100*s.center.distTo(p.center)/p.faceW)
	case s.faceW > c.th.MaxScaleJump*p.faceW || p.faceW > c.th.MaxScaleJump*s.faceW:
		return false, fmt.Errorf("%w: its size changed from %.0f to %.0f pixels in one frame", ErrFaceJumped, p.faceW, s.faceW)
	case sameShape(p.lm, s.lm) || (s.digest != 0 && s.digest == p.digest):
		if c.frozenN == 0 {
			c.frozenFrom = p.t
		}
		c.frozenN++
		if c.frozenN >= 5 && s.t-c.frozenFrom >= c.th.FrozenFor {
			c.finish(Refused, fmt.Errorf("%w: the same picture for %v", ErrNoMotion, roundMS(s.t-c.frozenFrom)))
			return true, nil
		}
	default:
		c.frozenN = 0
	}
	return false, nil
}

func sameShape(a, b []Point) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// trouble handles a frame that breaks the one-face rule: while settling
// the person is told and settling starts over; during the steps it fails
// the challenge.
func (c *Challenge) trouble(err error) {
	if c.phase == settling {
		c.hint = err
		c.settle = c.settle[:0]
		if errors.Is(err, ErrNoFace) || errors.Is(err, ErrFaceLost) {
			c.last = nil
		}
		return
	}
	c.finish(Failed, err)
}

func (c *Challenge) settleOn(s *sample, desc []float32, px *pixels) {
	switch {
	case s.eyeW < c.th.MinEyeWidth:
		c.hint = fmt.Errorf("%w: eyes %.0f pixels wide, need %.0f", ErrTooSmall, s.eyeW, c.th.MinEyeWidth)
	case math.Abs(s.yaw-0.5) > c.th.MaxFrontalYaw:
		c.hint = fmt.Errorf("%w: the head is turned (yaw ratio %.2f)", ErrNotFrontal, s.yaw)
	case s.ear < c.th.MinOpenEAR:
		c.hint = fmt.Errorf("%w with open eyes (eye aspect ratio %.2f)", ErrNotFrontal, s.ear)
	default:
		c.hint = nil
	}
	if c.hint != nil {
		c.settle = c.settle[:0]
		return
	}
	c.settle = append(c.settle, *s)
	span := s.t - c.settle[0].t
	if span < c.th.SettleFor || len(c.settle) < c.th.SettleFrames {
		return
	}
	if c.cfg.MaxDescriptorDistance > 0 && c.before == nil {
		// The descriptor before is taken now, on a steady frontal face with
		// open eyes, as the one after will be.
		if len(desc) == 0 {
			return // Status.NeedDescriptor asks for it
		}
		c.before = append([]float32(nil), desc...)
	}
	shapes := make([][]Point, len(c.settle))
	yaws := make([]float64, len(c.settle))
	vas := make([]float64, len(c.settle))
	eyes := make([]float64, len(c.settle))
	nar := make([]float64, len(c.settle))
	for i := range c.settle {
		shapes[i], yaws[i], vas[i], eyes[i], nar[i] = c.settle[i].lm, c.settle[i].yaw, c.settle[i].vasym, c.settle[i].eyeW, c.settle[i].narrow
	}
	ears := make([]float64, len(c.settle))
	for i := range c.settle {
		ears[i] = c.settle[i].ear
	}
	c.ear0 = median(ears)
	c.recur = newRecurrence(&c.th, c.settle)
	c.ref = medianShape(shapes)
	c.yaw0, c.vasym0, c.eyeW0, c.narrow0 = median(yaws), median(vas), median(eyes), median(nar)
	c.blink.seed(c.settle)
	c.phase = stepping
	c.startStep(s, px)
}

// startStep prompts the next step on the frame of sample s. A turn's 3D
// check compares the turned face with this frame's, the person facing the
// camera (settled, or back from the step before).
func (c *Challenge) startStep(s *sample, px *pixels) {
	c.stepStart = s.t
	if st := c.steps[c.step]; st != Blink {
		var ref *faceRef
		if p := px.patch(); p != nil {
			ref = newFaceRef(p, s.lm, false)
		}
		c.turn = newTurnDetector(&c.th, st, c.ref, ref, c.yaw0, c.vasym0, c.narrow0)
	}
}

func (c *Challenge) stepOn(s *sample, px *pixels) {
	if s.eyeW < 0.6*c.th.MinEyeWidth {
		c.finish(Refused, fmt.Errorf("%w: eyes %.0f pixels wide, need %.0f", ErrTooSmall, s.eyeW, c.th.MinEyeWidth))
		return
	}
	c.feedRecurrence(s)
	blinked := c.blink.feed(s, px) && c.blink.closedAt > c.stepStart
	st := c.steps[c.step]
	done, detail := false, ""
	if st == Blink {
		done, detail = blinked, c.blink.detail
	} else {
		done, detail = c.turn.feed(s, px), c.turn.detail
		if c.turn.wrongWay != nil {
			c.finish(Failed, c.turn.wrongWay)
			return
		}
	}
	if !done {
		return
	}
	c.pass(s, px, StepResult{Step: st, Passed: true, At: s.t - c.start, Took: s.t - c.stepStart, Detail: detail})
}

// feedRecurrence gives s to the slideshow rule, with whether the face is
// away from rest (eyes closing, head turned).
func (c *Challenge) feedRecurrence(s *sample) {
	c.recur.feed(s, s.ear < c.th.BlinkOpen*c.ear0 || math.Abs(s.yaw-c.yaw0) >= c.th.TurnYaw/2)
}

// slideshow is the failure when stills were shown in turn
// (Thresholds.RecurFrames), nil otherwise.
func (c *Challenge) slideshow() error {
	if c.recur.repeats >= c.th.RecurFrames {
		return fmt.Errorf("%w (%d frames showed exactly a picture or landmark shape the face had left)", ErrSlideshow, c.recur.repeats)
	}
	if c.recur.twins < c.th.RecurFrames {
		return nil
	}
	return fmt.Errorf("%w (%d frames held within %.4f inter-ocular distances of a frame the face had left, at most %.3f)",
		ErrSlideshow, c.recur.twins, c.recur.nearest, c.th.RecurMax)
}

// pass records step r as passed on the frame of s and moves on, unless
// stills were shown in turn: then no step passes. After the last step the
// challenge confirms: the closing descriptor is taken from the next
// frontal frame with open eyes (as before the slideshow rule), while after
// a blink the rule keeps watching for RecurWait, so that the half-closed
// still of its way back is seen (a turn is done only once back). The next
// step of a challenge starts at once; the rule keeps watching through it.
func (c *Challenge) pass(s *sample, px *pixels, r StepResult) {
	if err := c.slideshow(); err != nil {
		c.finish(Failed, err)
		return
	}
	r.Detail += fmt.Sprintf("; nearest recurrence %.4f", c.recur.nearest)
	c.results = append(c.results, r)
	c.step++
	if c.step < len(c.steps) {
		c.startStep(s, px)
		return
	}
	c.stepStart, c.passedAt = s.t, s.t
	c.watching = r.Step == Blink && c.th.RecurWait > 0
	if c.cfg.MaxDescriptorDistance > 0 || c.watching {
		c.phase = confirming
		return
	}
	c.finish(Live, nil)
}

// confirmOn takes a frame after the last step: the closing descriptor
// when wanted and not yet taken, the slideshow rule while watching. The
// challenge is live once both are done.
func (c *Challenge) confirmOn(s *sample, desc []float32) {
	if c.watching {
		c.feedRecurrence(s)
		if s.t-c.passedAt >= c.th.RecurWait {
			c.watching = false
			if err := c.slideshow(); err != nil {
				c.finish(Failed, err)
				return
			}
		}
	}
	// Like the descriptor before: facing the camera, eyes open.
	if c.needClosing() && math.Abs(s.yaw-0.5) <= c.th.MaxFrontalYaw && s.ear >= c.th.MinOpenEAR {
		c.confirm(desc)
	}
	if c.phase == confirming && !c.watching && !c.needClosing() {
		c.finish(Live, nil)
	}
}

// needClosing is true while the closing descriptor is wanted and not
// taken.
func (c *Challenge) needClosing() bool {
	return c.cfg.MaxDescriptorDistance > 0 && c.distance < 0
}

// confirm compares the closing descriptor desc with the one taken before
// the steps; a different person fails the challenge. An empty desc (not
// attached to this frame) is skipped.
func (c *Challenge) confirm(desc []float32) {
	if len(desc) == 0 {
		return
	}
	if len(desc) != len(c.before) {
		c.finish(Failed, fmt.Errorf("%w: descriptors of %d and %d values", ErrNoDescriptor, len(c.before), len(desc)))
		return
	}
	var sum float64
	for i := range desc {
		d := float64(desc[i]) - float64(c.before[i])
		sum += d * d
	}
	c.distance = math.Sqrt(sum)
	if c.distance > c.cfg.MaxDescriptorDistance {
		// No distance in the text: it is shown to whoever stands at the
		// camera (Result.DescriptorDistance keeps it for the caller).
		c.finish(Failed, ErrNotSamePerson)
	}
}

// timedOut ends the challenge when the current phase ran out of time at t.
func (c *Challenge) timedOut(t time.Duration) bool {
	switch c.phase {
	case settling:
		if t-c.start > c.cfg.SettleTimeout {
			c.finish(c.settleFailure())
			return true
		}
	case stepping, confirming:
		if t-c.stepStart > c.cfg.StepTimeout {
			c.finish(Failed, c.stepFailure())
			return true
		}
	}
	return false
}

func (c *Challenge) settleFailure() (Outcome, error) {
	err := c.hint
	if err == nil {
		switch {
		case c.cfg.MaxDescriptorDistance > 0 && c.before == nil && len(c.settle) > 0:
			err = fmt.Errorf("%w before the check", ErrNoDescriptor)
		default:
			err = fmt.Errorf("%w: no steady face within %v", ErrNoFace, c.cfg.SettleTimeout)
		}
	}
	if isRefusal(err) {
		return Refused, err
	}
	return Failed, err
}

// stepFailure says why the current step was not done.
func (c *Challenge) stepFailure() error {
	if c.phase == confirming {
		if c.needClosing() {
			return fmt.Errorf("%w after the check", ErrNoDescriptor)
		}
		return fmt.Errorf("%w: the frames ended %v after the blink, before its way back was seen (%v)",
			ErrTimeout, c.lastT-c.passedAt, c.th.RecurWait)
	}
	switch st := c.steps[c.step]; {
	case st == Blink && c.blink.rejected != nil:
		return c.blink.rejected
	case st == Blink:
		return fmt.Errorf("%w: no blink within %v", ErrTimeout, c.cfg.StepTimeout)
	case c.turn.reached:
		return fmt.Errorf("%w: turned %s but did not come back within %v", ErrTimeout, st, c.cfg.StepTimeout)
	case c.turn.flat != nil:
		return c.turn.flat
	default:
		return fmt.Errorf("%w: no turn to the %s within %v", ErrTimeout, st, c.cfg.StepTimeout)
	}
}

func (c *Challenge) finish(o Outcome, err error) {
	if c.phase == finished {
		return
	}
	c.phase, c.outcome, c.reason = finished, o, err
}

// End finishes the challenge (the input ended, or the caller gives up) and
// returns its result. A challenge not yet done fails with the reason of
// its current step. Idempotent.
func (c *Challenge) End() Result {
	if c.phase != finished {
		switch c.phase {
		case settling:
			c.finish(c.settleFailure())
		default:
			c.finish(Failed, c.stepFailure())
		}
	}
	return c.Result()
}

// Result is the verdict so far: Outcome Pending until the challenge is done
// (see End).
func (c *Challenge) Result() Result {
	r := Result{
		Outcome: c.outcome, Live: c.outcome == Live, Reason: c.reason,
		Frames: c.frames, DescriptorDistance: c.distance, Settled: c.ref != nil,
		NearestRecurrence: math.Inf(1), Before: append([]float32(nil), c.before...),
	}
	if c.recur != nil {
		r.Recurrences, r.NearestRecurrence, r.ExactRepeats = c.recur.twins, c.recur.nearest, c.recur.repeats
	}
	if c.began {
		r.Duration = c.lastT - c.start
	}
	r.Steps = append(r.Steps, c.results...)
	for i := len(c.results); i < len(c.steps); i++ {
		r.Steps = append(r.Steps, StepResult{Step: c.steps[i]})
	}
	return r
}

// Status is what to show now.
func (c *Challenge) Status() Status {
	st := Status{Count: len(c.steps), Done: c.phase == finished, Hint: c.hint}
	n := float64(len(c.steps) + 1)
	switch c.phase {
	case settling:
		st.Prompt = PromptLook
		if len(c.settle) > 0 {
			st.Progress = clamp01(float64(c.lastT-c.settle[0].t) / float64(c.th.SettleFor))
		}
		st.Overall = st.Progress / n
		st.Remaining = c.cfg.SettleTimeout - (c.lastT - c.start)
		st.NeedDescriptor = c.cfg.MaxDescriptorDistance > 0 && c.before == nil && len(c.settle) >= c.th.SettleFrames &&
			c.lastT-c.settle[0].t >= c.th.SettleFor
	case stepping:
		s := c.steps[c.step]
		st.Step, st.Index, st.Prompt, st.Arrow = s, c.step, s.Prompt(), s.Arrow()
		if s == Blink {
			st.Progress = c.blink.progress()
		} else {
			st.Progress = c.turn.progress()
		}
		st.Overall = (1 + float64(c.step) + st.Progress) / n
		st.Remaining = c.cfg.StepTimeout - (c.lastT - c.stepStart)
	case confirming:
		st.Index, st.Prompt, st.Progress, st.Overall = len(c.steps), PromptLook, 1, 1
		if c.cfg.MaxDescriptorDistance == 0 {
			// Only watching the blink's way back: the step stays shown, done.
			last := c.steps[len(c.steps)-1]
			st.Step, st.Index, st.Prompt, st.Arrow = last, len(c.steps)-1, last.Prompt(), last.Arrow()
		}
		st.Remaining = c.cfg.StepTimeout - (c.lastT - c.stepStart)
		st.NeedDescriptor = c.needClosing()
	case finished:
		st.Index, st.Overall = len(c.results), 1
		st.Hint = nil
		if c.outcome == Live {
			st.Prompt, st.Progress = PromptDone, 1
		} else {
			st.Prompt = PromptFailed
			if c.reason != nil {
				st.Prompt = ReasonText(c.reason)
			}
		}
	}
	if st.Remaining < 0 {
		st.Remaining = 0
	}
	return st
}

// ReasonText is the people-facing text of the Err* reason err wraps (a
// Result.Reason): "the head turn showed no depth, as a flat picture does",
// without the detail meant for logs; err's own text when it wraps none,
// "" for nil.
func ReasonText(err error) string {
	if err == nil {
		return ""
	}
	for _, s := range Reasons {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return err.Error()
}

func (c *Challenge) medianInterval() time.Duration {
	n := min(c.nInt, len(c.intervals))
	xs := make([]float64, n)
	for i := range n {
		xs[i] = float64(c.intervals[i])
	}
	return time.Duration(median(xs))
}

// Run feeds frames to a new challenge until it is done or the frames end,
// and returns the result: for recordings and tests.
func Run(cfg Config, frames []Frame) (Result, error) {
	c, err := New(cfg)
	if err != nil {
		return Result{}, err
	}
	for _, f := range frames {
		if c.Feed(f).Done {
			break
		}
	}
	return c.End(), nil
}

// roundMS is d rounded to the millisecond, for reasons people read: frame
// times at 30 per second print as "1.033333323s" otherwise.
func roundMS(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
