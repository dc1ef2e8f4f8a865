package app

import (
	"context"
	"errors"

	"facelogin/recognition"
)

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

// collect reads detections from the preview until accept has taken n of
// them or ctx ends. progress is called (on this goroutine) after every
// detection with the number accepted so far and the reason the detection was
// refused, or nil. Runs on a background goroutine.
func (u *UI) collect(ctx context.Context, n int, accept func(d detection, got []sample) (sample, error), progress func(done int, rejected error)) ([]sample, error) {
	sub := u.preview.subscribe()
	defer u.preview.unsubscribe(sub)
	var (
		got  []sample
		last error
	)
	for len(got) < n {
		select {
		case <-ctx.Done():
			return got, &captureError{Last: last, Err: ctx.Err()}
		case d := <-sub.ch:
			var s sample
			var err error
			if d.err != nil {
				err = d.err
			} else {
				s, err = accept(d, got)
			}
			if err != nil {
				last = err
			} else {
				got = append(got, s)
			}
			progress(len(got), err)
		}
	}
	return got, nil
}

// gateSample is accept for enrolment: the quality gate, then the same face
// as the frames before.
func (u *UI) gateSample(d detection, got []sample) (sample, error) {
	score, err := u.deps.Quality(d.frame, d.faces)
	if err != nil {
		return sample{}, err
	}
	if len(d.faces) != 1 {
		// A gate that let several faces through: enrolment still needs one.
		return sample{}, ErrSeveralFaces
	}
	f := d.faces[0]
	if len(got) > 0 && recognition.Distance(&f.Descriptor, &got[0].face.Descriptor) > u.currentThreshold() {
		return sample{}, ErrDifferentFace
	}
	return sample{face: f, quality: score}, nil
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

// nearest is the closest enrolled user to any of ds.
func (u *UI) nearest(ds []recognition.Descriptor) Match {
	best := Match{}
	for i := range ds {
		m := u.deps.Users.Identify(&ds[i])
		if m.User != "" && (best.User == "" || m.Distance < best.Distance) {
			best = Match{User: m.User, Distance: m.Distance}
		}
	}
	return best
}

// claimedByOther finds a frame whose nearest user, within threshold th, is
// not self: the face looks more like someone else than like self's old
// templates.
func (u *UI) claimedByOther(ds []recognition.Descriptor, self string, th float32) (Match, bool) {
	for i := range ds {
		m := u.deps.Users.Identify(&ds[i])
		if m.User != "" && m.User != self && m.Distance <= th {
			return m, true
		}
	}
	return Match{}, false
}
