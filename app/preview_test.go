package app

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
)

// shownFrame is the image the preview displays.
func (h *harness) shownFrame() *image.RGBA {
	img, _ := h.u.preview.image.Image.(*image.RGBA)
	return img
}

func TestPreviewDrawsOverlayOnLiveFrames(t *testing.T) {
	idols := loadIdols(t)
	elkie := idol(t, idols, "Elkie (CLC)")
	frame := loadPhoto(t, "elkie.jpg")
	h := newHarness(t, frame, Options{})
	faces := h.eng.script(frame, elkie[3])
	h.dir.add("elkie", elkie[:3]...)
	pts := faces[0].Landmarks
	r := faces[0].Rect

	// The label comes from a descriptor made beside the tracker: the first
	// frames show the landmarks under "unknown".
	h.waitFor("a frame with the overlay, labelled", func() bool {
		img := h.shownFrame()
		return img != nil && img.Rect == frame.Rect && img.RGBAAt(pts[8].X, pts[8].Y) == landmarkColor &&
			img.RGBAAt(r.Min.X+r.Dx()/3, r.Min.Y) == knownColor
	})
	img := h.shownFrame()
	for i, p := range pts {
		if got := img.RGBAAt(p.X, p.Y); got != landmarkColor {
			t.Errorf("displayed frame, landmark %d at %v: %v, want %v", i, p, got, landmarkColor)
		}
	}
	if got := img.RGBAAt(r.Min.X+r.Dx()/3, r.Min.Y); got != knownColor {
		t.Errorf("recognised face box: %v, want green %v", got, knownColor)
	}
	if frame.RGBAAt(pts[8].X, pts[8].Y) == landmarkColor {
		t.Error("the overlay was drawn into the camera's own frame")
	}
	if d := h.u.det.latest(); len(d.labels) != 1 || !d.labels[0].Known || !strings.HasPrefix(d.labels[0].Text, "elkie 0.") {
		t.Errorf("face label %+v, want elkie with a distance", d.labels)
	}

	// The window itself shows the overlay: the painted canvas holds
	// cyan contour pixels (the painter scales smoothly, so allow blending).
	h.u.win.Resize(h.u.win.Canvas().Size())
	shot := h.u.win.Canvas().Capture()
	n := 0
	b := shot.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if c := color.RGBAModel.Convert(shot.At(x, y)).(color.RGBA); c.R < 90 && c.G > 170 && c.B > 200 {
				n++
			}
		}
	}
	if n < 50 {
		t.Errorf("window capture has %d cyan pixels, want the landmark contours", n)
	}
}

func TestPreviewUnknownFaceAndDescriptorStrip(t *testing.T) {
	idols := loadIdols(t)
	d := idol(t, idols, "Luda (WJSN)")[0]
	frame := loadPhoto(t, "luda.jpg")
	h := newHarness(t, frame, Options{})
	h.eng.jitter = 0
	faces := h.eng.script(frame, d)

	h.waitFor("the descriptor strip", func() bool { return h.u.preview.strip.has })
	if h.u.preview.strip.d != d {
		t.Fatal("strip does not show the face's descriptor")
	}
	for i, v := range d {
		c := cellColor(v)
		switch {
		case v > 0.05 && !(c.R == 0xff && c.B < 0xff):
			t.Errorf("cell %d (%.3f) is %v, want red", i, v, c)
		case v < -0.05 && !(c.B == 0xff && c.R < 0xff):
			t.Errorf("cell %d (%.3f) is %v, want blue", i, v, c)
		}
	}
	// The rendered strip: cell i spans 2 px at its minimum size.
	px := h.u.preview.strip.pixel(2*40, 0, 2*recognition.DescriptorLen, 18)
	if px != cellColor(d[40]) {
		t.Errorf("strip pixel of cell 40: %v, want %v", px, cellColor(d[40]))
	}

	h.waitFor("an unknown face on screen", func() bool {
		img := h.shownFrame()
		r := faces[0].Rect
		return img != nil && img.RGBAAt(r.Min.X+r.Dx()/3, r.Min.Y) == unknownColor
	})
	if l := h.u.det.latest().labels; len(l) != 1 || l[0].Known || l[0].Text != "unknown" {
		t.Errorf("labels %+v, want one unknown", l)
	}
}

