package app

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"facelogin/recognition"
)

// detection is the engine's answer for one frame.
type detection struct {
	seq    uint64
	frame  image.Image
	faces  []recognition.Face
	labels []faceLabel
	err    error
	at     time.Time
}

// detector is the one place the engine runs on live video: a goroutine
// that takes the camera's newest frame, calls the engine (at most one call
// in flight, so a slow engine skips frames rather than queue them), labels
// the faces with the nearest users, and hands the detection to the overlay
// and to every subscriber (registration, login, the kiosk). Nobody else
// calls the engine.
type detector struct {
	camera FrameSource
	engine Engine
	users  Decider
	th     *threshold
	poll   time.Duration
	log    *slog.Logger
	// onFace, if set, sees the largest face's descriptor of every
	// detection with faces, on the detection goroutine; it must not block.
	onFace func(*recognition.Descriptor)

	mu   sync.Mutex
	last detection
	subs map[*subscription]struct{}

	count atomic.Uint64 // engine calls finished
	first atomic.Int64  // UnixNano of the first one
}

// run detects until ctx ends. Its own goroutine.
func (d *detector) run(ctx context.Context) {
	var done uint64
	var lastErr string
	for ctx.Err() == nil {
		img, seq, ok := d.camera.Latest()
		if !ok || seq == done || img == nil {
			select {
			case <-ctx.Done():
			case <-time.After(d.poll):
			}
			continue
		}
		done = seq
		faces, err := d.engine.Recognize(img)
		if d.count.Add(1) == 1 {
			d.first.Store(time.Now().UnixNano())
		}
		det := detection{seq: seq, frame: img, faces: faces, at: time.Now()}
		if err != nil {
			det.err = fmt.Errorf("%w: %w", errEngine, err)
			if err.Error() != lastErr {
				lastErr = err.Error()
				d.log.Error("face detection failed", "err", err)
			}
		} else {
			lastErr = ""
		}
		det.labels = d.label(faces)
		d.publish(det)
		if len(faces) > 0 && d.onFace != nil {
			d.onFace(&faces[largestFace(faces)].Descriptor)
		}
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

// label names each face for the overlay by the login's decision rule on
// that one frame: the user and distance when it would be accepted, else
// "unknown" — never the nearest user of a face it would refuse.
func (d *detector) label(faces []recognition.Face) []faceLabel {
	if len(faces) == 0 {
		return nil
	}
	base := d.th.get()
	labels := make([]faceLabel, len(faces))
	for i := range faces {
		dec, err := d.users.Decide("", []recognition.Descriptor{faces[i].Descriptor}, base)
		if err == nil && dec.OK() {
			labels[i] = faceLabel{Text: fmt.Sprintf("%s %.2f", dec.User, dec.Distance), Known: true}
		} else {
			labels[i] = faceLabel{Text: "unknown"}
		}
	}
	return labels
}

// latest is the newest detection (zero before the first).
func (d *detector) latest() detection {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last
}

func largestFace(faces []recognition.Face) int {
	best, area := 0, -1
	for i := range faces {
		if a := faces[i].Rect.Dx() * faces[i].Rect.Dy(); a > area {
			best, area = i, a
		}
	}
	return best
}

// subscription receives detections, newest only: a slow reader skips
// detections rather than queue them.
type subscription struct {
	ch chan detection
}

func (d *detector) subscribe() *subscription {
	s := &subscription{ch: make(chan detection, 1)}
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

// offer hands det to the reader, replacing an unread older detection. Only
// the detection goroutine calls it.
func (s *subscription) offer(det detection) {
	for {
		select {
		case s.ch <- det:
			return
		default:
		}
		select {
		case <-s.ch:
		default:
		}
	}
}
