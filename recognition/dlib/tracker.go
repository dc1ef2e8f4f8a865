package dlib

// #include "landmarks.h"
import "C"

import (
	"fmt"
	"image"
	"math"
	"sort"
	"time"

	"facelogin/recognition"
)

// TrackerOptions tune a Tracker. The zero value gives the defaults.
type TrackerOptions struct {
	// MinFaceSide is the smallest face to find, as the side of its box in
	// frame pixels; frames are scaled by HOGMinFaceSide/MinFaceSide (never
	// enlarged) before the detector scans them, so a smaller value costs
	// more time. Default recognition.DefaultQuality.MinFaceSide, the
	// smallest face the registration gate accepts.
	MinFaceSide int
	// DetectEvery is the number of frames from one whole-frame detection
	// to the next: a new face is found within that many frames. A
	// detection also runs on the first frame, on a frame where a followed
	// face left the view or was not confirmed, and on the frame after a
	// track ended. Default 3 (10 per second at 30 fps).
	DetectEvery int
}

// DefaultTrackerOptions are what a zero TrackerOptions means.
var DefaultTrackerOptions = TrackerOptions{MinFaceSide: recognition.DefaultQuality.MinFaceSide, DetectEvery: 3}

// Tracker finds the faces of one video stream with their landmarks and
// follows them from frame to frame, each under its own track ID. On most
// frames it runs the shape predictor in the box derived from each face's
// previous landmarks, and the HOG detector only on a small region around
// each face to confirm it is still a face there (and to catch a fit that
// slipped); every DetectEvery frames, and at once when a face is not
// confirmed, the detector scans the whole frame for new faces and to
// find the lost ones. A face unconfirmed on three frames in a row, or
// leaving the frame, ends its track; coming back, it gets a new ID.
//
// Results depend only on the frames given and their order, never on the
// clock or the machine's speed: replaying a recording gives the same
// tracks. A Tracker is for one goroutine at a time; Trackers made from one
// Landmarker may run in parallel.
type Tracker struct {
	lm  *Landmarker
	hog *C.fl_hog
	opt TrackerOptions

	tracks      []*track
	lastID      recognition.TrackID
	index       int  // frames seen since the start or the last Reset
	sinceDetect int  // frames since the last detection frame
	lost        bool // a track ended unconfirmed: scan for all faces next
	size        image.Point

	gray []byte      // the scaled gray frame, reused
	rgba *image.RGBA // conversion of frames that are not RGBA, reused
}

type track struct {
	id       recognition.TrackID
	pts      []recognition.Point
	bx       box // the detector's box for pts: corr applied to boxFromLandmarks(pts)
	corr     boxCorrection
	prev     box // bx one frame earlier, for the motion
	age      int
	missed   int  // frames in a row that did not confirm the face
	detected bool // confirmed by the detector in the current frame
}

// NewTracker makes a tracker with its own HOG detector (dlib's scanner
// keeps state per call), sharing l's shape predictor. Close it when done.
func (l *Landmarker) NewTracker(opt TrackerOptions) (*Tracker, error) {
	if opt.MinFaceSide < 0 || opt.DetectEvery < 0 {
		return nil, fmt.Errorf("recognition: tracker options: negative MinFaceSide %d or DetectEvery %d", opt.MinFaceSide, opt.DetectEvery)
	}
	if opt.MinFaceSide == 0 {
		opt.MinFaceSide = DefaultTrackerOptions.MinFaceSide
	}
	if opt.DetectEvery == 0 {
		opt.DetectEvery = DefaultTrackerOptions.DetectEvery
	}
	l.mu.RLock()
	closed := l.shape == nil
	l.mu.RUnlock()
	if closed {
		return nil, ErrClosed
	}
	hog, err := newHOG()
	if err != nil {
		return nil, err
	}
	return &Tracker{lm: l, hog: hog, opt: opt}, nil
}

// Close frees the tracker's detector (C++ memory). Idempotent; Track fails
// with ErrClosed afterwards.
func (t *Tracker) Close() error {
	if t.hog != nil {
		C.fl_hog_free(t.hog)
		t.hog = nil
	}
	return nil
}

// Reset forgets every face (the stream was cut or replaced): the next
// frame is a detection frame. New tracks keep counting up from the last ID.
func (t *Tracker) Reset() {
	t.tracks = nil
	t.sinceDetect = 0
	t.index = 0
	t.lost = false
}

