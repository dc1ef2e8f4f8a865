package app

import (
	"context"
	live "facelogin/recognition/liveness"
	"fmt"
	"image"
	"image/jpeg"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	xdraw "golang.org/x/image/draw"

	sharedtd "facelogin/internal/testdata"
	"facelogin/internal/testkit"
	"facelogin/recognition"
	"facelogin/recognition/decision"
)

// testdata is ../shared/testdata next to the repository root.
func testdata(t testing.TB) string {
	t.Helper()
	td, err := sharedtd.Find()
	if err != nil {
		// The test data is part of the project's environment, not optional.
		t.Fatalf("test data missing: %v", err)
	}
	return td
}

// loadPhoto decodes a face photo and scales it to fit 640×480, as a camera
// frame (*image.RGBA) would arrive.
func loadPhoto(t testing.TB, name string) *image.RGBA {
	t.Helper()
	f, err := os.Open(filepath.Join(testdata(t), "faces", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, err := jpeg.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	b := src.Bounds()
	scale := min(640/float64(b.Dx()), 480/float64(b.Dy()), 1)
	dst := image.NewRGBA(image.Rect(0, 0, int(float64(b.Dx())*scale), int(float64(b.Dy())*scale)))
	xdraw.ApproxBiLinear.Scale(dst, dst.Rect, src, b, xdraw.Src, nil)
	return dst
}

// idols are reference descriptors made by the original dlib model, by
// "Name (Band)".
func loadIdols(t testing.TB) map[string][]recognition.Descriptor {
	t.Helper()
	testdata(t) // missing test data fails here, as everywhere in app
	out := map[string][]recognition.Descriptor{}
	for _, i := range sharedtd.Idols(t) {
		key := i.Name + " (" + i.Band + ")"
		out[key] = append(out[key], i.Descriptor)
	}
	return out
}

// idol returns the descriptors of one idol, failing if there are none.
func idol(t testing.TB, idols map[string][]recognition.Descriptor, key string) []recognition.Descriptor {
	t.Helper()
	ds := idols[key]
	if len(ds) == 0 {
		t.Fatalf("no descriptors for %q in idols.json", key)
	}
	return ds
}

// syntheticLandmarks lays the 68 iBUG points out in r like an average face:
// jaw as a U, brows, nose, eyes and lips as arcs and ellipses.
func syntheticLandmarks(r image.Rectangle) []image.Point {
	w, h := float64(r.Dx()), float64(r.Dy())
	at := func(x, y float64) image.Point {
		return image.Pt(r.Min.X+int(math.Round(x*w)), r.Min.Y+int(math.Round(y*h)))
	}
	pts := make([]image.Point, 0, 68)
	for i := range 17 { // jaw 0-16
		a := math.Pi * (1 - float64(i)/16)
		pts = append(pts, at(0.5+0.48*math.Cos(a), 0.30+0.65*math.Sin(a)))
	}
	for _, x0 := range []float64{0.12, 0.55} { // brows 17-21, 22-26
		for i := range 5 {
			x := x0 + 0.33*float64(i)/4
			pts = append(pts, at(x, 0.25-0.04*math.Sin(math.Pi*float64(i)/4)))
		}
	}
	for i := range 4 { // nose bridge 27-30
		pts = append(pts, at(0.5, 0.32+0.08*float64(i)))
	}
	for i := range 5 { // nose base 31-35
		pts = append(pts, at(0.38+0.06*float64(i), 0.62))
	}
	ellipse := func(cx, cy, rx, ry float64, n int) {
		for i := range n {
			a := math.Pi + 2*math.Pi*float64(i)/float64(n)
			pts = append(pts, at(cx+rx*math.Cos(a), cy+ry*math.Sin(a)))
		}
	}
	ellipse(0.30, 0.38, 0.09, 0.035, 6) // right eye 36-41
	ellipse(0.70, 0.38, 0.09, 0.035, 6) // left eye 42-47
	ellipse(0.50, 0.78, 0.18, 0.07, 12) // outer lips 48-59
	ellipse(0.50, 0.78, 0.10, 0.03, 8)  // inner lips 60-67
	return pts
}

// centreFace is a face box in the middle of img, half its shorter side.
func centreFace(img image.Image) image.Rectangle {
	b := img.Bounds()
	side := min(b.Dx(), b.Dy()) / 2
	c := image.Pt(b.Min.X+b.Dx()/2, b.Min.Y+b.Dy()/2)
	return image.Rect(c.X-side/2, c.Y-side/2, c.X+side/2, c.Y+side/2)
}

// fakeCamera serves one still image as a live camera of the given frame
// period: the sequence number grows with time, and each frame's time is
// its number of periods after the start.
type fakeCamera struct {
	period time.Duration
	start  time.Time

	mu     sync.Mutex
	frame  image.Image
	status CameraStatus
}

func newFakeCamera(frame image.Image) *fakeCamera {
	return &fakeCamera{period: 5 * time.Millisecond, start: time.Now(), frame: frame,
		status: CameraStatus{OK: true, Message: "fake camera 640×480"}}
}

func (c *fakeCamera) Latest() (Frame, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frame == nil {
		return Frame{}, false
	}
	seq := 1 + uint64(time.Since(c.start)/c.period)
	return Frame{Image: c.frame, Seq: seq, Time: c.start.Add(time.Duration(seq) * c.period)}, true
}

func (c *fakeCamera) Status() CameraStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

func (c *fakeCamera) show(img image.Image) {
	c.mu.Lock()
	c.frame = img
	c.mu.Unlock()
}

func (c *fakeCamera) setStatus(s CameraStatus) {
	c.mu.Lock()
	c.status = s
	c.mu.Unlock()
}

// models is what the window runs on live video: the tracker and the engine.
type models interface {
	Tracker
	Engine
}

// fakeEngine is both models, scripted per image: Track finds the scripted
// faces of an image, and Describe returns a scripted face's descriptor
// (jittered a little per call, as consecutive video frames of one face
// differ). A face keeps its track ID while the same image shows it in
// consecutive frames; another image (a cut) starts new tracks, as a real
// tracker does when one person replaces another. Describe fails for a face
// that is not one of img's scripted faces: asking for the descriptor of a
// face in another frame than the one it was tracked in is an error.
type fakeEngine struct {
	mu       sync.Mutex
	faces    map[image.Image][]recognition.Face
	jitter   float32
	trackErr error // every Track fails with it
	descErr  error // every Describe fails with it

	tracks   int // Track calls
	calls    int // Describe calls
	lastID   recognition.TrackID
	prevImg  image.Image
	prevIDs  []recognition.TrackID
	tracked  map[image.Image]recognition.LandmarkFrame // the last result per image
	ids      map[image.Image][]recognition.TrackID     // scripted track IDs (setTrack)
	describe []describeCall
}

// describeCall is one Describe: the frame and the face asked about.
type describeCall struct {
	frame image.Image
	face  recognition.TrackedFace
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{faces: map[image.Image][]recognition.Face{}, jitter: 0.004,
		tracked: map[image.Image]recognition.LandmarkFrame{}, ids: map[image.Image][]recognition.TrackID{}}
}

// setTrack scripts img's faces and their track IDs, for frames of a video
// in which a face moves: the tracker follows it under the same ID from
// image to image.
func (e *fakeEngine) setTrack(img image.Image, ids []recognition.TrackID, faces ...recognition.Face) {
	e.mu.Lock()
	e.faces[img], e.ids[img] = faces, ids
	e.mu.Unlock()
}

// script makes img contain one face per descriptor, side by side.
func (e *fakeEngine) script(img image.Image, ds ...recognition.Descriptor) []recognition.Face {
	faces := make([]recognition.Face, len(ds))
	r := centreFace(img)
	for i, d := range ds {
		fr := r.Add(image.Pt((i-(len(ds)-1)/2)*r.Dx()/2, 0)).Intersect(img.Bounds())
		faces[i] = recognition.Face{Rect: fr, Landmarks: syntheticLandmarks(fr), Descriptor: d}
	}
	e.set(img, faces...)
	return faces
}

// set scripts faces for img as they are.
func (e *fakeEngine) set(img image.Image, faces ...recognition.Face) {
	e.mu.Lock()
	e.faces[img] = faces
	e.mu.Unlock()
}

func (e *fakeEngine) Track(img image.Image, at time.Duration) (recognition.LandmarkFrame, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tracks++
	if e.trackErr != nil {
		return recognition.LandmarkFrame{}, e.trackErr
	}
	src := e.faces[img]
	lf := recognition.LandmarkFrame{Time: at, Index: e.tracks - 1, Size: img.Bounds().Size(), Detection: true}
	ids := make([]recognition.TrackID, len(src))
	scripted := e.ids[img]
	for i, f := range src {
		switch {
		case i < len(scripted):
			ids[i] = scripted[i]
			e.lastID = max(e.lastID, ids[i])
		case img == e.prevImg && i < len(e.prevIDs):
			ids[i] = e.prevIDs[i]
		default:
			e.lastID++
			ids[i] = e.lastID
		}
		pts := make([]recognition.Point, len(f.Landmarks))
		for j, p := range f.Landmarks {
			pts[j] = recognition.Point{X: float32(p.X), Y: float32(p.Y)}
		}
		lf.Faces = append(lf.Faces, recognition.TrackedFace{ID: ids[i], Rect: f.Rect, Landmarks: pts, Detected: true})
	}
	e.prevImg, e.prevIDs = img, ids
	e.tracked[img] = lf
	return lf, nil
}

func (e *fakeEngine) Describe(img image.Image, face recognition.TrackedFace) (recognition.Face, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls++
	e.describe = append(e.describe, describeCall{img, face})
	if e.descErr != nil {
		return recognition.Face{}, e.descErr
	}
	for _, f := range e.faces[img] {
		if f.Rect != face.Rect {
			continue
		}
		f.Landmarks = append([]image.Point(nil), f.Landmarks...)
		for j := range f.Descriptor {
			f.Descriptor[j] += e.jitter * float32(math.Sin(float64(e.calls*131+j*17)))
		}
		return f, nil
	}
	return recognition.Face{}, fmt.Errorf("fake engine: track %d at %v is not a face of this frame", face.ID, face.Rect)
}

// describeCalls returns a copy of the Describe calls so far.
func (e *fakeEngine) describeCalls() []describeCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]describeCall(nil), e.describe...)
}

