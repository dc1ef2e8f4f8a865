package app

import (
	"fmt"
	"image"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"facelogin/recognition"
)

// stillText is the note of a registration whose pose steps saw none of
// their poses and whose frames were near-copies of one another.
const stillText = "Not seen: left turn, right turn, look up, smile; near-identical views were stored once. Logins may fail in those poses — re-enrol in Users to add them."

// posedLandmarks are syntheticLandmarks(r) moved into a pose: the nose
// (27–35) shifted across the face for a turn (the person's own left is
// the right of the picture) or up towards the eyes for a look up, the
// mouth (48–67) widened for a smile.
func posedLandmarks(r image.Rectangle, kind poseKind) []image.Point {
	pts := syntheticLandmarks(r)
	w, h := r.Dx(), r.Dy()
	shift := func(first, last int, dx, dy int) {
		for i := first; i <= last; i++ {
			pts[i] = pts[i].Add(image.Pt(dx, dy))
		}
	}
	switch kind {
	case poseLeft:
		shift(27, 35, w/8, 0) // ΔYawRatio ≈ 0.13
	case poseRight:
		shift(27, 35, -w/8, 0)
	case poseUp:
		shift(27, 35, 0, -h/25) // Δpitch ≈ 0.1
	case poseSmile:
		cx := r.Min.X + w/2
		for i := recognition.OuterLips.First; i <= recognition.InnerLips.Last; i++ {
			pts[i].X = cx + (pts[i].X-cx)*6/5 // 20% wider
		}
	}
	return pts
}

// guidedFixture is a person in front of the camera who can take every
// pose: one camera image per step (guidedSteps' order), each with its own
// landmarks and a descriptor of its own (real descriptors of one person,
// different photos), so each template tells which step it came from.
type guidedFixture struct {
	h      *harness
	frames []*image.RGBA            // by step
	descs  []recognition.Descriptor // by step
	steps  *testClock               // the optional steps' time limits
}

func newGuidedFixture(t *testing.T, opts Options) *guidedFixture {
	t.Helper()
	idols := loadIdols(t)
	all := idol(t, idols, "Soobin (WJSN)")
	var descs []recognition.Descriptor
	for _, d := range all {
		// One face for the same-face check, each pose a view of its own
		// (no two near-copies: decision.DuplicateBound).
		distinct := true
		for i := range descs {
			distinct = distinct && recognition.Distance(&d, &descs[i]) > 0.15
		}
		if recognition.Distance(&d, &all[0]) < 0.35 && (len(descs) == 0 || distinct) {
			descs = append(descs, d)
		}
	}
	if len(descs) < 5 {
		t.Fatalf("test data: %d descriptors of Soobin within 0.35 and 0.15 apart, want 5", len(descs))
	}
	f := &guidedFixture{descs: descs[:5], steps: &testClock{}}
	for range 5 {
		f.frames = append(f.frames, loadPhoto(t, "luda.jpg"))
	}
	f.h = newHarness(t, f.frames[0], opts)
	for k, img := range f.frames {
		r := centreFace(img)
		f.h.eng.set(img, recognition.Face{Rect: r, Landmarks: posedLandmarks(r, poseKind(k)), Descriptor: f.descs[k]})
	}
	f.h.u.capture.stepTimeout = f.steps.withTimeout
	return f
}

// waitPrompt waits until the guide asks for step k.
func (f *guidedFixture) waitPrompt(g *guide, k int) {
	f.h.t.Helper()
	want := g.steps[k].prompt
	f.h.waitFor("the prompt "+want, func() bool { return g.prompt.Text == want })
}

// start registers "soobin" and waits for the first pose step's prompt.
func (f *guidedFixture) start() *guide {
	f.h.t.Helper()
	g := f.h.u.register.guide
	test.Type(f.h.u.register.name, "soobin")
	test.Tap(f.h.u.register.button)
	f.waitPrompt(g, 1)
	return g
}

// waitOffPose waits until a frame is refused as not in step k's pose.
func (f *guidedFixture) waitOffPose(g *guide, k int) {
	f.h.t.Helper()
	f.h.waitFor("a frame refused as not in the pose", func() bool {
		return strings.Contains(f.h.u.register.message.Text, g.steps[k].prompt)
	})
}

// stepsOf names, for each template, the step whose descriptor it is (the
// fake engine jitters each descriptor by ≤ 0.05); -1 for none.
func (f *guidedFixture) stepsOf(ts []recognition.Descriptor) []int {
	out := make([]int, len(ts))
	for i := range ts {
		out[i] = -1
		for k := range f.descs {
			if recognition.Distance(&ts[i], &f.descs[k]) < 0.05 {
				out[i] = k
			}
		}
	}
	return out
}