// Track finds the faces in the next frame of the stream: each face's track
// ID, box and landmarks, in img's coordinates. at is the frame's timestamp
// (recognition.LandmarkFrame.Time); it is passed through and does not
// change the result. A frame of another size than the previous one starts
// over as Reset does. Errors: recognition.CheckImage's for a nil, empty or
// oversized image; ErrClosed after Close of the tracker or its Landmarker.
func (t *Tracker) Track(img image.Image, at time.Duration) (recognition.LandmarkFrame, error) {
	if t.hog == nil {
		return recognition.LandmarkFrame{}, ErrClosed
	}
	f, err := newFrame(img, &t.rgba)
	if err != nil {
		return recognition.LandmarkFrame{}, err
	}
	t.lm.mu.RLock()
	defer t.lm.mu.RUnlock()
	if t.lm.shape == nil {
		return recognition.LandmarkFrame{}, ErrClosed
	}
	size := image.Pt(f.w, f.h)
	if t.index > 0 && size != t.size {
		t.Reset()
	}
	t.size = size

	// A track lost on the previous frame also calls for a detection.
	detect := t.index == 0 || t.sinceDetect+1 >= t.opt.DetectEvery || t.lost
	t.lost = false
	left, err := t.followAll(f)
	if err != nil {
		return recognition.LandmarkFrame{}, err
	}
	detect = detect || left // find a face that left (or its successor) at once
	if detect {
		if err := t.detect(f); err != nil {
			return recognition.LandmarkFrame{}, err
		}
		t.sinceDetect = 0
	} else {
		t.sinceDetect++
	}
	missed := false
	for _, tr := range t.tracks {
		if !tr.detected {
			if err := t.confirm(f, tr, detect); err != nil {
				return recognition.LandmarkFrame{}, err
			}
			missed = missed || !tr.detected
		}
	}
	if missed && !detect {
		// A face that its region no longer shows moved fast or slipped:
		// look for it in the whole frame while its track is still near.
		if err := t.detect(f); err != nil {
			return recognition.LandmarkFrame{}, err
		}
		detect = true
		t.sinceDetect = 0
	}
	t.dropMissed()
	t.dropDuplicates()

	out := recognition.LandmarkFrame{Time: at, Index: t.index, Size: size, Detection: detect, Faces: t.faces(f)}
	t.index++
	return out, nil
}

// faces ages every track by a frame and reports it in img's coordinates.
func (t *Tracker) faces(f frame) []recognition.TrackedFace {
	dx, dy := float32(f.origin.X), float32(f.origin.Y)
	out := make([]recognition.TrackedFace, 0, len(t.tracks))
	for _, tr := range t.tracks {
		tr.age++
		pts := make([]recognition.Point, len(tr.pts))
		for i, p := range tr.pts {
			pts[i] = recognition.Point{X: p.X + dx, Y: p.Y + dy}
		}
		out = append(out, recognition.TrackedFace{
			ID: tr.id, Rect: tr.bx.rect().Add(f.origin), Landmarks: pts, Detected: tr.detected, Age: tr.age,
		})
	}
	return out
}

// followAll follows every track into f and ends those whose face left the
// view (left reports whether one did).
func (t *Tracker) followAll(f frame) (left bool, err error) {
	kept := t.tracks[:0]
	for _, tr := range t.tracks {
		inView, err := t.follow(f, tr)
		if err != nil {
			return false, err
		}
		if !inView {
			left = true
			continue
		}
		kept = append(kept, tr)
	}
	clear(t.tracks[len(kept):])
	t.tracks = kept
	return left, nil
}

// dropMissed ends the tracks unconfirmed on more than maxMissed frames in
// a row (the next frame then scans for all faces) and resets the count of
// the confirmed ones.
func (t *Tracker) dropMissed() {
	kept := t.tracks[:0]
	for _, tr := range t.tracks {
		if tr.detected {
			tr.missed = 0
		} else if tr.missed > maxMissed {
			t.lost = true
			continue
		}
		kept = append(kept, tr)
	}
	clear(t.tracks[len(kept):])
	t.tracks = kept
}