// fakeDirectory is an in-memory user directory with exhaustive matching.
// Enroll and ReEnroll refuse a face registered under another name, as the
// store does in the insert's transaction.
type fakeDirectory struct {
	mu      sync.Mutex
	users   map[string]*fakeUser
	logins  []fakeLogin
	adapted []string  // users who gained an adaptive template
	now     time.Time // the adaptive templates' clock
	// blind makes Identify find nobody: a matcher that has not yet seen
	// users enrolled at another station.
	blind bool
	// allowed are the users registered with DuplicateCheck.Allow.
	allowed []string
	// disabled users stay in the matcher, and Decide refuses their face
	// with ErrUnknownUser, as internal/appdir does.
	disabled map[string]bool
}

type fakeUser struct {
	templates []recognition.Descriptor // enrolment templates first
	created   []time.Time
	enrolled  int // how many of templates are enrolment templates
	quality   []float32
	lastLogin time.Time
}

func newFakeUser(ds []recognition.Descriptor, q []float32) *fakeUser {
	return &fakeUser{templates: ds, created: make([]time.Time, len(ds)), enrolled: len(ds), quality: q}
}

type fakeLogin struct {
	user     string
	distance float32
	success  bool
	reason   string
	check    string // what the liveness check said of a decided login
}

func newFakeDirectory() *fakeDirectory { return &fakeDirectory{users: map[string]*fakeUser{}} }

