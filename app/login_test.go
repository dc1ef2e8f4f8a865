package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
	"facelogin/recognition/decision"
	live "facelogin/recognition/liveness"
)

// loginFixture enrols elkie and sejeong (three reference descriptors each)
// and picks probes from the reference set: elkie's nearest unenrolled
// descriptor (a match) and luda's (nobody enrolled).
type loginFixture struct {
	h           *harness
	elkieProbe  recognition.Descriptor
	elkieDist   float32
	elkieFrame  *image.RGBA
	ludaFrame   *image.RGBA
	luda        recognition.Descriptor
	ludaNearest float32
}

func newLoginFixture(t *testing.T, opts Options) *loginFixture {
	idols := loadIdols(t)
	elkie := idol(t, idols, "Elkie (CLC)")
	luda := idol(t, idols, "Luda (WJSN)")[0]
	f := &loginFixture{elkieFrame: loadPhoto(t, "elkie.jpg"), ludaFrame: loadPhoto(t, "luda.jpg"), luda: luda}
	f.h = newHarness(t, f.elkieFrame, opts)
	f.h.dir.add("elkie", elkie[:3]...)
	f.h.dir.add("sejeong", idol(t, idols, "Sejeong (Gugudan)")[:3]...)
	f.elkieDist = 10
	for _, d := range elkie[3:] {
		if m := f.h.dir.Identify(&d); m.User == "elkie" && m.Distance < f.elkieDist {
			f.elkieProbe, f.elkieDist = d, m.Distance
		}
	}
	if f.elkieDist > DefaultThreshold-0.08 {
		t.Fatalf("test data: elkie's best probe is %.3f from her templates", f.elkieDist)
	}
	f.ludaNearest = f.h.dir.Identify(&luda).Distance
	if f.ludaNearest < DefaultThreshold+0.05 {
		t.Fatalf("test data: luda is %.3f from an enrolled user", f.ludaNearest)
	}
	t.Logf("elkie probe %.3f from her templates; luda %.3f from the nearest user", f.elkieDist, f.ludaNearest)
	f.h.eng.script(f.elkieFrame, f.elkieProbe)
	f.h.eng.script(f.ludaFrame, luda)
	return f
}

func (h *harness) login(user string) {
	h.t.Helper()
	h.u.login.user.SetText(user)
	test.Tap(h.u.login.button)
	h.waitFor("the login decision", func() bool { return !h.u.capture.busy })
}

func TestLoginIdentifies(t *testing.T) {
	f := newLoginFixture(t, Options{})
	h := f.h
	h.login("")
	l := h.u.login
	if l.result.Text != "Welcome, elkie" || l.result.Importance != widget.SuccessImportance {
		t.Fatalf("result %q (%v), message %q", l.result.Text, l.result.Importance, l.message.Text)
	}
	// The gauge shows elkie's own threshold: sejeong, a lookalike,
	// tightens it below the base.
	th, _ := h.dir.Decide("", []recognition.Descriptor{f.elkieProbe}, DefaultThreshold)
	if !l.gauge.has || l.gauge.threshold != th.Threshold.Value || l.gauge.distance > l.gauge.threshold {
		t.Errorf("gauge %+v, elkie's threshold %.3f", l.gauge, th.Threshold.Value)
	}
	if d := l.gauge.distance - f.elkieDist; d < -0.05 || d > 0.05 {
		t.Errorf("gauge distance %.3f, the probe is %.3f from elkie", l.gauge.distance, f.elkieDist)
	}
	if !strings.Contains(l.gauge.Text(), fmt.Sprintf("threshold %.3f", th.Threshold.Value)) {
		t.Errorf("gauge text %q", l.gauge.Text())
	}
	logins := h.dir.loginLog()
	if len(logins) != 1 || logins[0].user != "elkie" || !logins[0].success {
		t.Errorf("recorded logins %+v", logins)
	}
	// Adaptive templates are on, but the login has no liveness check yet:
	// nothing is learnt from it.
	if !h.u.adapt.Load() || len(h.dir.adapted) != 0 {
		t.Errorf("adaptive on %v; adapted %v without liveness", h.u.adapt.Load(), h.dir.adapted)
	}
	if !strings.Contains(h.log.String(), "msg=login mode=identify success=true user=elkie") {
		t.Errorf("log lacks the decision:\n%s", h.log.String())
	}
}