// Tracking thresholds, relative to the face box's side.
const (
	// minInside: a face box less than this fraction inside the frame has
	// left the view.
	minInside = 0.5
	// maxShift and maxScale: the units in which moved measures a box's
	// change from one fit to the next (a shift of maxShift sides, a change
	// of size by maxScale), and matchDistance (with maxMatch) a
	// detection's distance from a followed face.
	maxShift = 0.35
	maxScale = 1.3
	// maxGrowth: a followed face's box changes size by at most this factor
	// from one frame to the next (a face coming towards the camera at a
	// walking pace grows by ~5% per frame at 30 fps); the shape predictor
	// is not scale-invariant, and a fit in a box a little too large makes
	// the next box larger still.
	maxGrowth = 1.08
	// settled: a fit whose box moved less than this (in units of maxShift
	// and maxScale) from the box it started in has converged; otherwise it
	// is run again from its own box, at most maxRefits times in all.
	settled   = 0.1
	maxRefits = 3
	// localMargin, localBelow, localLevels, localAdjust: confirm scans
	// the face box grown by localMargin of its side on each side (room for
	// the fastest motion followed), from localBelow pyramid levels below
	// the face's size over localLevels levels (faces from 0.83 to 1.2
	// times the followed size: more than a box may change in one frame,
	// maxGrowth), with dlib's threshold lowered by -localAdjust.
	localMargin = 0.4
	localBelow  = 1
	localLevels = 3
	localAdjust = -0.5
	// recheckShift, recheckScale: a confirming hit whose centre is further
	// than recheckShift sides from the fitted box's, or whose size differs
	// by more than a pyramid step (6/5) and a bit, is checked by a fit of
	// its own.
	recheckShift = 0.06
	recheckScale = 1.25
	// corrAlpha: the weight of a new detection in a track's box
	// correction (boxCorrection.blend).
	corrAlpha = 0.5
	// reseed: a detection that confirms a followed face replaces its
	// landmarks when the two disagree by more than this fraction of the
	// face's side on average (the track lagged or slipped); below it the
	// followed landmarks stay, which keeps them steady from frame to frame.
	reseed = 0.02
	// maxMatch: a detection confirms a followed face when its centre is
	// within this fraction of the face's side of the face's centre and
	// their sizes differ by less than maxScale² (nearest pairs first).
	maxMatch = 0.6
	// maxMissed: frames in a row whose confirmation may miss a followed
	// face before the track ends (the frontal detector misses some turned
	// heads that the shape predictor still follows).
	maxMissed = 2
)

// follow fits tr's landmarks where the face is now: in the box of its
// previous landmarks moved on by the box's last motion, and again in the
// box of each new fit while that box still moves (the shape predictor
// corrects only part of a large offset in one pass). inView is false when
// the face has left the frame or shrunk below half the smallest face: the
// track ends.
func (t *Tracker) follow(f frame, tr *track) (inView bool, err error) {
	start := tr.bx
	if tr.age > 1 {
		cx, cy := tr.bx.center()
		px, py := tr.prev.center()
		start = tr.bx.shift(cx-px, cy-py)
	}
	tr.prev = tr.bx
	tr.detected = false
	if err := t.fitFrom(f, tr, start); err != nil {
		return false, err
	}
	return tr.bx.inside(f.w, f.h) >= minInside && tr.bx.side() >= float64(t.opt.MinFaceSide)/2, nil
}

// fitFrom fits tr's landmarks starting in box start, refitting in the box
// of the result while it moves (at most maxRefits fits).
func (t *Tracker) fitFrom(f frame, tr *track, start box) error {
	limit := tr.bx.side()
	for range maxRefits {
		pts, err := t.lm.fit(f, start, make([]recognition.Point, 0, t.lm.parts))
		if err != nil {
			return err
		}
		tr.pts, tr.bx = pts, tr.corr.apply(t.lm.boxFromLandmarks(pts)).clampSide(limit/maxGrowth, limit*maxGrowth)
		if moved(start, tr.bx) <= settled {
			break
		}
		start = tr.bx
	}
	return nil
}