func (d *fakeDirectory) add(name string, ds ...recognition.Descriptor) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users[name] = newFakeUser(ds, make([]float32, len(ds)))
}

// find returns the stored name equal to name ignoring case.
func (d *fakeDirectory) find(name string) (string, *fakeUser) {
	for n, u := range d.users {
		if strings.EqualFold(n, name) {
			return n, u
		}
	}
	return "", nil
}

// midpoint is the descriptor halfway between the closest templates of
// users a and b (a face as near to one lookalike as to the other), and
// the distance between those templates.
func (d *fakeDirectory) midpoint(a, b string) (recognition.Descriptor, float32) {
	e, s := d.user(a).templates, d.user(b).templates
	var mid recognition.Descriptor
	best := float32(10)
	for i := range e {
		for j := range s {
			if dist := recognition.Distance(&e[i], &s[j]); dist < best {
				best = dist
				for k := range mid {
					mid[k] = (e[i][k] + s[j][k]) / 2
				}
			}
		}
	}
	return mid, best
}

func (d *fakeDirectory) user(name string) *fakeUser {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, u := d.find(name)
	return u
}

func (d *fakeDirectory) CheckName(_ context.Context, name string) error {
	if strings.ContainsAny(name, " %'\"") {
		return ErrInvalidName
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, u := d.find(name); u != nil {
		return ErrNameTaken
	}
	return nil
}

func (d *fakeDirectory) Enroll(ctx context.Context, name string, ds []recognition.Descriptor, q []float32, dup DuplicateCheck) error {
	if err := d.CheckName(ctx, name); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if e := d.duplicate(ds, dup.Threshold, ""); e != nil && !dup.Allow {
		return e
	}
	if dup.Allow {
		d.allowed = append(d.allowed, name)
	}
	d.users[name] = newFakeUser(ds, q)
	return nil
}

func (d *fakeDirectory) ReEnroll(_ context.Context, name string, ds []recognition.Descriptor, q []float32, threshold float32) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, u := d.find(name)
	if u == nil {
		return ErrUnknownUser
	}
	if e := d.duplicate(ds, threshold, n); e != nil {
		return e
	}
	last := u.lastLogin
	*u = *newFakeUser(ds, q)
	u.lastLogin = last
	return nil
}