func TestLoginNotRecognised(t *testing.T) {
	f := newLoginFixture(t, Options{})
	h := f.h
	h.cam.show(f.ludaFrame)
	h.login("")
	l := h.u.login
	if l.result.Text != "Not recognised" || l.result.Importance != widget.DangerImportance {
		t.Fatalf("result %q, message %q", l.result.Text, l.message.Text)
	}
	if l.message.Text != "Register first, or move into better light and try again." {
		t.Errorf("message %q", l.message.Text)
	}
	checkNamesNobody(t, h, 1)
}

// TestLoginDisabledLikeStranger: the face of a disabled user is refused
// with the very words a stranger's face gets — "disabled" would tell
// whoever stands at the camera that the face is enrolled — while the audit
// log tells an administrator why, naming nobody.
func TestLoginDisabledLikeStranger(t *testing.T) {
	f := newLoginFixture(t, Options{})
	h := f.h
	h.dir.mu.Lock()
	h.dir.disabled = map[string]bool{"elkie": true}
	h.dir.mu.Unlock()
	h.cam.show(f.ludaFrame)
	h.login("")
	l := h.u.login
	stranger := []string{l.result.Text, l.message.Text}
	h.cam.show(f.elkieFrame)
	h.login("")
	if got := []string{l.result.Text, l.message.Text}; got[0] != stranger[0] || got[1] != stranger[1] {
		t.Errorf("disabled user's face: %q, a stranger's: %q", got, stranger)
	}
	for _, text := range []string{l.result.Text, l.message.Text} {
		if strings.Contains(strings.ToLower(text), "disabled") {
			t.Errorf("%q tells the person at the camera the account is disabled", text)
		}
	}
	checkNamesNobody(t, h, 2)
	if logins := h.dir.loginLog(); len(logins) != 2 || logins[0].reason != "" || logins[1].reason != "user disabled" {
		t.Errorf("audit log %+v, want the stranger's refusal then \"user disabled\"", logins)
	}
}

// checkNamesNobody: after a refused identification, neither the login
// screen (result, message, gauge), the overlay, the log at the default
// level nor the audit log's newest n entries name an enrolled user or say
// how close the face came to one.
func checkNamesNobody(t *testing.T, h *harness, n int) {
	t.Helper()
	l := h.u.login
	names := []string{"elkie", "sejeong"}
	shown := []string{l.result.Text, l.message.Text, l.gauge.Text(), h.log.String()}
	h.waitFor("a detection of the face", func() bool { return len(h.u.det.latest().labels) > 0 })
	for _, lab := range h.u.det.latest().labels {
		shown = append(shown, lab.Text)
		if lab.Known {
			t.Errorf("overlay labels a refused face %q", lab.Text)
		}
	}
	for _, text := range shown {
		for _, name := range names {
			if strings.Contains(strings.ToLower(text), name) {
				t.Errorf("%q names %s", text, name)
			}
		}
	}
	if l.gauge.has {
		t.Errorf("the gauge shows %q for a refused identification", l.gauge.Text())
	}
	logins := h.dir.loginLog()
	for _, r := range logins[max(0, len(logins)-n):] {
		if r.user != "" || r.success {
			t.Errorf("recorded login %+v, want an anonymous failure", r)
		}
	}
}

// TestLoginLookalikes: a face as near to elkie as to sejeong is refused
// with the margin rule's sentence, naming neither; typing the name lets
// the right one in.
func TestLoginLookalikes(t *testing.T) {
	f := newLoginFixture(t, Options{})
	h := f.h
	mid, best := h.dir.midpoint("elkie", "sejeong")
	frame := loadPhoto(t, "joy.jpg")
	h.eng.script(frame, mid)
	h.cam.show(frame)
	dec, _ := h.dir.Decide("", []recognition.Descriptor{mid}, DefaultThreshold)
	if dec.Reason != decision.Ambiguous {
		t.Fatalf("test data: elkie and sejeong are %.3f apart; halfway: %v at %.3f (threshold %.3f)", best, dec.Reason, dec.Distance, dec.Threshold.Value)
	}
	h.login("")
	if got := h.u.login.message.Text; got != "You look like more than one registered person — type your name to log in." {
		t.Errorf("message %q", got)
	}
	checkNamesNobody(t, h, 1)
	h.login("elkie")
	if got := h.u.login.result.Text; got != "Welcome, elkie" {
		t.Errorf("typing elkie: %q (%s)", got, h.u.login.message.Text)
	}
}

