package app

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2/lang"

	"facelogin/recognition"
)

// How often the labeler asks the engine about a face it follows. A
// descriptor costs ~15–35 ms and the tracker follows the face meanwhile,
// so one per track when it appears is enough for its name; refreshing it
// now and then catches a better view (the face came closer, turned to the
// camera) and the rare tracker slip onto another face.
const (
	// labelRefresh: a new descriptor for a named face this often.
	labelRefresh = 1500 * time.Millisecond
	// labelRetry: after the engine did not find a tracked face (turned,
	// blurred) or failed, ask again this much later.
	labelRetry = 250 * time.Millisecond
	// labelReidentify: the kept descriptor is matched against the users
	// again this often (cheap, in memory), so a registration, a deletion or
	// a new threshold shows on the faces in view without a new descriptor.
	labelReidentify = 200 * time.Millisecond
	// labelResize: a face whose box side changed by this factor since its
	// descriptor (it came much closer or moved away) gets a new one at once.
	labelResize = 1.4
)

// labeler names the faces of the overlay: its goroutine (run) takes the
// newest detection, computes a descriptor for each track once when it
// appears and again every labelRefresh, and keeps the nearest user within
// the threshold as that track's label ("unknown" until then). The
// detector attaches the labels to every detection by track ID, so the
// name follows the face at the tracker's rate while descriptors are made
// at a few per second at most. It never holds up the tracker: it runs on
// its own goroutine and skips detections it has no time for.
type labeler struct {
	det   *detector
	users Decider
	th    *threshold
	// on: names are shown (the setting PrefPreviewNames). Off, the
	// labeler computes no descriptor and labels nothing.
	on *atomic.Bool
	// now is the labeler's clock; tests replace it to decide when a
	// refresh is due.
	now func() time.Time
	in  *subscription
	// seen is the seq of the last detection handled (tests wait for it).
	seen atomic.Uint64

	mu     sync.Mutex
	tracks map[recognition.TrackID]*trackLabel
}

// trackLabel is what the labeler knows of one track.
type trackLabel struct {
	label        faceLabel
	desc         recognition.Descriptor
	has          bool      // desc is set
	asked        time.Time // the last descriptor or attempt
	side         int       // the face's box side at the last descriptor
	identifiedAt time.Time
	descriptions int // descriptors computed for this track
}

func newLabeler(det *detector, users Decider, th *threshold, on *atomic.Bool) *labeler {
	l := &labeler{det: det, users: users, th: th, on: on, now: time.Now, tracks: map[recognition.TrackID]*trackLabel{}}
	det.labels = l
	l.in = det.subscribe(1)
	return l
}

func unknownLabel() faceLabel { return faceLabel{Text: lang.L("unknown")} }

// labelsFor returns the labels of faces, in their order. Any goroutine.
func (l *labeler) labelsFor(faces []recognition.TrackedFace) []faceLabel {
	if len(faces) == 0 || !l.on.Load() {
		return nil
	}
	out := make([]faceLabel, len(faces))
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range faces {
		if tl := l.tracks[faces[i].ID]; tl != nil && tl.has {
			out[i] = tl.label
		} else {
			out[i] = unknownLabel()
		}
	}
	return out
}

// descriptions is how many descriptors were computed for track id so far
// (0 for a track not in view).
func (l *labeler) descriptions(id recognition.TrackID) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if tl := l.tracks[id]; tl != nil {
		return tl.descriptions
	}
	return 0
}

// run labels detections until ctx ends. Its own goroutine.
func (l *labeler) run(ctx context.Context) {
	defer l.det.unsubscribe(l.in)
	for {
		d, err := l.in.next(ctx)
		if err != nil {
			return
		}
		if l.on.Load() {
			l.update(d)
		} else {
			l.forget(nil) // named anew, from new descriptors, if turned on again
		}
		l.seen.Store(d.seq)
	}
}

// update brings the labels of d's faces up to date. Tracks that are no
// longer in view are forgotten: a tracker never reuses an ID.
func (l *labeler) update(d detection) {
	if d.err != nil {
		return
	}
	l.forget(d.track.Faces)
	for _, face := range d.track.Faces {
		l.mu.Lock()
		tl := l.tracks[face.ID]
		if tl == nil {
			tl = &trackLabel{}
			l.tracks[face.ID] = tl
		}
		now := l.now()
		due := l.due(tl, face, now)
		l.mu.Unlock()
		if due && l.det.deciding.Load() == 0 {
			desc, err := l.det.describe(d.frame, face)
			l.mu.Lock()
			tl.asked, tl.side = now, faceSide(face)
			if err == nil {
				tl.desc, tl.has = desc, true
				tl.descriptions++
				tl.identifiedAt = time.Time{}
			}
			l.mu.Unlock()
		}
		l.identify(tl, now)
	}
}

// due reports whether tl needs a new descriptor. l.mu held.
func (l *labeler) due(tl *trackLabel, face recognition.TrackedFace, now time.Time) bool {
	switch {
	case tl.asked.IsZero():
		return true
	case !tl.has:
		return now.Sub(tl.asked) >= labelRetry
	case now.Sub(tl.asked) >= labelRefresh:
		return true
	}
	s, was := float64(faceSide(face)), float64(tl.side)
	return s > was*labelResize || s*labelResize < was
}

// identify names tl's descriptor by the login's decision rule on that one
// descriptor (per-user thresholds, the margin rule): the user and distance
// when a login would accept it, else "unknown" — never the nearest user of
// a face it would refuse.
// Cheap, but not free with many users: once every labelReidentify, or at
// once after a new descriptor.
func (l *labeler) identify(tl *trackLabel, now time.Time) {
	l.mu.Lock()
	if !tl.has || (!tl.identifiedAt.IsZero() && now.Sub(tl.identifiedAt) < labelReidentify) {
		l.mu.Unlock()
		return
	}
	desc := tl.desc
	l.mu.Unlock()
	dec, err := l.users.Decide("", []recognition.Descriptor{desc}, l.th.get())
	label := unknownLabel()
	if err == nil && dec.OK() {
		label = faceLabel{Text: fmt.Sprintf("%s %.2f", dec.User, dec.Distance), Known: true}
	}
	l.mu.Lock()
	tl.label, tl.identifiedAt = label, now
	l.mu.Unlock()
}

// forget drops the tracks that are not among faces.
func (l *labeler) forget(faces []recognition.TrackedFace) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range l.tracks {
		if !slices.ContainsFunc(faces, func(f recognition.TrackedFace) bool { return f.ID == id }) {
			delete(l.tracks, id)
		}
	}
}

func faceSide(f recognition.TrackedFace) int { return max(1, min(f.Rect.Dx(), f.Rect.Dy())) }