// confirm looks for tr's face with the HOG detector in a small region
// around its fitted box, scaled so the face is about as large as the
// detector's window, with the threshold lowered (a followed face need only
// look like a face, not stand out from a whole frame). A hit far from the
// fit means the fit slipped or lagged behind a fast move: the landmarks are
// fitted again in the hit's box. No hit counts as a miss.
func (t *Tracker) confirm(f frame, tr *track, detectionFrame bool) error {
	side := tr.bx.side()
	m := localMargin * side
	roi := image.Rect(int(math.Floor(tr.bx.l-m)), int(math.Floor(tr.bx.t-m)), int(math.Ceil(tr.bx.r+m))+1, int(math.Ceil(tr.bx.b+m))+1)
	// Scan from the level of the whole-frame pyramid one step below the
	// one where this face belongs, so that its boxes come in the sizes a
	// whole-frame detection gives (the detector's sizes step by 6/5).
	s := detectScale(t.opt.MinFaceSide)
	level := math.Round(math.Log(side*s/HOGMinFaceSide) / math.Log(6.0/5))
	s *= math.Pow(5.0/6, max(0, level-localBelow))
	hits, err := scan(t.hog, f, roi, s, localAdjust, localLevels, &t.gray)
	if err != nil {
		return err
	}
	best, bestDist := -1, math.Inf(1)
	for i, h := range hits {
		if d := matchDistance(tr.bx, h.box); d <= 1 && d < bestDist {
			best, bestDist = i, d
		}
	}
	if best < 0 {
		tr.missed++
		return nil
	}
	tr.missed, tr.detected = 0, true
	// The hit's box is on the detector's cell grid and pyramid steps, so
	// only a clear offset, or a detection frame whose scan did not cover
	// this face's size, is worth a fit of its own.
	hx, hy := hits[best].box.center()
	fx, fy := tr.bx.center()
	ratio := hits[best].box.side() / side
	if !detectionFrame && math.Hypot(hx-fx, hy-fy) <= recheckShift*side && ratio < recheckScale && 1/ratio < recheckScale {
		return nil
	}
	pts, err := t.lm.fit(f, hits[best].box, nil)
	if err != nil {
		return err
	}
	t.absorb(tr, hits[best].box, pts)
	return nil
}

// absorb takes a detection of tr's face (the detector's box and the
// landmarks fitted in it): when the followed landmarks disagree with it
// the track restarts from it, otherwise it only refines the track's box
// correction.
func (t *Tracker) absorb(tr *track, det box, pts []recognition.Point) {
	if meanDistance(tr.pts, pts) > reseed*tr.bx.side() {
		t.seed(tr, det, pts)
		return
	}
	tr.corr = tr.corr.blend(measureCorrection(det, t.lm.boxFromLandmarks(pts)), corrAlpha)
}

// detect scans f for faces, confirms followed ones and starts tracks for
// new ones.
func (t *Tracker) detect(f frame) error {
	dets, err := t.lm.detect(t.hog, f, detectScale(t.opt.MinFaceSide), &t.gray)
	if err != nil {
		return err
	}
	// Greedy matching, nearest pairs first; ties keep their order, so the
	// result is the same on every run.
	type pair struct {
		ti, di int
		dist   float64
	}
	var pairs []pair
	for ti, tr := range t.tracks {
		for di, d := range dets {
			if dist := trackDistance(tr, boxOf(d.Rect)); dist <= 1 {
				pairs = append(pairs, pair{ti, di, dist})
			}
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].dist < pairs[j].dist })
	trackDet := make([]int, len(t.tracks))
	for i := range trackDet {
		trackDet[i] = -1
	}
	detUsed := make([]bool, len(dets))
	for _, p := range pairs {
		if trackDet[p.ti] < 0 && !detUsed[p.di] {
			trackDet[p.ti], detUsed[p.di] = p.di, true
		}
	}
	kept := t.tracks[:0]
	for ti, tr := range t.tracks {
		di := trackDet[ti]
		if di < 0 {
			kept = append(kept, tr) // confirm looks for it
			continue
		}
		tr.missed, tr.detected = 0, true
		t.absorb(tr, boxOf(dets[di].Rect), dets[di].Landmarks)
		kept = append(kept, tr)
	}
	clear(t.tracks[len(kept):])
	t.tracks = kept
	// New faces are numbered left to right.
	order := make([]int, len(dets))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return dets[order[i]].Rect.Min.X < dets[order[j]].Rect.Min.X })
	for _, di := range order {
		d := dets[di]
		if detUsed[di] || t.overlapsTrack(boxOf(d.Rect)) {
			continue
		}
		t.lastID++
		tr := &track{id: t.lastID, detected: true}
		t.seed(tr, boxOf(d.Rect), d.Landmarks)
		t.tracks = append(t.tracks, tr)
	}
	return nil
}

// seed restarts tr's fit from a detector box and the landmarks fitted in
// it.
func (t *Tracker) seed(tr *track, det box, pts []recognition.Point) {
	tr.pts, tr.bx, tr.prev = pts, det, det
	tr.corr = measureCorrection(det, t.lm.boxFromLandmarks(pts))
}

