//go:build cgo

package app

import (
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"facelogin/camera"
	sharedtd "facelogin/internal/testdata"
	"facelogin/recognition"
	// recognition/dlib (cgo) tracks the real videos: these tests are left out
	// of the cgo-free run of app (make test-nocgo) and run in the unit stage.
	"facelogin/recognition/dlib"
	live "facelogin/recognition/liveness"
)

// The liveness tests run the product's landmark path on real video: a dlib
// Tracker (the one the window runs) on every frame of a shared video of a
// real person, in order, with the file's own timestamps, handed to the
// window or the kiosk as a camera the test advances frame by frame — each
// frame tracked and taken by the challenge before the next is shown, so
// nothing depends on the machine's speed. Only the descriptors are
// scripted (one enrolled person's), as in the other app tests.
//
// The genuine attempt is d12 from its first frame (25 fps): the person
// faces the camera, turns to their own left (frames 33–60) and back, then
// to their right (74–104) and back — the challenge "left, right"
// (livenesstest's clip tables list these turns). The photo attack is that
// video's first frame held still: a printed picture in front of the
// camera.

var (
	landmarkerOnce sync.Once
	landmarkerVal  *dlib.Landmarker
	landmarkerErr  error

	videoMu    sync.Mutex
	videoCache = map[string][]camera.VideoFrame{}
)

// videoModels are the window's models on video: the real Tracker, and a
// scripted engine whose every face has the descriptor desc (jittered a
// little per call, as consecutive frames of one face differ).
type videoModels struct {
	mu    sync.Mutex
	tr    *dlib.Tracker
	desc  recognition.Descriptor
	calls int
}