func TestLoginWithNobodyEnrolled(t *testing.T) {
	frame := loadPhoto(t, "luda.jpg")
	h := newHarness(t, frame, Options{})
	h.eng.script(frame, idol(t, loadIdols(t), "Luda (WJSN)")[0])
	h.login("")
	if h.u.login.result.Text != "Not recognised" || h.u.login.message.Text != "Nobody is registered yet." {
		t.Errorf("result %q, message %q", h.u.login.result.Text, h.u.login.message.Text)
	}
}

// TestLoginNoFace: frames without a face are refused with advice; when the
// capture's time is up, the last advice stays and nothing is recorded.
func TestLoginNoFace(t *testing.T) {
	h := newHarness(t, loadPhoto(t, "joy.jpg"), Options{})
	test.Tap(h.u.login.button)
	h.waitFor("the advice", func() bool { return h.u.login.message.Text == "No face in view — look at the camera" })
	h.clock.expire()
	h.waitFor("the end of the login", func() bool { return !h.u.capture.busy })
	if got := h.u.login.message.Text; got != "Gave up: No face in view — look at the camera" {
		t.Errorf("message %q", got)
	}
	if len(h.dir.loginLog()) != 0 {
		t.Error("a login was recorded without a face")
	}
}

func TestLoginVerifiesNamedUser(t *testing.T) {
	f := newLoginFixture(t, Options{})
	h := f.h
	for _, tc := range []struct {
		user, result, message string
		recorded              bool
	}{
		{"elkie", "Welcome, elkie", "", true},
		{"sejeong", "Not recognised", "This face does not match “sejeong”.", true},
		{"zed", "Not recognised", "There is no user called “zed”", false},
	} {
		t.Run(tc.user, func(t *testing.T) {
			before := len(h.dir.loginLog())
			h.login(tc.user)
			l := h.u.login
			if l.result.Text != tc.result {
				t.Errorf("result %q, want %q (message %q)", l.result.Text, tc.result, l.message.Text)
			}
			if tc.message != "" && l.message.Text != tc.message {
				t.Errorf("message %q, want %q", l.message.Text, tc.message)
			}
			logins := h.dir.loginLog()[before:]
			if !tc.recorded {
				if len(logins) != 0 {
					t.Errorf("recorded %+v", logins)
				}
				return
			}
			if len(logins) != 1 || logins[0].user != tc.user || logins[0].success != (tc.result != "Not recognised") {
				t.Errorf("recorded %+v", logins)
			}
		})
	}
}

// TestLoginFollowsThresholdSetting: the slider sets the decision policy's
// base threshold. With elkie alone, dlib's customary 0.6 lets luda in as
// elkie — the setting is what stands between a stranger and an account;
// with sejeong, a lookalike of elkie, enrolled too, elkie's own threshold
// stays tight whatever the slider says.
func TestLoginFollowsThresholdSetting(t *testing.T) {
	f := newLoginFixture(t, Options{})
	h := f.h
	h.cam.show(f.ludaFrame)
	h.u.settings.threshold.SetValue(0.60)
	test.Tap(h.u.settings.save)
	h.login("")
	if got := h.u.login.result.Text; got != "Not recognised" {
		t.Errorf("result %q at base 0.60 with a lookalike of elkie enrolled", got)
	}
	if err := h.dir.Delete(context.Background(), "sejeong"); err != nil {
		t.Fatal(err)
	}
	luda, _ := h.dir.Decide("", []recognition.Descriptor{f.luda}, 0.60)
	if luda.Candidate != "elkie" || luda.Distance > 0.6 {
		t.Fatalf("test data: luda is %.3f from %s", luda.Distance, luda.Candidate)
	}
	h.login("")
	if got := h.u.login.result.Text; got != "Welcome, elkie" {
		t.Errorf("result %q at base 0.60 for a stranger %.3f away", got, luda.Distance)
	}
	h.u.settings.threshold.SetValue(float64(DefaultThreshold))
	test.Tap(h.u.settings.save)
	h.login("")
	if got := h.u.login.result.Text; got != "Not recognised" {
		t.Errorf("result %q at base %.3f", got, DefaultThreshold)
	}
}