func TestPreviewShowsCameraStatus(t *testing.T) {
	h := newHarness(t, loadPhoto(t, "joy.jpg"), Options{})
	h.waitFor("live status", func() bool { return strings.HasPrefix(h.u.preview.status.Text, "fake camera 640×480") })
	h.cam.setStatus(CameraStatus{Message: "camera unplugged — retrying in 2s"})
	h.waitFor("unplugged status", func() bool {
		return h.u.preview.status.Text == "camera unplugged — retrying in 2s"
	})
	if h.u.preview.status.Importance != widget.DangerImportance {
		t.Errorf("status importance %v, want danger", h.u.preview.status.Importance)
	}
}

// gatedEngine holds every Track or every Describe call (whichever gate is
// set) until the test lets it go, and records Track calls that overlap.
type gatedEngine struct {
	*fakeEngine
	trackGate, describeGate *gate
	inFlight, overlaps      atomic.Int32
}

// gate holds calls: entered gets a value per call begun (while there is
// room), release lets one call finish per value and all once closed.
type gate struct {
	entered, release chan struct{}
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 16), release: make(chan struct{})} }

func (g *gate) pass() {
	if g == nil {
		return
	}
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.release
}

func (e *gatedEngine) Track(img image.Image, at time.Duration) (recognition.LandmarkFrame, error) {
	if e.inFlight.Add(1) > 1 {
		e.overlaps.Add(1)
	}
	defer e.inFlight.Add(-1)
	e.trackGate.pass()
	return e.fakeEngine.Track(img, at)
}

func (e *gatedEngine) Describe(img image.Image, face recognition.TrackedFace) (recognition.Face, error) {
	e.describeGate.pass()
	return e.fakeEngine.Describe(img, face)
}

// TestPreviewNotHeldUpBySlowTracker: while the tracker is busy with a frame
// the preview goes on showing new frames, and the tracker never gets a
// second call before the first returned. The tracker is held by the test,
// so what is counted are events, not rates: a loaded machine cannot fail
// it.
func TestPreviewNotHeldUpBySlowTracker(t *testing.T) {
	idols := loadIdols(t)
	frame := loadPhoto(t, "joy.jpg")
	eng := &gatedEngine{fakeEngine: newFakeEngine(), trackGate: newGate()}
	eng.script(frame, idol(t, idols, "Joy (Red Velvet)")[0])
	h := newHarnessOn(t, test.NewTempApp(t), frame, eng, newFakeDirectory(), Options{})
	t.Cleanup(func() { close(eng.trackGate.release) }) // before the harness stops the window

	for call := range 3 {
		<-eng.trackGate.entered
		if got := h.u.Stats().Tracked; got != uint64(call) {
			t.Fatalf("%d frames tracked while call %d is held", got, call+1)
		}
		shown := h.u.Stats().Displayed
		h.waitFor("new frames while the tracker is busy", func() bool { return h.u.Stats().Displayed >= shown+10 })
		if n := eng.overlaps.Load(); n != 0 || eng.inFlight.Load() != 1 {
			t.Fatalf("call %d: %d overlapping calls, %d in flight", call+1, n, eng.inFlight.Load())
		}
		eng.trackGate.release <- struct{}{}
	}
	h.waitFor("the third tracked frame", func() bool { return h.u.Stats().Tracked == 3 })
	if d := h.u.det.latest(); len(d.faces) != 1 || len(d.labels) != 1 {
		t.Errorf("latest detection %+v", d)
	}
}