// duplicate is the user other than self with a template within th of ds,
// nearest first, or nil. d.mu held.
func (d *fakeDirectory) duplicate(ds []recognition.Descriptor, th float32, self string) *DuplicateFaceError {
	var best *DuplicateFaceError
	for name, u := range d.users {
		if name == self || th <= 0 {
			continue
		}
		for i := range u.templates {
			for j := range ds {
				if dist := recognition.Distance(&u.templates[i], &ds[j]); dist <= th && (best == nil || dist < best.Distance) {
					best = &DuplicateFaceError{User: name, Distance: dist, Threshold: th}
				}
			}
		}
	}
	return best
}

func (d *fakeDirectory) Identify(p *recognition.Descriptor) Match {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.blind {
		inf := float32(math.Inf(1))
		return Match{Distance: inf, SecondDistance: inf}
	}
	type near struct {
		user string
		dist float32
	}
	var ns []near
	for name, u := range d.users {
		best := float32(math.Inf(1))
		for i := range u.templates {
			best = min(best, recognition.Distance(p, &u.templates[i]))
		}
		ns = append(ns, near{name, best})
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i].dist < ns[j].dist })
	inf := float32(math.Inf(1))
	m := Match{Distance: inf, SecondDistance: inf}
	if len(ns) > 0 {
		m.User, m.Distance = ns[0].user, ns[0].dist
	}
	if len(ns) > 1 {
		m.SecondUser, m.SecondDistance = ns[1].user, ns[1].dist
	}
	return m
}

// gallery is the fake's users under the real decision rules with base as
// the policy's Base. Caller holds d.mu.
func (d *fakeDirectory) gallery(base float32) *decision.Gallery {
	var ts []recognition.Template
	for name, u := range d.users {
		for _, t := range u.templates {
			ts = append(ts, recognition.Template{User: name, Descriptor: t})
		}
	}
	g, err := decision.NewGallery(ts, nil, decision.DefaultPolicy.WithBase(base))
	if err != nil {
		panic(err)
	}
	return g
}

// Decide is the real decision (recognition/decision) over the fake's
// users: names compare ignoring case, as in the store.
func (d *fakeDirectory) Decide(claimed string, frames []recognition.Descriptor, base float32) (decision.Decision, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	g := d.gallery(base)
	var dec decision.Decision
	if claimed == "" {
		dec = g.Identify(frames)
	} else {
		name, u := d.find(claimed)
		if u == nil {
			return decision.Decision{User: claimed, Reason: decision.UnknownUser, Frames: len(frames)}, ErrUnknownUser
		}
		dec = g.Verify(name, frames)
	}
	if d.disabled[dec.User] {
		return dec, fmt.Errorf("%w: %s is disabled", ErrUnknownUser, dec.User)
	}
	return dec, nil
}

