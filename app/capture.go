package app

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"fyne.io/fyne/v2/lang"

	"facelogin/recognition"
)

// capture is what the screens share to use the camera: the busy flag (one
// registration, login or re-enrolment at a time), the guarded UI call do,
// tracked goroutines, the detector's per-frame detections (follow) and
// descriptors of tracked faces on demand (describe). Screens get it instead
// of reaching into each other or into the window.
type capture struct {
	tasks *tasks
	det   *detector
	// timeout bounds one capture or database call: context.WithTimeout;
	// tests end it themselves instead of waiting for the clock.
	timeout func(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
	// stepTimeout bounds one optional step of a guided registration
	// (context.WithTimeout); tests end steps with their own clock.
	stepTimeout func(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
	// now is the wall clock a capture compares frame times with (fresh
	// frames); tests set their own.
	now func() time.Time

	// UI goroutine only.
	busy     bool
	watchers []func(busy bool)
}

func newCapture(t *tasks, det *detector) *capture {
	return &capture{tasks: t, det: det, timeout: context.WithTimeout, stepTimeout: context.WithTimeout, now: time.Now}
}

// do runs f on the UI goroutine unless the window is stopping. Any
// goroutine.
func (c *capture) do(f func()) { c.tasks.do(f) }

// spawn runs f on a tracked goroutine: the window's Stop cancels ctx and
// waits for it.
func (c *capture) spawn(f func(ctx context.Context)) { c.tasks.Go(f) }

// onBusy registers f, called on the UI goroutine whenever the camera is
// claimed or released (a screen disables its own buttons).
func (c *capture) onBusy(f func(busy bool)) { c.watchers = append(c.watchers, f) }

// begin claims the camera; false if another capture holds it. UI goroutine.
func (c *capture) begin() bool {
	if c.busy {
		return false
	}
	c.setBusy(true)
	return true
}

// end releases the camera. UI goroutine.
func (c *capture) end() { c.setBusy(false) }

func (c *capture) setBusy(b bool) {
	c.busy = b
	for _, f := range c.watchers {
		f(b)
	}
}

// followBuffer is how many tracked frames a follower may fall behind
// before the oldest are dropped: a second at 30 fps, so a follower that
// stops for a descriptor (~15–35 ms) or two loses none.
const followBuffer = 32

// subscribe delivers detections, keeping at most size unread (1: newest
// only), until cancel is called. The kiosk uses it with its own loop;
// screens use follow.
func (c *capture) subscribe(size int) (s *subscription, cancel func()) {
	s = c.det.subscribe(size)
	return s, func() { c.det.unsubscribe(s) }
}

// follow is the per-frame landmark stream: it hands every tracked frame to
// f, in order, on the calling goroutine, until f reports done or an error,
// or ctx ends (its error is returned then). A follower that falls more than
// followBuffer frames behind loses the oldest (detection.seq shows the
// gap). While it runs, the labeler leaves the engine to the follower.
// Background goroutine.
//
// A screen that watches one person — the liveness challenge (blink, head
// turns: ≥ 20 landmark frames a second with their capture times, and the
// person's descriptor before the first step and after the last) — picks
// the face when it starts and then follows its track ID:
//
//	var id recognition.TrackID
//	need := false // the challenge asked for descriptors
//	err := c.follow(ctx, func(d detection) (bool, error) {
//		if d.err != nil {
//			return false, d.err // the tracker failed
//		}
//		if id == 0 && len(d.track.Faces) == 1 {
//			id = d.track.Faces[0].ID // the one face in view
//		}
//		face, ok := d.track.Find(id)
//		if !ok {
//			return false, errTrackLost // the face left: start over
//		}
//		f := liveness.Frame{Time: d.track.Time, Faces: livenessFaces(d.track.Faces)}
//		if need {
//			desc, err := c.describe(d, face) // of this very frame
//			… // on success: f.Faces[i].Descriptor = desc[:] for face's i
//		}
//		status := challenge.Feed(f)
//		need = status.NeedDescriptor
//		return status.Done, nil
//	})
//
// d.track.Time is the camera frame's capture time from the stream's first
// frame, d.frame the frame itself (for a face patch), face.Landmarks the 68
// points with their fractions, d.track.Faces every face in view (the
// challenge wants exactly one).
func (c *capture) follow(ctx context.Context, f func(d detection) (done bool, err error)) error {
	return c.stream(ctx, followBuffer, false, f)
}

// stream is follow with a queue of size detections (1: each call gets the
// newest). With fresh set, the newest detection already published is the
// first if its frame is at most freshFor old: a capture that starts with a
// click decides from the frame on screen at the click and the ones after.
func (c *capture) stream(ctx context.Context, size int, fresh bool, f func(d detection) (done bool, err error)) error {
	release := c.det.hold()
	defer release()
	s, cancel := c.subscribe(size)
	defer cancel()
	var last uint64
	if d := c.det.latest(); fresh && d.frame != nil && c.now().Sub(d.at) <= freshFor {
		last = d.seq
		if done, err := f(d); done || err != nil {
			return err
		}
	}
	quiet := c.now() // since the last detection
	for {
		wctx, wcancel := context.WithTimeout(ctx, cameraCheckEvery)
		d, err := s.next(wctx)
		wcancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// No picture for a while: a camera that is gone (unplugged,
			// retrying, ended) sends none, so the capture ends now rather
			// than at its deadline.
			if c.cameraGone(quiet) {
				return errNoPictures
			}
			continue
		}
		quiet = c.now()
		if last != 0 && d.seq == last {
			continue // published between subscribe and latest: handled
		}
		last = d.seq
		if done, err := f(d); done || err != nil {
			return err
		}
	}
}

// A capture ends with errNoPictures when no tracked frame came for
// noPicturesAfter while the camera reports it is not running; it looks
// every cameraCheckEvery. A slow tracker with a running camera is left to
// the capture's own deadline.
const (
	noPicturesAfter  = time.Second
	cameraCheckEvery = 250 * time.Millisecond
)

// cameraGone: no tracked frame since quiet, noPicturesAfter ago or more,
// and the camera says it is not running.
func (c *capture) cameraGone(quiet time.Time) bool {
	return c.now().Sub(quiet) >= noPicturesAfter && !c.det.camera.Status().OK
}

// errNoPictures ends a capture whose camera stopped sending pictures.
var errNoPictures = errors.New("capture: the camera sends no pictures")

// freshFor is the age of the newest tracked frame up to which a capture
// starts with it: about one frame at 30 fps, so it shows what was on screen
// when the button was pressed.
const freshFor = 50 * time.Millisecond

// describe is the descriptor of face, tracked in d, computed from d's own
// frame. Errors: ErrFaceUnclear (the engine did not find the face there:
// try a later frame) or a failure of the engine (wraps errEngine). Any
// goroutine; ~15–35 ms.
func (c *capture) describe(d detection, face recognition.TrackedFace) (recognition.Descriptor, error) {
	return c.det.describe(d.frame, face)
}

// describeAll describes the face of each sample from its own frame, all
// at once: go-face overlaps one's detection with another's ResNet, so on
// two cores they take about half as long as one after another. It returns
// the descriptors of those described, in the samples' order, and the last
// error of those that were not. Any goroutine.
func (c *capture) describeAll(ss []sample) ([]recognition.Descriptor, error) {
	ds := make([]recognition.Descriptor, len(ss))
	errs := make([]error, len(ss))
	var wg sync.WaitGroup
	for i := range ss {
		wg.Go(func() { ds[i], errs[i] = c.describe(ss[i].det, ss[i].face) })
	}
	wg.Wait()
	var (
		out  []recognition.Descriptor
		last error
	)
	for i := range ss {
		if errs[i] != nil {
			last = errs[i]
			continue
		}
		out = append(out, ds[i])
	}
	return out, last
}

// sample is one accepted face of a capture: the tracked frame it came
// from, the face in it, its descriptor computed from that frame, and the
// quality gate's score (registration only).
type sample struct {
	det     detection
	face    recognition.TrackedFace
	desc    recognition.Descriptor
	quality float32
}

// captureError ends a capture that ran out of time: Last is the reason the
// last frame was refused (nil if no detection came at all).
type captureError struct {
	Last error
	Err  error
}

func (e *captureError) Error() string {
	if e.Last == nil {
		return "capture: " + e.Err.Error()
	}
	return "capture: " + e.Err.Error() + ": " + e.Last.Error()
}

func (e *captureError) Unwrap() []error { return []error{e.Err, e.Last} }

// describeFunc computes the descriptor of a face of a detection from that
// detection's frame (capture.describe).
type describeFunc func(d detection, face recognition.TrackedFace) (recognition.Descriptor, error)

// acceptFunc decides whether a detection becomes the next sample, given
// the samples taken so far: cheap checks on the tracked faces first, then
// the descriptor of the chosen face (describe) only for a frame that
// passed them.
type acceptFunc func(d detection, describe describeFunc, got []sample) (sample, error)

// collect follows detections until accept has taken n of them or ctx
// ends, for a login, whose accept judges each frame on its own (never the
// samples before): every frame that comes while fewer than n samples are
// taken or being described is described at once, on a goroutine of its
// own, while the next frames come — starting with the frame on screen (if
// it is fresh). progress is called (on this goroutine) after every
// description with the number accepted so far and the reason the frame was
// refused, or nil. A descriptor takes about as long as a frame or two;
// go-face detects in one region and runs one ResNet at a time, so two
// descriptors of consecutive frames overlap on two cores instead of
// queueing behind each other. Samples are in frame order. Background
// goroutine; it returns after every description it started.
func (c *capture) collect(ctx context.Context, n int, accept acceptFunc, progress func(done int, rejected error)) ([]sample, error) {
	release := c.det.hold()
	defer release()
	s, cancel := c.subscribe(1)
	defer cancel()
	type result struct {
		s   sample
		err error
	}
	results := make(chan result, n) // at most n descriptions run at once
	var (
		got  []sample
		last error
		busy int
		seen uint64
		wg   sync.WaitGroup
	)
	defer wg.Wait()
	start := func(d detection) {
		if d.seq == seen || len(got)+busy >= n {
			return // the frame on screen again, or enough under way
		}
		seen = d.seq
		busy++
		wg.Add(1)
		go func() {
			defer wg.Done()
			smp, err := d.sample(accept, c.describe, nil)
			results <- result{smp, err}
		}()
	}
	if d := c.det.latest(); d.frame != nil && c.now().Sub(d.at) <= freshFor {
		start(d)
	}
	check := time.NewTicker(cameraCheckEvery)
	defer check.Stop()
	quiet := c.now() // since the last detection
	for len(got) < n {
		select {
		case <-ctx.Done():
			return got, &captureError{Last: last, Err: ctx.Err()}
		case <-check.C:
			if c.cameraGone(quiet) {
				return got, &captureError{Last: last, Err: errNoPictures}
			}
		case r := <-results:
			busy--
			if r.err != nil {
				last = r.err
			} else {
				got = append(got, r.s)
			}
			progress(len(got), r.err)
		case <-s.ready:
			if d, ok := s.take(); ok {
				quiet = c.now()
				start(d)
			}
		}
	}
	slices.SortFunc(got, func(a, b sample) int { return cmp.Compare(a.det.seq, b.det.seq) })
	return got, nil
}

func (d detection) sample(accept acceptFunc, describe describeFunc, got []sample) (sample, error) {
	if d.err != nil {
		return sample{}, d.err
	}
	return accept(d, describe, got)
}

// enrolmentAccept is accept for registration and re-enrolment: the quality
// gate on the tracked faces, exactly one face, and the same face as the
// frames before (its descriptor within the threshold in force of the first
// sample's).
func enrolmentAccept(gate QualityGate, th *threshold) acceptFunc {
	return func(d detection, describe describeFunc, got []sample) (sample, error) {
		score, err := gate(d.frame, d.faces)
		if err != nil {
			return sample{}, err
		}
		if len(d.track.Faces) != 1 {
			// A gate that let several faces through: enrolment still needs one.
			return sample{}, ErrSeveralFaces
		}
		face := d.track.Faces[0]
		desc, err := describe(d, face)
		if err != nil {
			return sample{}, err
		}
		if len(got) > 0 && recognition.Distance(&desc, &got[0].desc) > th.get() {
			return sample{}, ErrDifferentFace
		}
		return sample{det: d, face: face, desc: desc, quality: score}, nil
	}
}

// singleFace is accept for login: exactly one face, described.
func singleFace(d detection, describe describeFunc, _ []sample) (sample, error) {
	switch len(d.track.Faces) {
	case 0:
		return sample{}, ErrNoFace
	case 1:
	default:
		return sample{}, ErrSeveralFaces
	}
	face := d.track.Faces[0]
	desc, err := describe(d, face)
	if err != nil {
		return sample{}, err
	}
	return sample{det: d, face: face, desc: desc}, nil
}

// captureAdvice is the people-words ending of a capture that failed.
func captureAdvice(err error) string {
	var ce *captureError
	if errors.As(err, &ce) {
		if errors.Is(ce.Err, errNoPictures) {
			return lang.L("The camera sent no pictures — check the camera and try again")
		}
		if errors.Is(ce.Err, context.DeadlineExceeded) {
			if ce.Last == nil {
				return lang.L("The camera sent no pictures — check the camera and try again")
			}
			return lang.L("Gave up:") + " " + rejectionAdvice(ce.Last)
		}
		return lang.L("Stopped")
	}
	return rejectionAdvice(err)
}

func descriptors(ss []sample) ([]recognition.Descriptor, []float32) {
	ds := make([]recognition.Descriptor, len(ss))
	qs := make([]float32, len(ss))
	for i := range ss {
		ds[i], qs[i] = ss[i].desc, ss[i].quality
	}
	return ds, qs
}

// captureLimits are how much a capture takes: the frames it needs and how
// long it may try.
type captureLimits struct {
	frames  int
	timeout time.Duration
}