func count(steps []int, k int) int {
	n := 0
	for _, s := range steps {
		if s == k {
			n++
		}
	}
	return n
}

// TestRegisterGuided: a person who takes every pose in turn is registered
// with templates of every pose — chosen to cover all the candidate frames,
// not the first five (which are all "straight") — and no two within
// decision.DuplicateBound (each pose's frames here are one descriptor,
// jittered: one template each).
func TestRegisterGuided(t *testing.T) {
	f := newGuidedFixture(t, Options{})
	h, g := f.h, f.h.u.register.guide
	test.Type(h.u.register.name, "soobin")
	test.Tap(h.u.register.button)
	for k := 1; k < 5; k++ {
		f.waitPrompt(g, k)
		if g.skipBtn.Disabled() {
			t.Errorf("step %d: Skip disabled", k+1)
		}
		h.cam.show(f.frames[k])
	}
	h.registerDone()
	if got, want := h.u.register.message.Text, "Registered “soobin” with 5 face templates. You can log in now."; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	u := h.dir.user("soobin")
	steps := f.stepsOf(u.templates)
	t.Logf("templates by step (0 straight … 4 smile): %v", steps)
	for k := range 5 {
		if count(steps, k) != 1 {
			t.Errorf("no template of step %d (%s); templates by step: %v", k+1, g.steps[k].prompt, steps)
		}
	}
	// How many templates each pose gets is not asserted: the covering
	// choice (decision.SelectCovering) gives a pose templates in proportion
	// to the frames it had, and how many frames a pose gets before the next
	// prompt depends on the machine's speed (2–4 straight of 10 seen). The
	// first-frames rule fails above: its templates are all straight.
	for k := range 5 {
		if !strings.Contains(h.log.String(), fmt.Sprintf("step=%d", k+1)) {
			t.Errorf("step %d not logged", k+1)
		}
	}
	if c := strings.Count(h.log.String(), "completed=true"); c != 5 {
		t.Errorf("%d steps completed, want 5:\n%s", c, h.log.String())
	}
	if h.u.register.progress.Value != h.u.register.progress.Max || !g.skipBtn.Disabled() {
		t.Errorf("after the end: progress %v of %v, Skip disabled %v", h.u.register.progress.Value, h.u.register.progress.Max, g.skipBtn.Disabled())
	}
}

// TestRegisterGuidedSkip: the straight step cannot be skipped; Skip ends
// an optional step, and the steps done still count.
func TestRegisterGuidedSkip(t *testing.T) {
	f := newGuidedFixture(t, Options{})
	h, g := f.h, f.h.u.register.guide
	empty := loadPhoto(t, "luda.jpg") // no face scripted: nobody in view
	h.cam.show(empty)
	test.Type(h.u.register.name, "soobin")
	test.Tap(h.u.register.button)
	h.waitFor("the straight step's refusal", func() bool {
		return h.u.register.message.Text == "No face in view — look at the camera"
	})
	if !g.skipBtn.Disabled() || g.prompt.Text != "Look straight at the camera" {
		t.Errorf("straight step: prompt %q, Skip disabled %v; want it not skippable", g.prompt.Text, g.skipBtn.Disabled())
	}
	h.cam.show(f.frames[poseStraight])
	f.waitPrompt(g, 1) // left: skipped
	h.waitFor("the pose advice", func() bool {
		return h.u.register.message.Text == "Turn your head slightly to your left — or press “Skip this step”"
	})
	test.Tap(g.skipBtn)
	f.waitPrompt(g, 2) // right: done
	h.cam.show(f.frames[poseRight])
	f.waitPrompt(g, 3) // up: skipped
	test.Tap(g.skipBtn)
	f.waitPrompt(g, 4) // smile: done
	h.cam.show(f.frames[poseSmile])
	h.registerDone()
	u := h.dir.user("soobin")
	if u == nil {
		t.Fatalf("not registered: %q", h.u.register.message.Text)
	}
	steps := f.stepsOf(u.templates)
	for _, k := range []int{0, 2, 4} {
		if count(steps, k) != 1 || len(steps) != 3 {
			t.Errorf("templates by step %v: want one each of steps 1, 3 and 5 (their frames are near-copies)", steps)
		}
	}
	// The skipped poses are named.
	if got, want := h.u.register.message.Text, "Registered “soobin” with 3 face templates. You can log in now. Not seen: left turn, look up; near-identical views were stored once. Logins may fail in those poses — re-enrol in Users to add them."; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if c := strings.Count(h.log.String(), "completed=false"); c != 2 {
		t.Errorf("%d steps not completed, want the 2 skipped:\n%s", c, h.log.String())
	}
}