// Adapt applies the real adaptive-template rules (decision.AdaptPolicy)
// at the fake's clock, d.now, and keeps what they admit as a template.
func (d *fakeDirectory) Adapt(_ context.Context, dec decision.Decision, frames []recognition.Descriptor, live bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := decision.DefaultAdaptPolicy
	i, err := d.gallery(DefaultThreshold).AdaptFrame(dec, frames, live, p)
	if err != nil {
		return err
	}
	p = p.ForThreshold(dec.Threshold.Value)
	_, u := d.find(dec.User)
	stored := make([]decision.StoredTemplate, len(u.templates))
	for k := range u.templates {
		stored[k] = decision.StoredTemplate{Descriptor: u.templates[k], Adaptive: k >= u.enrolled, Created: u.created[k]}
	}
	a, err := p.Admit(&frames[i], stored, d.now)
	if err != nil {
		return err
	}
	if a.Replace >= 0 {
		u.templates = slices.Delete(u.templates, a.Replace, a.Replace+1)
		u.created = slices.Delete(u.created, a.Replace, a.Replace+1)
	}
	u.templates = append(u.templates, frames[i])
	u.created = append(u.created, d.now)
	d.adapted = append(d.adapted, dec.User)
	return nil
}

func (d *fakeDirectory) List(context.Context) ([]UserInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []UserInfo
	for name, u := range d.users {
		out = append(out, UserInfo{Name: name, Templates: len(u.templates), LastLogin: u.lastLogin})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (d *fakeDirectory) Rename(_ context.Context, oldName, newName string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, u := d.find(oldName)
	if u == nil {
		return ErrUnknownUser
	}
	if m, other := d.find(newName); other != nil && m != n {
		return ErrNameTaken
	}
	delete(d.users, n)
	d.users[newName] = u
	return nil
}

func (d *fakeDirectory) Delete(_ context.Context, name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, u := d.find(name)
	if u == nil {
		return ErrUnknownUser
	}
	delete(d.users, n)
	return nil
}

func (d *fakeDirectory) RecordLogin(_ context.Context, name string, dist float32, ok bool, reason, check string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.logins = append(d.logins, fakeLogin{name, dist, ok, reason, check})
	if _, u := d.find(name); u != nil && ok {
		u.lastLogin = time.Now()
	}
	return nil
}

func (d *fakeDirectory) Backend() string { return "fake directory (memory)" }

func (d *fakeDirectory) loginLog() []fakeLogin {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]fakeLogin(nil), d.logins...)
}

// harness is a window on Fyne's test driver with fakes behind it. UI
// updates from goroutines queue up in q and run on the test goroutine when
// the test waits, as they would run on Fyne's main goroutine.
type harness struct {
	t     *testing.T
	app   fyne.App
	u     *shell
	cam   *fakeCamera
	eng   *fakeEngine
	dir   *fakeDirectory
	log   *testkit.LockedBuffer
	q     chan func()
	clock testClock
	// steps times the optional steps of a guided registration. It starts
	// expired: those steps end at once, so tests of anything else register
	// from the straight step's frames; guided tests install a fresh clock
	// with guidedSteps.
	steps *testClock
}

func newHarness(t *testing.T, frame image.Image, opts Options) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	return newHarnessOn(t, a, frame, newFakeEngine(), newFakeDirectory(), opts)
}

// newHarnessOn is newHarness with its parts given.
func newHarnessOn(t *testing.T, a fyne.App, frame image.Image, eng models, dir *fakeDirectory, opts Options) *harness {
	t.Helper()
	return newHarnessCam(t, a, newFakeCamera(frame), eng, dir, opts)
}

// newHarnessWith is newHarnessOn with more dependencies: more, if set,
// adds them to the window's Deps.
func newHarnessWith(t *testing.T, a fyne.App, frame image.Image, eng models, dir *fakeDirectory, opts Options, more func(*Deps)) *harness {
	t.Helper()
	return newHarnessDeps(t, a, newFakeCamera(frame), eng, dir, opts, more)
}

// newHarnessCam is newHarnessOn with any camera; setup functions run after
// the window is built, before its goroutines start.
func newHarnessCam(t *testing.T, a fyne.App, cam FrameSource, eng models, dir *fakeDirectory, opts Options, setup ...func(*shell)) *harness {
	t.Helper()
	return newHarnessDeps(t, a, cam, eng, dir, opts, nil, setup...)
}