// TestPreviewWaitsOnceForStalledTracker: a tracker that does not answer
// (loading its model, stuck) holds the picture back once, for overlayWait;
// the frames after are shown as they come until it answers again, instead
// of each waiting for it (which halved the frame rate while the models
// loaded). The wait is made endless after the first frame: a frame that
// waited for the tracker would never be shown.
func TestPreviewWaitsOnceForStalledTracker(t *testing.T) {
	const n = 6
	eng := &gatedEngine{fakeEngine: newFakeEngine(), trackGate: newGate()}
	cam := movingFace(t, eng.fakeEngine, "joy.jpg", idol(t, loadIdols(t), "Joy (Red Velvet)")[0], n)
	h := newHarnessCam(t, test.NewTempApp(t), cam, eng, newFakeDirectory(), Options{}, func(s *shell) {
		s.preview.overlayWait.Store(int64(time.Millisecond))
	})
	t.Cleanup(func() { close(eng.trackGate.release) }) // before the harness stops the window
	h.step(cam)
	<-eng.trackGate.entered // the tracker holds frame 1
	h.u.preview.overlayWait.Store(int64(time.Hour))
	for range n - 1 {
		h.step(cam)
	}
	if s := h.u.Stats(); s.Displayed != n || s.Tracked != 0 {
		t.Errorf("%d frames sent: %d shown, %d tracked; want all shown, none tracked", n, s.Displayed, s.Tracked)
	}
}

// TestLandmarksNotHeldUpBySlowEngine: while the engine is busy with a
// descriptor for the labels, the tracker goes on and every new frame is
// shown with its own landmarks.
func TestLandmarksNotHeldUpBySlowEngine(t *testing.T) {
	idols := loadIdols(t)
	frame := loadPhoto(t, "joy.jpg")
	eng := &gatedEngine{fakeEngine: newFakeEngine(), describeGate: newGate()}
	eng.script(frame, idol(t, idols, "Joy (Red Velvet)")[0])
	h := newHarnessOn(t, test.NewTempApp(t), frame, eng, newFakeDirectory(), Options{})
	t.Cleanup(func() { close(eng.describeGate.release) })

	<-eng.describeGate.entered // the labeler asks for the new track's descriptor
	s := h.u.Stats()
	h.waitFor("frames tracked and shown with their landmarks while the engine is busy", func() bool {
		n := h.u.Stats()
		return n.Tracked >= s.Tracked+10 && n.Overlaid >= s.Overlaid+10
	})
	if l := h.u.det.latest().labels; len(l) != 1 || l[0] != unknownLabel() {
		t.Errorf("labels %+v before the descriptor, want unknown", l)
	}
	if n := h.u.Stats().Descriptors; n != 0 {
		t.Errorf("%d descriptors finished while the engine is held", n)
	}
}

// stepCamera is a camera the test advances frame by frame: frame k (from
// 1) is frames[k-1], taken k×33 ms after the start.
type stepCamera struct {
	frames []*image.RGBA
	start  time.Time
	at     atomic.Int64 // the frame shown, 0 before the first
}

func (c *stepCamera) Latest() (Frame, bool) {
	k := c.at.Load()
	if k == 0 {
		return Frame{}, false
	}
	return Frame{Image: c.frames[k-1], Seq: uint64(k), Time: c.time(int(k))}, true
}

// time is the capture time of frame k: 33 ms apart.
func (c *stepCamera) time(k int) time.Time {
	return c.start.Add(time.Duration(k) * 33 * time.Millisecond)
}

func (c *stepCamera) Status() CameraStatus { return CameraStatus{OK: true, Message: "step camera"} }

// movingFace makes n frames of photo in which one face (track 7) moves 6
// px to the right per frame; frame k carries k in its top-left pixel so a
// displayed copy tells which frame it is.
func movingFace(t *testing.T, eng *fakeEngine, photo string, d recognition.Descriptor, n int) *stepCamera {
	t.Helper()
	base := loadPhoto(t, photo)
	c := &stepCamera{start: time.Now()}
	for k := 1; k <= n; k++ {
		f := image.NewRGBA(base.Rect)
		copy(f.Pix, base.Pix)
		f.SetRGBA(0, 0, color.RGBA{uint8(k), 0, 0, 0xff})
		r := centreFace(f).Add(image.Pt(6*(k-n/2), 0))
		eng.setTrack(f, []recognition.TrackID{7}, recognition.Face{Rect: r, Landmarks: syntheticLandmarks(r), Descriptor: d})
		c.frames = append(c.frames, f)
	}
	return c
}

