package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"facelogin/recognition"
)

// detection is the tracker's answer for one camera frame: the unit of the
// per-frame landmark stream. Every frame the tracker handles becomes one
// detection, published to the preview (which draws it on that very frame)
// and to every subscriber (capture.follow: registration, login, the kiosk,
// and the liveness challenge).
//
// A detection keeps the frame its landmarks were found in, so a screen
// that decides about one of its faces asks the engine for the descriptor
// of that face in that frame (capture.describe) — never of a newer frame
// where the face may have moved or been replaced.
//
// To follow one person over time, select a face by its track ID in each
// detection: track.Find(id). The ID stays while the tracker keeps the face
// in view and is never reused; a face that leaves and comes back has a new
// one. Timing comes from the camera: track.Time is the frame's capture time
// as an offset from the stream's first frame (increasing; only differences
// mean anything), at is the same instant as a wall-clock time, and seq is
// the camera's frame number (a gap means the tracker skipped camera frames
// because it was busy).
type detection struct {
	seq   uint64      // the camera frame's Seq
	frame image.Image // the camera frame itself; never modified
	at    time.Time   // the camera frame's Time
	// track is the tracker's result: faces ordered by track ID, each with
	// box, landmarks (with their sub-pixel fractions) and ID.
	track recognition.LandmarkFrame
	// faces are track.Faces as Face (rounded landmarks, no descriptor), in
	// the same order: what the overlay and the quality gate read.
	faces []recognition.Face
	// labels are the overlay's names of faces, in the same order.
	labels []faceLabel
	// err is a tracker failure on this frame (wraps errTracker); faces are
	// empty then.
	err error
}

// detector is the one place the models run on live video. Its goroutine
// (run) owns the Tracker: it takes the camera's newest frame, tracks it
// (at most one call in flight, so a slow tracker skips frames rather than
// queue them), attaches the labels the labeler keeps per track, and hands
// the detection to the preview and to every subscriber. Descriptors are
// made on demand through describe, on the goroutine that asks (the
// labeler, a capture, the kiosk); nobody else calls the engine.
type detector struct {
	camera  FrameSource
	tracker Tracker
	engine  Engine
	labels  *labeler
	poll    time.Duration
	log     *slog.Logger
	// onDescriptor, if set, sees every descriptor computed, on the
	// goroutine that asked for it; it must not block (the descriptor
	// strip).
	onDescriptor func(*recognition.Descriptor)

	mu   sync.Mutex
	last detection
	subs map[*subscription]struct{}

	count     atomic.Uint64 // tracker calls finished
	first     atomic.Int64  // UnixNano of the first one
	described atomic.Uint64 // descriptors computed
	// deciding counts captures under way (a login, a registration, a
	// kiosk identification): the labeler leaves the engine to them.
	deciding atomic.Int32

	engineErr atomic.Pointer[string] // the engine's last failure; nil after a success
}

// run tracks frames until ctx ends. Its own goroutine, the only one that
// calls the Tracker.
func (d *detector) run(ctx context.Context) {
	var (
		done    uint64
		origin  time.Time
		lastErr string
	)
	for ctx.Err() == nil {
		f, ok := d.camera.Latest()
		if !ok || f.Seq == done || f.Image == nil {
			select {
			case <-ctx.Done():
			case <-time.After(d.poll):
			}
			continue
		}
		done = f.Seq
		if origin.IsZero() {
			origin = f.Time
		}
		lf, err := d.tracker.Track(f.Image, f.Time.Sub(origin))
		if errors.Is(err, ErrStopping) {
			return // the program ends: no frame to publish, nothing to report
		}
		if d.count.Add(1) == 1 {
			d.first.Store(time.Now().UnixNano())
		}
		det := detection{seq: f.Seq, frame: f.Image, at: f.Time, track: lf}
		if err != nil {
			det.track = recognition.LandmarkFrame{}
			det.err = fmt.Errorf("%w: %w", errTracker, err)
			if err.Error() != lastErr {
				lastErr = err.Error()
				d.log.Error("face tracking failed", "err", err)
			}
		} else {
			lastErr = ""
			det.faces = make([]recognition.Face, len(lf.Faces))
			for i := range lf.Faces {
				det.faces[i] = lf.Faces[i].Face()
			}
		}
		if d.labels != nil {
			det.labels = d.labels.labelsFor(det.track.Faces)
		}
		d.publish(det)
	}
}