// boxCorrection carries the box of a face's landmarks (boxFromLandmarks)
// onto the box the detector draws around that face: a scale and a shift of
// the centre in units of the landmark box's side. It is measured on each
// detection of the face and differs from face to face and pose to pose (an
// upturned face with an open mouth makes a larger landmark box). Fitting
// in the corrected box keeps the followed landmarks where a fit in the
// detector's box puts them, and keeps the fit from drifting: the detector's
// box is a fixed point of follow on a still face.
type boxCorrection struct{ scale, dx, dy float64 }

func measureCorrection(det, g box) boxCorrection {
	gx, gy := g.center()
	x, y := det.center()
	s := g.side()
	return boxCorrection{scale: det.side() / s, dx: (x - gx) / s, dy: (y - gy) / s}
}

func (c boxCorrection) apply(g box) box {
	s := g.side()
	x, y := g.center()
	x, y = x+c.dx*s, y+c.dy*s
	h := c.scale * s / 2
	return box{x - h, y - h, x + h, y + h}
}

// blend moves c towards m by the fraction a: the detector's box jumps by
// its pyramid step (6/5) between sizes, so one detection is not trusted
// fully.
func (c boxCorrection) blend(m boxCorrection, a float64) boxCorrection {
	return boxCorrection{
		scale: math.Exp((1-a)*math.Log(c.scale) + a*math.Log(m.scale)),
		dx:    (1-a)*c.dx + a*m.dx,
		dy:    (1-a)*c.dy + a*m.dy,
	}
}

// matchDistance measures how far a detection's box d is from a followed
// face's box f, in units of the largest distance at which d still confirms
// f: above 1 they are different faces.
func matchDistance(f, d box) float64 {
	fx, fy := f.center()
	dx, dy := d.center()
	shift := math.Hypot(dx-fx, dy-fy) / f.side() / maxMatch
	scale := math.Abs(math.Log(d.side()/f.side())) / (2 * math.Log(maxScale))
	return max(shift, scale)
}

// trackDistance is matchDistance of a detection d from tr's face: from
// the box tr was followed into in this frame, or from its box on the
// frame before (tr.prev), whichever is nearer. A face that moves faster
// than one follow step can catch (a quick head turn, smeared further by a
// codec's motion blur) may pull the fit off it the other way: the fit
// lands in the background, away from the face, while the face is still
// within reach of where it was a frame ago. Matched by the followed box
// alone, the face's own detection started a second track next to the
// slipped one, which lived on for maxMissed frames — two faces for a
// moment, and a liveness check refused (ErrManyFaces; d12 161–176
// mirrored, re-encoded with x264, TestFastMoveOneTrack). Another person's
// face lies a box side or more from this one's (matchDistance ≥ 1.67):
// it matches neither box, and still starts its own track.
func trackDistance(tr *track, d box) float64 {
	return min(matchDistance(tr.bx, d), matchDistance(tr.prev, d))
}

// meanDistance is the mean distance between corresponding points.
func meanDistance(a, b []recognition.Point) float64 {
	var s float64
	for i := range a {
		s += math.Hypot(float64(a[i].X-b[i].X), float64(a[i].Y-b[i].Y))
	}
	return s / float64(len(a))
}

// overlapsTrack reports whether b overlaps a followed face noticeably: a
// second detection of one face must not start a second track.
func (t *Tracker) overlapsTrack(b box) bool {
	for _, tr := range t.tracks {
		if iou(tr.bx, b) > 0.3 || sameFace(tr.bx, b) {
			return true
		}
	}
	return false
}

// dropDuplicates ends the younger of two tracks that followed their way
// onto one face (one slipped onto the other's face).
func (t *Tracker) dropDuplicates() {
	kept := t.tracks[:0]
	for _, tr := range t.tracks { // oldest first
		dup := false
		for _, k := range kept {
			if sameFace(k.bx, tr.bx) {
				dup = true
				break
			}
		}
		if !dup {
			kept = append(kept, tr)
		}
	}
	clear(t.tracks[len(kept):])
	t.tracks = kept
}