// step shows the next frame and waits until the preview displays it.
func (h *harness) step(c *stepCamera) int {
	h.t.Helper()
	k := int(c.at.Add(1))
	h.waitFor(fmt.Sprintf("frame %d on screen", k), func() bool {
		img := h.shownFrame()
		return img != nil && img.Pix[0] == uint8(k)
	})
	return k
}

// TestOverlayFollowsEveryFrame: with a face moving from frame to frame,
// every displayed frame carries the landmarks the tracker found in that
// very frame, not in an earlier one, and every frame was tracked.
func TestOverlayFollowsEveryFrame(t *testing.T) {
	const n = 24
	eng := newFakeEngine()
	cam := movingFace(t, eng, "joy.jpg", idol(t, loadIdols(t), "Joy (Red Velvet)")[0], n)
	h := newHarnessCam(t, test.NewTempApp(t), cam, eng, newFakeDirectory(), Options{}, func(s *shell) {
		// The preview waits for the tracker as long as it takes: the
		// test is about which landmarks a frame shows, not about time.
		s.preview.overlayWait.Store(int64(time.Hour))
	})
	for range n {
		k := h.step(cam)
		img := h.shownFrame()
		lf := eng.trackedFrame(t, cam.frames[k-1])
		if len(lf.Faces) != 1 || lf.Faces[0].ID != 7 {
			t.Fatalf("frame %d tracked as %+v", k, lf.Faces)
		}
		pts := lf.Faces[0].Face().Landmarks
		for _, i := range []int{8, 30, 36, 45} { // chin, nose tip, eye corners
			if got := img.RGBAAt(pts[i].X, pts[i].Y); got != landmarkColor {
				t.Fatalf("frame %d: landmark %d at %v is %v, want %v", k, i, pts[i], got, landmarkColor)
			}
			// Where the previous frame's chin was (6 px to the left), this
			// frame has no landmark colour from a stale overlay.
			if old := pts[i].Add(image.Pt(-6, 0)); k > 1 && i == 8 && img.RGBAAt(old.X, old.Y) == landmarkColor {
				t.Fatalf("frame %d shows the previous frame's landmark %d at %v", k, i, old)
			}
		}
	}
	s := h.u.Stats()
	if s.Tracked != n || s.Overlaid != n || s.Displayed != n {
		t.Errorf("%d frames: tracked %d, displayed %d, with their own landmarks %d; want all", n, s.Tracked, s.Displayed, s.Overlaid)
	}
}

// trackedFrame is what Track returned for img.
func (e *fakeEngine) trackedFrame(t *testing.T, img image.Image) recognition.LandmarkFrame {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	lf, ok := e.tracked[img]
	if !ok {
		t.Fatal("frame never tracked")
	}
	return lf
}

// TestLabelDescribedOncePerTrack: the name on a face comes from one
// descriptor per track, computed from a frame the face was tracked in — not
// one per frame — and is refreshed only after labelRefresh on the
// labeler's clock (moved by the test).
func TestLabelDescribedOncePerTrack(t *testing.T) {
	const n = 20
	idols := loadIdols(t)
	elkie := idol(t, idols, "Elkie (CLC)")
	eng := newFakeEngine()
	cam := movingFace(t, eng, "elkie.jpg", elkie[3], n+1)
	dir := newFakeDirectory()
	dir.add("elkie", elkie[:3]...)
	var clock offsetClock
	h := newHarnessCam(t, test.NewTempApp(t), cam, eng, dir, Options{}, func(s *shell) {
		s.preview.overlayWait.Store(int64(time.Hour))
		s.det.labels.now = func() time.Time { return time.Unix(1e9, 0).Add(time.Duration(clock.offset.Load())) }
	})
	labeled := func(k int) {
		h.waitFor(fmt.Sprintf("the labeler at frame %d", k), func() bool { return h.u.det.labels.seen.Load() >= uint64(k) })
	}
	for range n {
		labeled(h.step(cam))
	}
	if got := h.u.det.labels.descriptions(7); got != 1 {
		t.Fatalf("%d frames of one track: %d descriptors, want 1", n, got)
	}
	d := h.u.det.latest()
	if len(d.labels) != 1 || !d.labels[0].Known || !strings.HasPrefix(d.labels[0].Text, "elkie 0.") {
		t.Errorf("label %+v, want elkie with a distance", d.labels)
	}
	checkDescribedOwnFrames(t, eng)

	clock.advance(labelRefresh)
	labeled(h.step(cam))
	if got := h.u.det.labels.descriptions(7); got != 2 {
		t.Errorf("after %v: %d descriptors, want 2", labelRefresh, got)
	}
	if got := len(eng.describeCalls()); got != 2 {
		t.Errorf("%d Describe calls, want 2", got)
	}
}