// TestLoginDescribesFramesItDecidesOn: a login (1:N and 1:1) asks the
// engine for the descriptor of the tracked face it decides about, each
// time of the frame that face was tracked in, from frames after the click —
// with a face that moves from frame to frame, a descriptor of the face as
// found in another frame would be asked at the wrong place.
func TestLoginDescribesFramesItDecidesOn(t *testing.T) {
	for _, claimed := range []string{"", "elkie"} {
		t.Run("claimed="+claimed, func(t *testing.T) {
			h, cam, eng := movingLogin(t, nil)
			clicked := h.step(cam)
			h.u.login.user.SetText(claimed)
			test.Tap(h.u.login.button)
			seen := map[image.Image]bool{}
			for i, c := range h.finishLogin(cam, eng) {
				k := int(c.frame.(*image.RGBA).Pix[0])
				if k < clicked || seen[c.frame] || c.face.ID != 7 {
					t.Errorf("descriptor %d: frame %d (clicked at %d), track %d, frame asked before %v", i, k, clicked, c.face.ID, seen[c.frame])
				}
				seen[c.frame] = true
			}
			checkDescribedOwnFrames(t, eng)
		})
	}
}

// movingLogin is a window on movingFace (elkie, track 7) with elkie and
// sejeong enrolled, after setup (if any) adjusted its shell: its first
// frame on screen and labelled (the labeler's one descriptor; its clock
// never refreshes the label).
func movingLogin(t *testing.T, setup func(s *shell)) (*harness, *stepCamera, *fakeEngine) {
	t.Helper()
	idols := loadIdols(t)
	elkie := idol(t, idols, "Elkie (CLC)")
	eng := newFakeEngine()
	cam := movingFace(t, eng, "elkie.jpg", elkie[3], 200)
	dir := newFakeDirectory()
	dir.add("elkie", elkie[:3]...)
	dir.add("sejeong", idol(t, idols, "Sejeong (Gugudan)")[:3]...)
	h := newHarnessCam(t, test.NewTempApp(t), cam, eng, dir, Options{}, func(s *shell) {
		s.det.labels.now = func() time.Time { return time.Unix(1e9, 0) }
		if setup != nil {
			setup(s)
		}
	})
	h.step(cam)
	h.waitFor("the label's descriptor", func() bool { return len(eng.describeCalls()) == 1 })
	return h, cam, eng
}

// finishLogin shows new frames until the login under way ends, checks
// that it welcomed elkie from three descriptors, and returns the calls for
// them.
func (h *harness) finishLogin(cam *stepCamera, eng *fakeEngine) []describeCall {
	h.t.Helper()
	for h.u.capture.busy {
		if int(cam.at.Load()) == len(cam.frames) {
			h.t.Fatal("the login took every frame of the video")
		}
		h.step(cam)
	}
	if got := h.u.login.result.Text; got != "Welcome, elkie" {
		h.t.Fatalf("result %q, message %q", got, h.u.login.message.Text)
	}
	calls := eng.describeCalls()[1:]
	if len(calls) != 3 {
		h.t.Fatalf("the login asked for %d descriptors, want 3 (one per frame it decides on)", len(calls))
	}
	return calls
}