// publish makes det the latest detection and offers it to subscribers.
func (d *detector) publish(det detection) {
	d.mu.Lock()
	d.last = det
	subs := make([]*subscription, 0, len(d.subs))
	for s := range d.subs {
		subs = append(subs, s)
	}
	d.mu.Unlock()
	for _, s := range subs {
		s.offer(det)
	}
}

// latest is the newest detection (zero before the first).
func (d *detector) latest() detection {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last
}

// describe computes the descriptor of face in frame, the frame the tracker
// found it in. A face the engine does not find there is ErrFaceUnclear (ask
// again on a later frame); a failure of the engine wraps errEngine and is
// logged once. Any goroutine; it takes ~15–35 ms.
func (d *detector) describe(frame image.Image, face recognition.TrackedFace) (recognition.Descriptor, error) {
	f, err := d.engine.Describe(frame, face)
	if err != nil {
		if errors.Is(err, ErrNoFace) {
			return recognition.Descriptor{}, fmt.Errorf("%w: track %d: %v", ErrFaceUnclear, face.ID, err)
		}
		if errors.Is(err, ErrStopping) {
			return recognition.Descriptor{}, fmt.Errorf("%w: %w", errEngine, err)
		}
		msg := err.Error()
		if prev := d.engineErr.Swap(&msg); prev == nil || *prev != msg {
			d.log.Error("face descriptor failed", "err", err)
		}
		return recognition.Descriptor{}, fmt.Errorf("%w: %w", errEngine, err)
	}
	d.engineErr.Store(nil)
	d.described.Add(1)
	if d.onDescriptor != nil {
		d.onDescriptor(&f.Descriptor)
	}
	return f.Descriptor, nil
}

// engineFailure is the engine's last failure, "" once it worked again.
func (d *detector) engineFailure() string {
	if p := d.engineErr.Load(); p != nil {
		return *p
	}
	return ""
}

// hold keeps the labeler off the engine until release is called: a
// decision's descriptors come first.
func (d *detector) hold() (release func()) {
	d.deciding.Add(1)
	var once sync.Once
	return func() { once.Do(func() { d.deciding.Add(-1) }) }
}

// subscription receives detections in order, keeping at most size unread
// ones: when the reader falls further behind, the oldest unread detection
// is dropped (a gap in seq shows it). size 1 is "newest only".
type subscription struct {
	size  int
	ready chan struct{} // a value whenever a detection was queued

	mu      sync.Mutex
	queue   []detection
	dropped uint64
}

func (d *detector) subscribe(size int) *subscription {
	s := &subscription{size: max(1, size), ready: make(chan struct{}, 1)}
	d.mu.Lock()
	if d.subs == nil {
		d.subs = map[*subscription]struct{}{}
	}
	d.subs[s] = struct{}{}
	d.mu.Unlock()
	return s
}

func (d *detector) unsubscribe(s *subscription) {
	d.mu.Lock()
	delete(d.subs, s)
	d.mu.Unlock()
}

// offer queues det, dropping the oldest unread detection when the queue
// is full. Only the detector's goroutine calls it.
func (s *subscription) offer(det detection) {
	s.mu.Lock()
	if len(s.queue) >= s.size {
		n := copy(s.queue, s.queue[1:])
		s.queue = s.queue[:n]
		s.dropped++
	}
	s.queue = append(s.queue, det)
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// take returns the oldest unread detection, if any. Never blocks.
func (s *subscription) take() (detection, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return detection{}, false
	}
	det := s.queue[0]
	n := copy(s.queue, s.queue[1:])
	s.queue[n] = detection{} // the frame can be collected
	s.queue = s.queue[:n]
	return det, true
}

// next waits for the oldest unread detection, or returns ctx's error.
func (s *subscription) next(ctx context.Context) (detection, error) {
	for {
		if det, ok := s.take(); ok {
			return det, nil
		}
		select {
		case <-ctx.Done():
			return detection{}, ctx.Err()
		case <-s.ready:
		}
	}
}
