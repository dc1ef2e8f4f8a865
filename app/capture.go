package app

import (
	"context"
	"errors"
	"time"

	"facelogin/recognition"
)

// capture is what the screens share to use the camera: the busy flag (one
// registration, login or re-enrolment at a time), the guarded UI call do,
// tracked goroutines, and the detector's detections. Screens get it instead
// of reaching into each other or into the window.
type capture struct {
	tasks *tasks
	det   *detector
	// timeout bounds one capture or database call: context.WithTimeout;
	// tests end it themselves instead of waiting for the clock.
	timeout func(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)

	// UI goroutine only.
	busy     bool
	watchers []func(busy bool)
}

func newCapture(t *tasks, det *detector) *capture {
	return &capture{tasks: t, det: det, timeout: context.WithTimeout}
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

// subscribe delivers every new detection (newest only: a slow reader skips
// some) on the returned channel until cancel is called.
func (c *capture) subscribe() (detections <-chan detection, cancel func()) {
	s := c.det.subscribe()
	return s.ch, func() { c.det.unsubscribe(s) }
}

// follow hands each new detection to f, on the calling goroutine, until f
// reports done or an error, or ctx ends (its error is returned then). This
// is the per-frame stream a screen uses for seconds at a time, a liveness
// challenge for example; collect builds on it. Background goroutine.
func (c *capture) follow(ctx context.Context, f func(d detection) (done bool, err error)) error {
	ch, cancel := c.subscribe()
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case d := <-ch:
			if done, err := f(d); done || err != nil {
				return err
			}
		}
	}
}

// sample is one accepted face of a capture.
type sample struct {
	face    recognition.Face
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

// acceptFunc decides whether a detection becomes the next sample, given
// the samples taken so far.
type acceptFunc func(d detection, got []sample) (sample, error)

// collect follows detections until accept has taken n of them or ctx
// ends. progress is called (on this goroutine) after every detection with
// the number accepted so far and the reason the detection was refused, or
// nil. Background goroutine.
func (c *capture) collect(ctx context.Context, n int, accept acceptFunc, progress func(done int, rejected error)) ([]sample, error) {
	var (
		got  []sample
		last error
	)
	err := c.follow(ctx, func(d detection) (bool, error) {
		s, err := d.sample(accept, got)
		if err != nil {
			last = err
		} else {
			got = append(got, s)
		}
		progress(len(got), err)
		return len(got) >= n, nil
	})
	if err != nil {
		return got, &captureError{Last: last, Err: err}
	}
	return got, nil
}

func (d detection) sample(accept acceptFunc, got []sample) (sample, error) {
	if d.err != nil {
		return sample{}, d.err
	}
	return accept(d, got)
}

// enrolmentAccept is accept for registration and re-enrolment: the quality
// gate, exactly one face, and the same face as the frames before (within
// the threshold in force).
func enrolmentAccept(gate QualityGate, th *threshold) acceptFunc {
	return func(d detection, got []sample) (sample, error) {
		score, err := gate(d.frame, d.faces)
		if err != nil {
			return sample{}, err
		}
		if len(d.faces) != 1 {
			// A gate that let several faces through: enrolment still needs one.
			return sample{}, ErrSeveralFaces
		}
		f := d.faces[0]
		if len(got) > 0 && recognition.Distance(&f.Descriptor, &got[0].face.Descriptor) > th.get() {
			return sample{}, ErrDifferentFace
		}
		return sample{face: f, quality: score}, nil
	}
}

// singleFace is accept for login: exactly one face, no other demands.
func singleFace(d detection, _ []sample) (sample, error) {
	switch len(d.faces) {
	case 0:
		return sample{}, ErrNoFace
	case 1:
		return sample{face: d.faces[0]}, nil
	default:
		return sample{}, ErrSeveralFaces
	}
}

// captureAdvice is the people-words ending of a capture that failed.
func captureAdvice(err error) string {
	var ce *captureError
	if errors.As(err, &ce) {
		if errors.Is(ce.Err, context.DeadlineExceeded) {
			if ce.Last == nil {
				return "The camera sent no pictures — check the camera and try again"
			}
			return "Gave up: " + rejectionAdvice(ce.Last)
		}
		return "Stopped"
	}
	return rejectionAdvice(err)
}

func descriptors(ss []sample) ([]recognition.Descriptor, []float32) {
	ds := make([]recognition.Descriptor, len(ss))
	qs := make([]float32, len(ss))
	for i := range ss {
		ds[i], qs[i] = ss[i].face.Descriptor, ss[i].quality
	}
	return ds, qs
}

// captureLimits are how much a capture takes: the frames it needs and how
// long it may try.
type captureLimits struct {
	frames  int
	timeout time.Duration
}