// TestDeadTrackerShowsError: a tracker that fails on every frame (its
// model unreadable, or closed) leaves the picture running, shows the
// failure under it, logs it once, and a login explains it instead of
// deciding.
func TestDeadTrackerShowsError(t *testing.T) {
	frame := loadPhoto(t, "elkie.jpg")
	eng := newFakeEngine()
	eng.script(frame, idol(t, loadIdols(t), "Elkie (CLC)")[3])
	eng.trackErr = errors.New("recognition engine closed")
	h := newHarnessOn(t, test.NewTempApp(t), frame, eng, newFakeDirectory(), Options{})
	h.waitFor("the failure under the picture", func() bool {
		return h.u.preview.alert.Visible() && strings.HasPrefix(h.u.preview.alert.Text, "Face detection is not working")
	})
	shown := h.u.Stats().Displayed
	h.waitFor("frames on screen", func() bool { return h.u.Stats().Displayed >= shown+5 })
	test.Tap(h.u.login.button)
	h.waitFor("the advice", func() bool { return h.u.login.message.Text == "Face detection failed — see the log" })
	h.clock.expire()
	h.waitFor("the end of the login", func() bool { return !h.u.capture.busy })
	if got := h.u.login.message.Text; got != "Gave up: Face detection failed — see the log" {
		t.Errorf("message %q", got)
	}
	if n := strings.Count(h.log.String(), `msg="face tracking failed"`); n != 1 {
		t.Errorf("the failure logged %d times, want once:\n%s", n, h.log.String())
	}
	if len(h.dir.loginLog()) != 0 || len(eng.describeCalls()) != 0 {
		t.Error("a login was decided, or descriptors asked for, without a tracker")
	}
}

// TestDeadEngineShowsError: an engine that fails every descriptor leaves
// the landmarks running and the faces "unknown", shows the failure under
// the picture, logs it once; login and registration explain it and store
// nothing.
func TestDeadEngineShowsError(t *testing.T) {
	idols := loadIdols(t)
	elkie := idol(t, idols, "Elkie (CLC)")
	frame := loadPhoto(t, "elkie.jpg")
	start := func(t *testing.T) *harness {
		eng := newFakeEngine()
		eng.script(frame, elkie[3])
		eng.descErr = errors.New("recognition engine closed")
		dir := newFakeDirectory()
		dir.add("elkie", elkie[:3]...)
		return newHarnessOn(t, test.NewTempApp(t), frame, eng, dir, Options{})
	}
	t.Run("preview", func(t *testing.T) {
		h := start(t)
		h.waitFor("the failure under the picture", func() bool {
			return h.u.preview.alert.Visible() && strings.HasPrefix(h.u.preview.alert.Text, "Face recognition is not working")
		})
		s := h.u.Stats()
		h.waitFor("landmarks on new frames", func() bool { return h.u.Stats().Overlaid >= s.Overlaid+5 })
		if l := h.u.det.latest().labels; len(l) != 1 || l[0] != unknownLabel() {
			t.Errorf("labels %+v, want unknown", l)
		}
		if n := strings.Count(h.log.String(), `msg="face descriptor failed"`); n != 1 {
			t.Errorf("the failure logged %d times, want once:\n%s", n, h.log.String())
		}
	})
	t.Run("login", func(t *testing.T) {
		h := start(t)
		test.Tap(h.u.login.button)
		h.waitFor("the advice", func() bool { return h.u.login.message.Text == "Face recognition failed — see the log" })
		h.clock.expire()
		h.waitFor("the end of the login", func() bool { return !h.u.capture.busy })
		if got := h.u.login.message.Text; got != "Gave up: Face recognition failed — see the log" {
			t.Errorf("message %q", got)
		}
		if len(h.dir.loginLog()) != 0 {
			t.Error("a login was recorded without descriptors")
		}
	})
	t.Run("register", func(t *testing.T) {
		h := start(t)
		test.Type(h.u.register.name, "joy")
		test.Tap(h.u.register.button)
		h.waitFor("the advice", func() bool { return h.u.register.message.Text == "Face recognition failed — see the log" })
		h.clock.expire()
		h.registerDone()
		if got := h.u.register.message.Text; got != "Gave up: Face recognition failed — see the log" {
			t.Errorf("message %q", got)
		}
		if h.dir.user("joy") != nil {
			t.Error("a user was stored without descriptors")
		}
	})
}