// TestRegisterGuidedNeverTurns: a person who does nothing but look
// straight is registered from the straight frames once the optional
// steps have run out of time; one who never shows a good frame is told
// what is wrong when the capture gives up.
func TestRegisterGuidedNeverTurns(t *testing.T) {
	t.Run("registers after the time limits", func(t *testing.T) {
		f := newGuidedFixture(t, Options{})
		h, g := f.h, f.start()
		f.waitOffPose(g, 1)
		f.steps.expire() // every optional step's time is up
		h.registerDone()
		// Every frame the straight and left steps saw is a candidate, and
		// all are near-copies of one view (within decision.DuplicateBound):
		// one template is stored, not 5–10 copies, and the person is told
		// the poses were not seen.
		steps := f.stepsOf(h.dir.user("soobin").templates)
		if got, want := h.u.register.message.Text, "Registered “soobin” with 1 face template. You can log in now. "+stillText; got != want {
			t.Fatalf("message %q, want %q", got, want)
		}
		if len(steps) != 1 || steps[0] != 0 {
			t.Errorf("templates by step %v, want one straight frame", steps)
		}
		if !strings.Contains(h.log.String(), "msg=\"registration templates\" kept=1") {
			t.Errorf("the templates kept are not logged:\n%s", h.log.String())
		}
		// The head never moved: after the first pose step's limit the
		// rest are left out, and the person is told why.
		if n := strings.Count(h.log.String(), "msg=\"registration step\""); n != 2 {
			t.Errorf("%d steps run, want the straight one and one pose step:\n%s", n, h.log.String())
		}
		if g.prompt.Text != stillNote() || !g.finishBtn.Disabled() {
			t.Errorf("prompt %q, Finish disabled %v", g.prompt.Text, g.finishBtn.Disabled())
		}
	})
	t.Run("told what to do", func(t *testing.T) {
		f := newGuidedFixture(t, Options{})
		h := f.h
		h.cam.show(loadPhoto(t, "luda.jpg")) // nobody in view
		test.Type(h.u.register.name, "soobin")
		test.Tap(h.u.register.button)
		h.waitFor("the refusal", func() bool { return h.u.register.message.Text == "No face in view — look at the camera" })
		h.clock.expire()
		h.registerDone()
		if got, want := h.u.register.message.Text, "Gave up: No face in view — look at the camera"; got != want {
			t.Errorf("message %q, want %q", got, want)
		}
		if h.dir.user("soobin") != nil {
			t.Error("registered without a straight frame")
		}
	})
}

// TestRegisterGuidedFinish: Finish ends the pose steps at once — the
// steps after it are never asked for — and the frames taken so far are
// registered; a pose step that runs out of time while the person is moving
// (trying the pose) does not end the registration.
func TestRegisterGuidedFinish(t *testing.T) {
	t.Run("Finish", func(t *testing.T) {
		f := newGuidedFixture(t, Options{})
		h, g := f.h, f.start()
		if g.finishBtn.Disabled() {
			t.Error("Finish disabled during a pose step")
		}
		h.cam.show(f.frames[poseLeft])
		f.waitPrompt(g, 2)
		test.Tap(g.finishBtn)
		h.registerDone()
		// Templates of the straight and left frames taken before Finish, and
		// of nothing else. How many of each is not asserted: the camera shows
		// a pose for as many frames as the machine's speed allows (under
		// -race more than 10 candidates, so the covering choice picks 4–6
		// straight of 10).
		steps := f.stepsOf(h.dir.user("soobin").templates)
		if count(steps, int(poseStraight)) < 1 || count(steps, int(poseLeft)) < 1 || len(steps) > guidedTemplates ||
			count(steps, int(poseStraight))+count(steps, int(poseLeft)) != len(steps) {
			t.Errorf("templates by step %v, want straight and left frames only, both", steps)
		}
		if n := strings.Count(h.log.String(), "msg=\"registration step\""); n != 3 || strings.Contains(h.log.String(), g.steps[3].prompt) {
			t.Errorf("%d steps run, want 3 (the one Finish ended the last):\n%s", n, h.log.String())
		}
		if !g.finishBtn.Disabled() || g.prompt.Text != "" {
			t.Errorf("after the end: Finish disabled %v, prompt %q", g.finishBtn.Disabled(), g.prompt.Text)
		}
	})
	t.Run("moving is not still", func(t *testing.T) {
		f := newGuidedFixture(t, Options{})
		h, g := f.h, f.start()
		h.cam.show(f.frames[poseLeft])
		f.waitPrompt(g, 2)
		f.waitOffPose(g, 2) // turning left during the right step: moving, never in its pose
		f.steps.expire()
		h.registerDone()
		if n := strings.Count(h.log.String(), "msg=\"registration step\""); n != 5 || g.prompt.Text == stillNote() {
			t.Errorf("%d steps run (want 5), prompt %q:\n%s", n, g.prompt.Text, h.log.String())
		}
	})
}