// checkDescribedOwnFrames: every Describe was asked about a face exactly
// as the tracker found it in that frame.
func checkDescribedOwnFrames(t *testing.T, eng *fakeEngine) {
	t.Helper()
	for i, c := range eng.describeCalls() {
		lf := eng.trackedFrame(t, c.frame)
		f, ok := lf.Find(c.face.ID)
		if !ok || f.Rect != c.face.Rect || len(f.Landmarks) != len(c.face.Landmarks) || f.Landmarks[8] != c.face.Landmarks[8] {
			t.Errorf("Describe %d asked about track %d at %v, which its frame does not show there", i, c.face.ID, c.face.Rect)
		}
	}
}

// TestFollowHandsEveryFrame: follow (the liveness challenge's stream)
// hands every tracked frame to its caller, in camera order and without a
// gap, each with the landmarks the tracker found in that very frame and
// the face's track ID, while the labeler stays off the engine.
func TestFollowHandsEveryFrame(t *testing.T) {
	const n = 12
	eng := newFakeEngine()
	cam := movingFace(t, eng, "joy.jpg", idol(t, loadIdols(t), "Joy (Red Velvet)")[0], n)
	h := newHarnessCam(t, test.NewTempApp(t), cam, eng, newFakeDirectory(), Options{})
	h.step(cam)
	subs := subscribers(h.u.det)
	type got struct {
		det     detection
		holding bool
	}
	seen := make(chan got, n)
	done := make(chan error, 1)
	go func() {
		done <- h.u.capture.follow(context.Background(), func(d detection) (bool, error) {
			seen <- got{d, h.u.det.deciding.Load() > 0}
			return d.seq == n, d.err
		})
	}()
	h.waitFor("the follower's subscription", func() bool { return subscribers(h.u.det) > subs })
	for range n - 1 {
		h.step(cam)
	}
	h.waitFor("the follower's end", func() bool { return len(done) == 1 })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(seen)
	var want uint64
	for g := range seen {
		d := g.det
		if want == 0 {
			want = d.seq // frame 1 may be published after the subscription
			if want > 2 {
				t.Errorf("first frame handed over: %d, want 1 or 2", want)
			}
		}
		if d.seq != want {
			t.Errorf("frame %d handed over, want %d (in order, none skipped)", d.seq, want)
		}
		want = d.seq + 1
		lf := eng.trackedFrame(t, d.frame)
		if len(d.track.Faces) != 1 || d.track.Faces[0].ID != 7 || len(lf.Faces) != 1 ||
			d.track.Faces[0].Rect != lf.Faces[0].Rect || d.track.Faces[0].Landmarks[30] != lf.Faces[0].Landmarks[30] {
			t.Errorf("frame %d: faces %+v, not the tracker's of that frame", d.seq, d.track.Faces)
		}
		if !g.holding {
			t.Errorf("frame %d: the labeler was not held off the engine", d.seq)
		}
	}
	if want != n+1 {
		t.Errorf("the follower ended after frame %d, want %d", want-1, n)
	}
}