// boxFromLandmarks is the face box the detector would draw around pts: the
// predictor's mean shape is defined in the unit box (dlib normalises every
// training face by its detector box), so the similarity transform that
// carries the mean shape onto pts carries the unit box onto the face box.
// The box keeps the transform's centre and scale and drops its rotation,
// as detector boxes are upright. Only the points that move with the skull
// take part (rigid): an open mouth or raised brows would otherwise
// stretch the box, and the next fit in the stretched box stretch it more.
func (l *Landmarker) boxFromLandmarks(pts []recognition.Point) box {
	var mx, my, px, py float64
	for _, i := range l.rigid {
		mx += float64(l.mean[i].X)
		my += float64(l.mean[i].Y)
		px += float64(pts[i].X)
		py += float64(pts[i].Y)
	}
	n := float64(len(l.rigid))
	mx, my, px, py = mx/n, my/n, px/n, py/n
	var a, b, norm float64
	for _, i := range l.rigid {
		u, v := float64(l.mean[i].X)-mx, float64(l.mean[i].Y)-my
		x, y := float64(pts[i].X)-px, float64(pts[i].Y)-py
		a += u*x + v*y
		b += u*y - v*x
		norm += u*u + v*v
	}
	a, b = a/norm, b/norm
	s := math.Hypot(a, b)
	// The transform maps m to [a -b; b a]·(m - mean) + pts' mean.
	cx := px + a*(0.5-mx) - b*(0.5-my)
	cy := py + b*(0.5-mx) + a*(0.5-my)
	return box{l: cx - s/2, t: cy - s/2, r: cx + s/2, b: cy + s/2}
}

// rigidPoints lists the landmarks that keep their place on the face
// whatever its expression: with the 68-point layout the eye corners, the
// nose and the top of the jaw line beside the ears (not the eyelids, brows,
// lips or chin); with other layouts (5 points: eye corners and nose) all.
func rigidPoints(parts int) []int {
	if parts != recognition.Landmarks68 {
		out := make([]int, parts)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := []int{0, 1, 15, 16, 36, 39, 42, 45}
	for i := recognition.NoseBridge.First; i <= recognition.NoseBase.Last; i++ {
		out = append(out, i)
	}
	return out
}

// clampSide returns b with its side brought within [lo, hi], keeping its
// centre.
func (b box) clampSide(lo, hi float64) box {
	s := b.side()
	if s >= lo && s <= hi {
		return b
	}
	h := math.Min(math.Max(s, lo), hi) / 2
	x, y := b.center()
	return box{x - h, y - h, x + h, y + h}
}

func (b box) shift(dx, dy float64) box {
	return box{b.l + dx, b.t + dy, b.r + dx, b.b + dy}
}

// inside is the fraction of b's area inside a w×h frame.
func (b box) inside(w, h int) float64 {
	area := (b.r - b.l) * (b.b - b.t)
	if area <= 0 {
		return 0
	}
	iw := math.Min(b.r, float64(w-1)) - math.Max(b.l, 0)
	ih := math.Min(b.b, float64(h-1)) - math.Max(b.t, 0)
	if iw <= 0 || ih <= 0 {
		return 0
	}
	return iw * ih / area
}

// iou is the intersection over union of two boxes.
func iou(a, b box) float64 {
	in := intersection(a, b)
	return in / ((a.r-a.l)*(a.b-a.t) + (b.r-b.l)*(b.b-b.t) - in)
}

func intersection(a, b box) float64 {
	iw := math.Min(a.r, b.r) - math.Max(a.l, b.l)
	ih := math.Min(a.b, b.b) - math.Max(a.t, b.t)
	if iw <= 0 || ih <= 0 {
		return 0
	}
	return iw * ih
}

// sameFace reports whether two boxes overlap so much that they must be one
// face: more than half their union in common, or most of the smaller box
// inside the larger (as dlib's test_box_overlap, which the detector uses
// within one scan, also tests).
func sameFace(a, b box) bool {
	in := intersection(a, b)
	small := math.Min((a.r-a.l)*(a.b-a.t), (b.r-b.l)*(b.b-b.t))
	return iou(a, b) > 0.5 || in > 0.8*small
}

// moved measures how far b is from a, in units of the largest change a
// steady track makes in one frame (maxShift, maxScale): above 1 it jumped.
func moved(a, b box) float64 {
	ax, ay := a.center()
	bx, by := b.center()
	shift := math.Hypot(bx-ax, by-ay) / a.side() / maxShift
	scale := math.Abs(math.Log(b.side()/a.side())) / math.Log(maxScale)
	return max(shift, scale)
}