func newVideoModels(t *testing.T, desc recognition.Descriptor) *videoModels {
	t.Helper()
	dir := sharedtd.ModelsDir(t)
	landmarkerOnce.Do(func() { landmarkerVal, landmarkerErr = dlib.OpenLandmarker(dir) })
	if landmarkerErr != nil {
		t.Fatal(landmarkerErr)
	}
	tr, err := landmarkerVal.NewTracker(dlib.TrackerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return &videoModels{tr: tr, desc: desc}
}

func (m *videoModels) Track(img image.Image, at time.Duration) (recognition.LandmarkFrame, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tr.Track(img, at)
}

func (m *videoModels) Describe(_ image.Image, face recognition.TrackedFace) (recognition.Face, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	f := face.Face()
	f.Descriptor = m.desc
	for j := range f.Descriptor {
		f.Descriptor[j] += 0.004 * float32(math.Sin(float64(m.calls*131+j*17)))
	}
	return f, nil
}

// videoFrames are the first n frames of a shared video, decoded once per
// test binary.
func videoFrames(t *testing.T, name string, n int) []camera.VideoFrame {
	t.Helper()
	videoMu.Lock()
	defer videoMu.Unlock()
	if fr := videoCache[name]; len(fr) >= n {
		return fr[:n]
	}
	v, err := camera.OpenVideoFile(filepath.Join(testdata(t), "video", name+".mp4"))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	var out []camera.VideoFrame
	for len(out) < n {
		f, err := v.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s ends at frame %d, the test needs %d", name, len(out), n)
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	videoCache[name] = out
	return out
}

// videoCamera is a camera the test advances frame by frame: frame k (from
// 1) is images[k-1], taken times[k-1] after the start.
type videoCamera struct {
	images []image.Image
	times  []time.Duration
	start  time.Time
	at     atomic.Int64
}

// genuineCamera plays d12's first n frames as they were recorded.
func genuineCamera(t *testing.T, n int) *videoCamera {
	c := &videoCamera{start: time.Now()}
	for _, f := range videoFrames(t, "d12", n) {
		c.images = append(c.images, f.Image)
		c.times = append(c.times, f.Time)
	}
	return c
}

// photoCamera shows d12's first frame, unchanged, for n frames at 25 fps:
// a photo held still in front of the camera.
func photoCamera(t *testing.T, n int) *videoCamera {
	still := videoFrames(t, "d12", 1)[0].Image
	c := &videoCamera{start: time.Now()}
	for k := range n {
		c.images = append(c.images, still)
		c.times = append(c.times, time.Duration(k)*40*time.Millisecond)
	}
	return c
}

func (c *videoCamera) Latest() (Frame, bool) {
	k := c.at.Load()
	if k == 0 {
		return Frame{}, false
	}
	return Frame{Image: c.images[k-1], Seq: uint64(k), Time: c.start.Add(c.times[k-1])}, true
}

func (c *videoCamera) Status() CameraStatus { return CameraStatus{OK: true, Message: "video camera"} }

// show advances the camera to frame k and waits until the tracker has
// tracked it and every follower (the challenge) has taken it.
func (c *videoCamera) show(h *harness, k int) {
	h.t.Helper()
	c.at.Store(int64(k))
	h.waitFor(fmt.Sprintf("frame %d tracked and followed", k), func() bool {
		return h.u.det.count.Load() >= uint64(k) && followersDrained(h.u.det)
	})
}

// play shows the camera's frames from the next one until done holds
// (checked after each frame, and after the UI work it queued), failing if
// the frames run out first. seen is called after every frame.
func (c *videoCamera) play(h *harness, what string, done func() bool, seen func()) {
	h.t.Helper()
	for k := int(c.at.Load()) + 1; k <= len(c.images); k++ {
		c.show(h, k)
		h.settle(0)
		if seen != nil {
			seen()
		}
		if done() {
			return
		}
	}
	h.waitFor(what+" after the last frame", done)
}

// followersDrained reports whether every follower (a subscription that
// keeps more than the newest detection: the challenge) has taken every
// detection — or, while nobody follows, whether every subscriber (the
// kiosk's loop, the labeler) has.
func followersDrained(d *detector) bool {
	d.mu.Lock()
	subs := make([]*subscription, 0, len(d.subs))
	for s := range d.subs {
		subs = append(subs, s)
	}
	d.mu.Unlock()
	following := slices.ContainsFunc(subs, func(s *subscription) bool { return s.size > 1 })
	for _, s := range subs {
		s.mu.Lock()
		busy := (s.size > 1 || !following) && len(s.queue) > 0
		s.mu.Unlock()
		if busy {
			return false
		}
	}
	return true
}

// newVideoHarness is a window on cam with the video models (every face
// described as elkie) and elkie enrolled as "ann".
func newVideoHarness(t *testing.T, cam *videoCamera, opts Options, setup ...func(*shell)) *harness {
	t.Helper()
	idols := loadIdols(t)
	elkie := idol(t, idols, "Elkie (CLC)")
	dir := newFakeDirectory()
	dir.add("ann", elkie[:3]...)
	h := newHarnessCam(t, test.NewTempApp(t), cam, newVideoModels(t, elkie[3]), dir, opts, setup...)
	cam.show(h, 1)
	return h
}

// clickLogin taps Log in and waits until the login follows the camera.
func clickLogin(h *harness) {
	h.t.Helper()
	subs := subscribers(h.u.det)
	test.Tap(h.u.login.button)
	h.waitFor("the login's subscription", func() bool { return subscribers(h.u.det) > subs })
}

// loginDone reports whether the window's login has ended.
func loginDone(h *harness) func() bool {
	return func() bool { return !h.u.capture.busy && h.u.login.result.Text != "" }
}

// TestChallengeConfig: the product's challenge is two distinct steps drawn
// at random, with the same-person check on.
func TestChallengeConfig(t *testing.T) {
	cfg := challengeConfig()
	if len(cfg.Steps) != 0 || cfg.MaxDescriptorDistance != live.SamePersonDistance {
		t.Fatalf("config %+v: want random steps and the same-person check", cfg)
	}
	c, err := live.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Steps(); len(s) != 2 || s[0] == s[1] {
		t.Errorf("steps %v, want two distinct", s)
	}
	if d := challengeTimeout(cfg); d != 16*time.Second {
		t.Errorf("challenge timeout %v, want settling + 2 steps + the closing descriptor, 4 s each", d)
	}
}

// TestLoginChallengePasses: with the check on, Log in shows the steps one
// at a time as large prompts (the person's own left, arrow to the screen's
// left) with a progress bar; a real person who does them (d12 turning
// left, then right) is welcomed, and the login is recorded as a success,
// decided from frames of the same tracked face after the challenge with
// its liveness passed.
func TestLoginChallengePasses(t *testing.T) {
	cam := genuineCamera(t, 160)
	h := newVideoHarness(t, cam, Options{}, withChallenge(live.TurnLeft, live.TurnRight))
	clickLogin(h)
	var prompts []string
	var progress float64
	cam.play(h, "the welcome", loginDone(h), func() {
		l := h.u.login
		if l.prompt.Visible() && (len(prompts) == 0 || prompts[len(prompts)-1] != l.prompt.Text) {
			prompts = append(prompts, l.prompt.Text)
		}
		if l.steps.Visible() {
			progress = max(progress, l.steps.Value)
		}
	})
	l := h.u.login
	if l.result.Text != "Welcome, ann" {
		t.Fatalf("result %q, message %q; prompts %q", l.result.Text, l.message.Text, prompts)
	}
	left, right := slices.Index(prompts, "← Turn your head to your left"), slices.Index(prompts, "Turn your head to your right →")
	if left < 0 || right < left {
		t.Errorf("prompts %q: want the left turn, then the right", prompts)
	}
	if progress < 0.5 {
		t.Errorf("progress bar reached %.2f", progress)
	}
	if l.prompt.Visible() || l.steps.Visible() {
		t.Error("the prompt stays on screen after the login")
	}
	ls := h.dir.loginLog()
	if len(ls) != 1 || ls[0].user != "ann" || !ls[0].success || ls[0].reason != "" || ls[0].check != "liveness passed: left,right" {
		t.Fatalf("audit log %+v: want ann's success, liveness passed: left,right", ls)
	}
	if !strings.Contains(h.log.String(), "liveness=passed") {
		t.Errorf("log lacks the passed check:\n%s", h.log.String())
	}
	checkDescribedTracked(t, h)
}

// TestLoginChallengeSwappedFace: the descriptor after the last step must
// be the same person's as before the first (liveness.SamePersonDistance):
// a face whose descriptor changes mid-way (here: the engine sees another
// person from the second step on, as if one person did the steps and another stepped
// in) is refused and recorded with that reason.
func TestLoginChallengeSwappedFace(t *testing.T) {
	cam := genuineCamera(t, 160)
	h := newVideoHarness(t, cam, Options{}, withChallenge(live.TurnLeft, live.TurnRight))
	m := h.u.det.engine.(*videoModels)
	// Someone plainly not elkie (dlib's ResNet: another person ≥ 0.6 away;
	// a lookalike within it is not stopped by this check, its doc says).
	other := farFrom(t, m.desc, 0.8)
	clickLogin(h)
	cam.play(h, "the refusal", loginDone(h), func() {
		if strings.HasPrefix(h.u.login.prompt.Text, "Turn your head to your right") {
			m.mu.Lock()
			m.desc = other
			m.mu.Unlock()
		}
	})
	if got := h.u.login.result.Text; got != "Liveness check failed" {
		t.Fatalf("result %q, message %q", got, h.u.login.message.Text)
	}
	ls := h.dir.loginLog()
	if want := "liveness failed: " + live.ErrNotSamePerson.Error(); len(ls) != 1 || ls[0].success || ls[0].reason != want {
		t.Fatalf("audit log %+v: want one failure %q", ls, want)
	}
}

// lookalike is another person of idols.json within [lo, hi] of d and
// beyond hi-0.1 of every descriptor in avoid (the enrolled person's
// templates): someone a challenge's same-person check
// (liveness.SamePersonDistance) cannot tell from d, whom the decision
// rules can.
func lookalike(t *testing.T, d recognition.Descriptor, lo, hi float32, avoid []recognition.Descriptor) recognition.Descriptor {
	t.Helper()
next:
	for _, i := range sharedtd.Idols(t) {
		if x := recognition.Distance(&i.Descriptor, &d); x < lo || x > hi {
			continue
		}
		for j := range avoid {
			if recognition.Distance(&i.Descriptor, &avoid[j]) < hi-0.1 {
				continue next
			}
		}
		return i.Descriptor
	}
	t.Fatalf("no descriptor %.2f–%.2f from the probe", lo, hi)
	return recognition.Descriptor{}
}

// swapAtFirstStep makes the video models describe the face as before
// until the challenge prompts its first step (the descriptor from before
// the challenge is taken then), and as after from then on: one enrolled
// person settles, another does the steps and is decided on. prompt is
// the prompt on screen.
func swapAtFirstStep(m *videoModels, before, after recognition.Descriptor, prompt func() string) func() {
	m.mu.Lock()
	m.desc = before
	m.mu.Unlock()
	return func() {
		if strings.Contains(prompt(), "Turn your head to your left") {
			m.mu.Lock()
			m.desc = after
			m.mu.Unlock()
		}
	}
}

// TestLoginChallengeLookalikeSwap (issue 10): bob, enrolled, settles in
// front of the camera; ann, enrolled and within the challenge's
// same-person limit (0.60) of bob, does the steps and is decided on. The
// challenge alone passes; the descriptor from before it is farther than
// liveness.BeforeUserDistance from ann's templates and nearer bob's, so
// the login is a failed liveness check,
// recorded with that reason and no name, and nobody is named on screen.
func TestLoginChallengeLookalikeSwap(t *testing.T) {
	cam := genuineCamera(t, 160)
	h := newVideoHarness(t, cam, Options{}, withChallenge(live.TurnLeft, live.TurnRight))
	m := h.u.det.engine.(*videoModels)
	ann := m.desc
	bob := lookalike(t, ann, 0.47, 0.58, idol(t, loadIdols(t), "Elkie (CLC)")[:3])
	h.dir.add("bob", bob)
	clickLogin(h)
	cam.play(h, "the refusal", loginDone(h), swapAtFirstStep(m, bob, ann, func() string { return h.u.login.prompt.Text }))
	l := h.u.login
	if l.result.Text != "Liveness check failed" || !strings.Contains(l.message.Text, live.ErrNotSamePerson.Error()) {
		t.Fatalf("result %q, message %q", l.result.Text, l.message.Text)
	}
	for _, text := range []string{l.result.Text, l.message.Text} {
		if strings.Contains(text, "ann") || strings.Contains(text, "bob") {
			t.Errorf("%q names a user", text)
		}
	}
	ls := h.dir.loginLog()
	if want := "liveness failed: " + live.ErrNotSamePerson.Error(); len(ls) != 1 || ls[0].success || ls[0].user != "" || ls[0].reason != want ||
		!math.IsInf(float64(ls[0].distance), 1) {
		t.Fatalf("audit log %+v: want one failure %q, nobody named", ls, want)
	}
	if !strings.Contains(h.log.String(), "the face before the check is ") {
		t.Errorf("log lacks why:\n%s", h.log.String())
	}
}

// farFrom is the first reference descriptor of idols.json at least least
// away from d.
func farFrom(t *testing.T, d recognition.Descriptor, least float32) recognition.Descriptor {
	t.Helper()
	for _, i := range sharedtd.Idols(t) {
		if recognition.Distance(&i.Descriptor, &d) >= least {
			return i.Descriptor
		}
	}
	t.Fatalf("no descriptor %.2f from elkie's", least)
	return recognition.Descriptor{}
}

// checkDescribedTracked: the frames were described (the challenge's
// before/after descriptors and the decision's) — the decision did not
// come from frames before the click.
func checkDescribedTracked(t *testing.T, h *harness) {
	t.Helper()
	m := h.u.det
	if n := m.described.Load(); n < 3+2 {
		t.Errorf("%d descriptors: want the challenge's two and the decision's three", n)
	}
}

// TestLoginRefusesStillPhoto: a photo held still in front of the camera
// (d12's first frame, unchanged) is refused with the liveness reason in
// plain words (the picture does not move); the audit log records a refusal with that reason and no
// distance, and the on-login action never runs.
func TestLoginRefusesStillPhoto(t *testing.T) {
	cam := photoCamera(t, 400)
	h := newVideoHarness(t, cam, Options{Station: "hall"}, withChallenge(live.TurnLeft, live.Blink))
	csvPath := filepath.Join(t.TempDir(), "checkins.csv")
	h.u.onLogin.set(newRunner(t, 10*time.Second, appendCheckin(t), csvPath))
	clickLogin(h)
	cam.play(h, "the refusal", loginDone(h), nil)
	l := h.u.login
	if l.result.Text != "Liveness check failed" {
		t.Fatalf("result %q, message %q", l.result.Text, l.message.Text)
	}
	ls := h.dir.loginLog()
	if len(ls) != 1 || ls[0].success || !math.IsInf(float64(ls[0].distance), 1) {
		t.Fatalf("audit log %+v: want one failure without a distance", ls)
	}
	// The tracker's landmarks of a still picture are not bit-identical
	// from frame to frame, but its pixels are: the same picture handed
	// again is refused as one that does not move.
	want := "liveness refused: " + live.ErrNoMotion.Error()
	if ls[0].reason != want {
		t.Errorf("audit reason %q, want %q", ls[0].reason, want)
	}
	if !strings.Contains(l.message.Text, live.ErrNoMotion.Error()) {
		t.Errorf("message %q does not say why", l.message.Text)
	}
	h.u.stop() // waits for every goroutine, a stray action included
	if _, err := os.Stat(csvPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the on-login action ran for a refused photo (%v)", err)
	}
	if strings.Contains(h.log.String(), "on-login action") {
		t.Errorf("log:\n%s", h.log.String())
	}
}

// TestLoginWithoutChallenge: with the setting off the login decides as
// before — from the frames after the click, liveness not checked — so the
// still photo is welcomed: what the setting's help warns of.
func TestLoginWithoutChallenge(t *testing.T) {
	cam := photoCamera(t, 100)
	h := newVideoHarness(t, cam, Options{})
	if h.u.liveness.on.Load() {
		t.Fatal("the harness turns the check off")
	}
	clickLogin(h)
	cam.play(h, "the decision", loginDone(h), nil)
	if got := h.u.login.result.Text; got != "Welcome, ann" {
		t.Fatalf("result %q, message %q", got, h.u.login.message.Text)
	}
	if h.u.login.prompt.Visible() {
		t.Error("a challenge prompt with the check off")
	}
	if !strings.Contains(h.log.String(), `liveness="not checked"`) {
		t.Errorf("log:\n%s", h.log.String())
	}
	if ls := h.dir.loginLog(); len(ls) != 1 || !ls[0].success || ls[0].check != "liveness not checked" {
		t.Errorf("audit log %+v: want the success, liveness not checked", ls)
	}
}

// TestLivenessSetting: the check is on unless turned off; the check box
// applies at once and is kept for the next start.
func TestLivenessSetting(t *testing.T) {
	a := test.NewTempApp(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := newLivenessSetting(a.Preferences(), false, log)
	if !s.on.Load() || !s.check.Checked {
		t.Fatal("liveness check off by default")
	}
	test.Tap(s.check)
	if s.on.Load() || a.Preferences().BoolWithFallback(PrefLiveness, true) {
		t.Fatalf("unchecked: in force %v, saved %v", s.on.Load(), a.Preferences().Bool(PrefLiveness))
	}
	if s2 := newLivenessSetting(a.Preferences(), false, log); s2.on.Load() || s2.check.Checked {
		t.Fatal("turned off, then on again at the next start")
	}
	test.Tap(s.check)
	if s3 := newLivenessSetting(a.Preferences(), false, log); !s3.on.Load() {
		t.Fatal("turned on again, off at the next start")
	}
	// --liveness=false: off for this run, the saved setting untouched.
	if s4 := newLivenessSetting(a.Preferences(), true, log); s4.on.Load() || s4.check.Checked || !s4.check.Disabled() {
		t.Fatal("--liveness=false left the check on or editable")
	}
	if !a.Preferences().BoolWithFallback(PrefLiveness, true) {
		t.Fatal("--liveness=false changed the saved setting")
	}
}

// TestKioskChallenge: the kiosk challenges a steady face before deciding:
// the genuine person is welcomed; a still photo is refused with the
// liveness reason on screen (the picture does not move), recorded as a failure, and counts towards
// the lockout (MaxFailures 1: the first failure locks the kiosk).
func TestKioskChallenge(t *testing.T) {
	t.Run("genuine", func(t *testing.T) {
		cam := genuineCamera(t, 183)
		kh := newVideoKiosk(t, cam, KioskOptions{MaxFailures: 1})
		var prompts []string
		cam.play(kh.harness, "the welcome", kh.resultShown, func() {
			if p := kh.k.prompt.Text; kh.k.progress.Visible() && !slices.Contains(prompts, p) {
				prompts = append(prompts, p)
			}
		})
		if kh.k.resultTitle.Text != "Welcome, elkie" {
			t.Fatalf("result %q %q; prompts %q", kh.k.resultTitle.Text, kh.k.resultDetail.Text, prompts)
		}
		if !slices.Contains(prompts, "← Turn your head to your left") || !slices.Contains(prompts, "Turn your head to your right →") {
			t.Errorf("prompts %q", prompts)
		}
		if ls := kh.logins(); len(ls) != 1 || !ls[0].success || ls[0].user != "elkie" || ls[0].check != "liveness passed: left,right" {
			t.Errorf("audit log %+v", ls)
		}
	})
	t.Run("lookalike swap", func(t *testing.T) {
		// Issue 10: bob settles, elkie (within 0.60 of him) does the
		// steps: a failed challenge, counted toward the lockout.
		cam := genuineCamera(t, 183)
		kh := newVideoKiosk(t, cam, KioskOptions{MaxFailures: 1})
		m := kh.u.det.engine.(*videoModels)
		elkie := m.desc
		bob := lookalike(t, elkie, 0.47, 0.58, idol(t, loadIdols(t), "Elkie (CLC)")[:3])
		kh.dir.add("bob", bob)
		cam.play(kh.harness, "the lockout", kh.resultShown, swapAtFirstStep(m, bob, elkie, func() string { return kh.k.prompt.Text }))
		if kh.k.resultTitle.Text != "Please wait" {
			t.Fatalf("result %q %q, want the lockout", kh.k.resultTitle.Text, kh.k.resultDetail.Text)
		}
		ls := kh.logins()
		if len(ls) != 1 || ls[0].success || ls[0].user != "" || ls[0].reason != "liveness failed: "+live.ErrNotSamePerson.Error() {
			t.Fatalf("audit log %+v: want the failed challenge, nobody named", ls)
		}
		if !strings.Contains(kh.log.String(), "kiosk lockout") {
			t.Errorf("log:\n%s", kh.log.String())
		}
	})
	t.Run("lookalike swap shown", func(t *testing.T) {
		cam := genuineCamera(t, 183)
		kh := newVideoKiosk(t, cam, KioskOptions{MaxFailures: 2})
		m := kh.u.det.engine.(*videoModels)
		elkie := m.desc
		bob := lookalike(t, elkie, 0.47, 0.58, idol(t, loadIdols(t), "Elkie (CLC)")[:3])
		kh.dir.add("bob", bob)
		cam.play(kh.harness, "the refusal", kh.resultShown, swapAtFirstStep(m, bob, elkie, func() string { return kh.k.prompt.Text }))
		if kh.k.resultTitle.Text != "Not a live face" || kh.k.resultDetail.Text != "A different face at the end of the check" {
			t.Fatalf("result %q %q", kh.k.resultTitle.Text, kh.k.resultDetail.Text)
		}
	})
	t.Run("photo", func(t *testing.T) {
		cam := photoCamera(t, 400)
		kh := newVideoKiosk(t, cam, KioskOptions{MaxFailures: 1})
		cam.play(kh.harness, "the lockout", kh.resultShown, nil)
		if kh.k.resultTitle.Text != "Please wait" {
			t.Fatalf("result %q %q, want the lockout", kh.k.resultTitle.Text, kh.k.resultDetail.Text)
		}
		ls := kh.logins()
		if len(ls) != 1 || ls[0].success || ls[0].reason != "liveness refused: "+live.ErrNoMotion.Error() {
			t.Fatalf("audit log %+v: want the failed challenge", ls)
		}
		if !strings.Contains(kh.log.String(), "kiosk lockout") {
			t.Errorf("log:\n%s", kh.log.String())
		}
	})
	t.Run("photo shown", func(t *testing.T) {
		cam := photoCamera(t, 400)
		kh := newVideoKiosk(t, cam, KioskOptions{MaxFailures: 2})
		cam.play(kh.harness, "the refusal", kh.resultShown, nil)
		if kh.k.resultTitle.Text != "Not a live face" || kh.k.resultDetail.Text != "The picture does not move — a photo cannot log in" {
			t.Fatalf("result %q %q", kh.k.resultTitle.Text, kh.k.resultDetail.Text)
		}
	})
}

// newVideoKiosk is a kiosk on cam with the video models (every face
// described as elkie) and the check on with the steps left, right.
func newVideoKiosk(t *testing.T, cam *videoCamera, kopts KioskOptions) *kioskHarness {
	t.Helper()
	m := newVideoModels(t, idol(t, loadIdols(t), "Elkie (CLC)")[3])
	kh := newKioskHarnessLive(t, nil, kopts, false, 0, func(d *Deps) {
		d.Camera, d.Tracker, d.Engine = cam, m, m
	}, withChallenge(live.TurnLeft, live.TurnRight))
	cam.show(kh.harness, 1)
	return kh
}