// TestLoginStartsWithFrameOnScreen: a login decides first about the frame
// on screen when the button is pressed, if that frame is fresh (at most
// freshFor old) — without waiting for the camera's next frame — and
// otherwise only about frames that come after the click: a frame from
// before a camera stalled is never decided on.
func TestLoginStartsWithFrameOnScreen(t *testing.T) {
	for _, tc := range []struct {
		name  string
		age   time.Duration // of the frame on screen at the click
		first int           // the first frame decided on, after the clicked one
	}{
		{"fresh", freshFor / 2, 0},
		{"stale", freshFor + time.Second, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cam *stepCamera
			clicked := 0 // set before the click, read by the login after it
			h, cam, eng := movingLogin(t, func(s *shell) {
				s.capture.now = func() time.Time { return cam.time(clicked).Add(tc.age) }
			})
			clicked = h.step(cam)
			subs := subscribers(h.u.det)
			test.Tap(h.u.login.button)
			// No new frame until the login follows the stream.
			h.waitFor("the login's subscription", func() bool { return subscribers(h.u.det) > subs })
			if tc.first == 1 {
				// The next frame, and no other until the login described it:
				// on a loaded machine the login may take its frame from the
				// stream after the test has shown one more, and the stream
				// hands the newest.
				h.step(cam)
			}
			// No new frame until the login described the first frame it decides on.
			h.waitFor("a descriptor of the first frame", func() bool { return len(eng.describeCalls()) == 2 })
			// The first frame decided on is the clicked one (fresh) or the
			// next (stale); the others come after it (a busy login may
			// skip a frame: the stream hands the newest). Frames are
			// described as they come, overlapping: the calls may start in
			// any order.
			calls := h.finishLogin(cam, eng)
			slices.SortFunc(calls, func(a, b describeCall) int { return cmp.Compare(frameNumber(a.frame), frameNumber(b.frame)) })
			prev := clicked + tc.first - 1
			for i, c := range calls {
				k := frameNumber(c.frame)
				if i == 0 && k != clicked+tc.first || k <= prev {
					t.Errorf("descriptor %d: frame %d, want %s (clicked at %d, its frame %v old)", i, k,
						map[bool]string{true: fmt.Sprint(clicked + tc.first), false: fmt.Sprintf("> %d", prev)}[i == 0], clicked, tc.age)
				}
				prev = k
			}
			checkDescribedOwnFrames(t, eng)
		})
	}
}

// frameNumber is the number a stepCamera frame carries in its first pixel.
func frameNumber(img image.Image) int { return int(img.(*image.RGBA).Pix[0]) }

// subscribers is how many subscriptions det serves.
func subscribers(det *detector) int {
	det.mu.Lock()
	defer det.mu.Unlock()
	return len(det.subs)
}

// TestLoginCameraGone: the camera stops (unplugged: no frames, status
// retrying) while a person is in view. The preview drops the last frame and
// its face boxes instead of showing them as if live, and Log in ends at
// once with "the camera sent no pictures" rather than at the capture's
// deadline (which this test never reaches: its clock does not run out).
func TestLoginCameraGone(t *testing.T) {
	for _, liveness := range []bool{false, true} {
		t.Run(fmt.Sprintf("liveness=%v", liveness), func(t *testing.T) {
			h := newHarness(t, loadPhoto(t, "joy.jpg"), Options{})
			if liveness {
				withChallenge(live.TurnLeft, live.TurnRight)(h.u)
			}
			h.waitFor("a frame on screen", func() bool { return h.u.preview.displayed.Load() > 0 })
			h.cam.show(nil)
			h.cam.setStatus(CameraStatus{Message: "camera unavailable (unplugged) — retrying in 2s"})
			h.waitFor("the retry status", func() bool { return strings.Contains(h.u.preview.status.Text, "retrying") })
			img, ok := h.u.preview.image.Image.(*image.RGBA)
			if !ok || !isBlank(img) {
				t.Error("the last frame (and its boxes) stays on screen after the camera stopped")
			}
			test.Tap(h.u.login.button)
			h.waitFor("the end of the login", func() bool { return !h.u.capture.busy })
			if got, want := h.u.login.message.Text, "The camera sent no pictures — check the camera and try again"; got != want {
				t.Errorf("message %q, want %q", got, want)
			}
			if len(h.dir.loginLog()) != 0 {
				t.Error("a login was recorded without a camera")
			}
		})
	}
}