// newHarnessDeps builds every harness: more, if set, adds dependencies to
// the window's Deps; setup functions run after the window is built.
func newHarnessDeps(t *testing.T, a fyne.App, cam FrameSource, eng models, dir *fakeDirectory, opts Options, more func(*Deps), setup ...func(*shell)) *harness {
	t.Helper()
	h := &harness{t: t, app: a, dir: dir, log: &testkit.LockedBuffer{}, q: make(chan func(), 64)}
	h.cam, _ = cam.(*fakeCamera)
	h.eng, _ = eng.(*fakeEngine)
	opts.Logger = slog.New(slog.NewTextHandler(h.log, nil))
	done := make(chan struct{})
	post := func(f func()) {
		select {
		case h.q <- f:
		case <-done:
		}
	}
	deps := Deps{Camera: cam, Tracker: eng, Engine: eng, Users: dir}
	if more != nil {
		more(&deps)
	}
	// The tests of the decision path run with the liveness check off, as
	// a person turns it off in the settings; the liveness tests turn it on
	// (withChallenge).
	a.Preferences().SetBool(PrefLiveness, false)
	// They check the overlay where the tracker put it, in the camera's own
	// coordinates: the preview is not mirrored unless a test asks
	// (withMirror).
	a.Preferences().SetBool(PrefMirror, false)
	// They check the names on the overlay, which a desktop owner turns on
	// in the settings (off by default: TestPreviewNamesOffByDefault).
	a.Preferences().SetBool(PrefPreviewNames, a.Preferences().BoolWithFallback(PrefPreviewNames, true))
	h.u = newUI(a, deps, opts, post).shell
	h.u.capture.timeout = h.clock.withTimeout
	h.steps = &testClock{}
	h.steps.expire()
	h.u.capture.stepTimeout = h.steps.withTimeout
	for _, f := range setup {
		f(h.u)
	}
	h.u.start()
	t.Cleanup(func() {
		close(done)
		h.u.stop()
		if t.Failed() {
			t.Logf("app log:\n%s", h.log.String())
		}
	})
	return h
}

// testClock replaces the captures' timeouts: a capture's time is up when
// the test says so (expire), never because the machine was slow.
type testClock struct {
	mu      sync.Mutex
	expired bool
	cancels []context.CancelFunc
}

// withTimeout is capture.timeout for tests: d is ignored.
func (c *testClock) withTimeout(parent context.Context, _ time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expired {
		cancel()
	}
	c.cancels = append(c.cancels, cancel)
	return &testDeadline{Context: ctx, clock: c}, cancel
}

// expire ends every capture's time, now and from now on.
func (c *testClock) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expired = true
	for _, cancel := range c.cancels {
		cancel()
	}
}

// testDeadline reports context.DeadlineExceeded once its clock expired it.
type testDeadline struct {
	context.Context
	clock *testClock
}

func (d *testDeadline) Err() error {
	err := d.Context.Err()
	d.clock.mu.Lock()
	defer d.clock.mu.Unlock()
	if err != nil && d.clock.expired {
		return context.DeadlineExceeded
	}
	return err
}

// waitFor runs queued UI work until cond holds, checking cond after each
// piece and at least every few milliseconds (a condition that background
// goroutines make true without UI work). The deadline is against hangs
// only: under -race on a busy machine every wait here is far shorter.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(time.Minute)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case f := <-h.q:
			f()
		case <-tick.C:
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// settle runs queued UI work for d.
func (h *harness) settle(d time.Duration) {
	end := time.After(d)
	for {
		select {
		case f := <-h.q:
			f()
		case <-end:
			return
		}
	}
}

// tapDialogButton taps the button labelled text in the topmost dialog.
func (h *harness) tapDialogButton(text string) {
	h.t.Helper()
	var top fyne.CanvasObject
	h.waitFor("a dialog", func() bool {
		top = h.u.win.Canvas().Overlays().Top()
		return top != nil
	})
	for _, o := range test.LaidOutObjects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			test.Tap(b)
			return
		}
	}
	h.t.Fatalf("no %q button in the dialog", text)
}

// dialogText is all label and rich text of the topmost dialog.
func (h *harness) dialogText() string {
	top := h.u.win.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var sb strings.Builder
	for _, o := range test.LaidOutObjects(top) {
		switch w := o.(type) {
		case *widget.Label:
			sb.WriteString(w.Text + "\n")
		case *widget.RichText:
			sb.WriteString(w.String() + "\n")
		}
	}
	return sb.String()
}

// withChallenge turns the liveness check on with steps fixed (the product
// draws them at random), as a shell setup function.
func withChallenge(steps ...live.Step) func(*shell) {
	return func(s *shell) {
		s.liveness.on.Store(true)
		s.liveness.check.SetChecked(true)
		s.liveConfig = func() live.Config {
			cfg := challengeConfig()
			cfg.Steps = steps
			return cfg
		}
	}
}