// TestRegisterGuidedOffPoseCandidates: a frame that passes the quality
// gate is a candidate template whatever the step asks for. A person who
// looks up while the right turn is asked for completes no step with it,
// but is registered with templates of the look up beside the straight
// ones.
func TestRegisterGuidedOffPoseCandidates(t *testing.T) {
	f := newGuidedFixture(t, Options{})
	h, g := f.h, f.start()
	test.Tap(g.skipBtn) // left
	f.waitPrompt(g, 2)
	h.cam.show(f.frames[poseUp])
	// Two look-up frames described: the first has been taken.
	h.waitFor("look-up frames described", func() bool {
		n := 0
		for _, c := range h.eng.describeCalls() {
			if c.frame == f.frames[poseUp] {
				n++
			}
		}
		return n >= 2
	})
	test.Tap(g.finishBtn)
	h.registerDone()
	steps := f.stepsOf(h.dir.user("soobin").templates)
	if count(steps, int(poseStraight)) == 0 || count(steps, int(poseUp)) == 0 ||
		count(steps, int(poseStraight))+count(steps, int(poseUp)) != len(steps) {
		t.Errorf("templates by step %v, want straight and up frames", steps)
	}
	if c := strings.Count(h.log.String(), "completed=false"); c != 2 {
		t.Errorf("%d steps not completed, want the skipped left and the right one Finish ended:\n%s", c, h.log.String())
	}
}

// TestRegisterGuidedQualityGate: during a pose step the quality gate
// still refuses a bad frame in the right pose (blurred), and says why.
func TestRegisterGuidedQualityGate(t *testing.T) {
	f := newGuidedFixture(t, Options{})
	h, g := f.h, f.h.u.register.guide
	bad := blurred(f.frames[poseLeft])
	r := centreFace(bad)
	var other recognition.Descriptor
	for i := range other {
		other[i] = f.descs[poseLeft][i] + 0.01 // within the same-face check, apart from every step's
	}
	h.eng.set(bad, recognition.Face{Rect: r, Landmarks: posedLandmarks(r, poseLeft), Descriptor: other})
	test.Type(h.u.register.name, "soobin")
	test.Tap(h.u.register.button)
	f.waitPrompt(g, 1)
	h.cam.show(bad)
	h.waitFor("the gate's refusal", func() bool { return h.u.register.message.Text == "Hold still" })
	f.steps.expire()
	h.registerDone()
	u := h.dir.user("soobin")
	if u == nil {
		t.Fatalf("not registered: %q", h.u.register.message.Text)
	}
	for i, s := range f.stepsOf(u.templates) {
		if s != 0 {
			t.Errorf("template %d is not a straight frame (step %d): a blurred frame was kept", i, s+1)
		}
	}
}

// TestUsersReEnrolGuided: re-enrolment from the Users screen is the same
// guided capture.
func TestUsersReEnrolGuided(t *testing.T) {
	f := newGuidedFixture(t, Options{})
	h := f.h
	h.dir.add("soobin", f.descs[0])
	h.u.tabs.SelectIndex(2)
	h.waitFor("the users list", func() bool { return len(h.u.users.rows) == 1 })
	h.selectUser("soobin")
	test.Tap(h.u.users.reenrol)
	g := h.u.users.guide
	for k := 1; k < 5; k++ {
		f.waitPrompt(g, k)
		h.cam.show(f.frames[k])
	}
	h.waitFor("the re-enrolment", func() bool { return !h.u.capture.busy })
	if got, want := h.u.users.message.Text, "Re-enrolled “soobin” with 5 new face templates"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	steps := f.stepsOf(h.dir.user("soobin").templates)
	for k := range 5 {
		if count(steps, k) == 0 {
			t.Errorf("no template of step %d: %v", k+1, steps)
		}
	}
}
