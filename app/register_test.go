package app

import (
	"image"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	xdraw "golang.org/x/image/draw"

	"facelogin/recognition"
)

// registerDone waits until the register button is usable again.
func (h *harness) registerDone() {
	h.t.Helper()
	h.waitFor("the registration to end", func() bool { return !h.u.capture.busy })
}

func TestRegisterWithoutName(t *testing.T) {
	h := newHarness(t, loadPhoto(t, "joy.jpg"), Options{})
	test.Type(h.u.register.name, "   ")
	test.Tap(h.u.register.button)
	if got := h.u.register.message.Text; got != "Type a username first" {
		t.Errorf("message %q", got)
	}
	if h.u.capture.busy || h.u.register.button.Disabled() {
		t.Error("the screen stayed busy after refusing an empty name")
	}
}

func TestRegisterTakenName(t *testing.T) {
	idols := loadIdols(t)
	frame := loadPhoto(t, "joy.jpg")
	h := newHarness(t, frame, Options{})
	h.eng.script(frame, idol(t, idols, "Joy (Red Velvet)")[0])
	elkie := idol(t, idols, "Elkie (CLC)")[:2]
	h.dir.add("elkie", elkie...)

	test.Type(h.u.register.name, "Elkie")
	test.Tap(h.u.register.button)
	if !h.u.register.button.Disabled() {
		t.Error("register button still enabled while working")
	}
	h.registerDone()
	if got := h.u.register.message.Text; got != "The name “Elkie” is taken — choose another" {
		t.Errorf("message %q", got)
	}
	if u := h.dir.user("elkie"); len(u.templates) != 2 || u.templates[0] != elkie[0] {
		t.Error("the existing user's templates changed")
	}
	if h.u.register.progress.Value != 0 {
		t.Errorf("progress %v: no frame should have been collected", h.u.register.progress.Value)
	}
}

func TestRegisterInvalidName(t *testing.T) {
	h := newHarness(t, loadPhoto(t, "joy.jpg"), Options{})
	test.Type(h.u.register.name, "joy park")
	test.Tap(h.u.register.button)
	h.registerDone()
	if got := h.u.register.message.Text; !strings.HasPrefix(got, "That name can't be used") {
		t.Errorf("message %q", got)
	}
}

func TestRegisterRejectsBadFrames(t *testing.T) {
	idols := loadIdols(t)
	joy := idol(t, idols, "Joy (Red Velvet)")
	for _, tc := range []struct {
		name   string
		script func(h *harness, frame image.Image)
		advice string
		blur   bool
	}{
		{"no face in view", func(*harness, image.Image) {}, "No face in view — look at the camera", false},
		{"two faces", func(h *harness, frame image.Image) { h.eng.script(frame, joy[0], joy[1]) }, "Only one face please", false},
		{"face too small", func(h *harness, frame image.Image) {
			c := centreFace(frame).Min
			r := image.Rect(c.X, c.Y, c.X+40, c.Y+40)
			h.eng.set(frame, recognition.Face{Rect: r, Landmarks: syntheticLandmarks(r), Descriptor: joy[0]})
		}, "Move closer", false},
		{"face cut off", func(h *harness, frame image.Image) {
			r := image.Rect(-80, 100, 200, 380)
			h.eng.set(frame, recognition.Face{Rect: r, Landmarks: syntheticLandmarks(r), Descriptor: joy[0]})
		}, "Move into the middle of the picture", false},
		{"blurred", func(h *harness, frame image.Image) { h.eng.script(frame, joy[0]) }, "Hold still", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frame := loadPhoto(t, "joy.jpg")
			if tc.blur {
				frame = blurred(frame)
			}
			h := newHarness(t, frame, Options{})
			tc.script(h, frame)
			test.Type(h.u.register.name, "joy")
			test.Tap(h.u.register.button)
			h.waitFor("the rejection", func() bool { return h.u.register.message.Text == tc.advice })
			h.clock.expire()
			h.registerDone()
			if got, want := h.u.register.message.Text, "Gave up: "+tc.advice; got != want {
				t.Errorf("final message %q, want %q", got, want)
			}
			if h.dir.user("joy") != nil {
				t.Error("a user was stored from rejected frames")
			}
			if h.u.register.progress.Value != 0 {
				t.Errorf("progress %v, want 0", h.u.register.progress.Value)
			}
		})
	}
}

func TestRegisterHappyPath(t *testing.T) {
	idols := loadIdols(t)
	luda := idol(t, idols, "Luda (WJSN)")[0]
	frame := loadPhoto(t, "luda.jpg")
	h := newHarness(t, frame, Options{})
	h.eng.script(frame, luda)
	h.dir.add("elkie", idol(t, idols, "Elkie (CLC)")[:3]...)
	h.dir.add("sejeong", idol(t, idols, "Sejeong (Gugudan)")[:3]...)
	if m := h.dir.Identify(&luda); m.Distance <= DefaultThreshold+0.05 {
		t.Fatalf("test data: luda is %.3f from %s, too close for a clean registration", m.Distance, m.User)
	}

	test.Type(h.u.register.name, "luda")
	test.Tap(h.u.register.button)
	h.registerDone()
	// A still photo is a person who never moves: one template (the other
	// frames are near-copies of it), and the poses not seen are named.
	if got, want := h.u.register.message.Text, "Registered “luda” with 1 face template. You can log in now. "+stillText; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	u := h.dir.user("luda")
	if u == nil {
		t.Fatal("luda not in the directory")
	}
	if len(u.templates) != 1 || len(u.quality) != 1 {
		t.Fatalf("%d templates, %d quality scores; want 1 each", len(u.templates), len(u.quality))
	}
	for i := range u.templates {
		if d := recognition.Distance(&u.templates[i], &luda); d > 0.1 {
			t.Errorf("template %d is %.3f from the face shown", i, d)
		}
		if u.quality[i] <= 0 {
			t.Errorf("template %d has quality %v", i, u.quality[i])
		}
		for j := range i {
			if u.templates[i] == u.templates[j] {
				t.Errorf("templates %d and %d are the same frame", j, i)
			}
		}
	}
	if h.u.register.progress.Value != h.u.register.progress.Max || h.u.register.name.Text != "" {
		t.Errorf("progress %v, name %q after success", h.u.register.progress.Value, h.u.register.name.Text)
	}
	if !strings.Contains(h.log.String(), "msg=registered user=luda templates=1") {
		t.Errorf("log lacks the registration:\n%s", h.log.String())
	}
	// The users screen learns of the new user.
	h.waitFor("the users list", func() bool { return len(h.u.users.rows) == 3 })
}

// TestRegisterDuplicateFace: a face already registered under another name
// is refused at the walk's first good frame when the in-memory matcher
// knows it (the pose steps are never asked for), and by the directory's
// check at the insert when the matcher has not seen that enrolment yet
// (another station's). A person at the window is told it is registered,
// without the name; an administrator (the kiosk's screens) is told who and
// may register it anyway, which the directory audits.
func TestRegisterDuplicateFace(t *testing.T) {
	idols := loadIdols(t)
	chaeyoung := idol(t, idols, "Chaeyoung (Twice)")
	for _, tc := range []struct {
		name   string
		admin  bool
		blind  bool   // the matcher has not seen chaeyoung
		button string // the administrator's answer
		stored bool
		msg    string
	}{
		{"window", false, false, "", false, duplicateAdvice},
		{"window, matcher behind", false, true, "", false, duplicateAdvice},
		{"administrator, register anyway", true, false, "Register anyway", true, "Registered “chae” with 1 face template. You can log in now. " + stillText},
		{"administrator, matcher behind", true, true, "Register anyway", true, "Registered “chae” with 1 face template. You can log in now. " + stillText},
		{"administrator, cancel", true, false, "Cancel", false, "Registration cancelled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frame := loadPhoto(t, "chaeyoung.jpg")
			h := newHarness(t, frame, Options{Administrator: tc.admin})
			// Two descriptors of one person, 0.04 apart in the reference set.
			h.dir.add("chaeyoung", chaeyoung[0])
			h.dir.blind = tc.blind
			h.eng.script(frame, chaeyoung[7])

			test.Type(h.u.register.name, "chae")
			test.Tap(h.u.register.button)
			if tc.admin {
				h.waitFor("the administrator's question", func() bool {
					return strings.Contains(h.dialogText(), "already registered as “chaeyoung”")
				})
				if h.dir.user("chae") != nil {
					t.Fatal("stored before the administrator confirmed")
				}
				h.tapDialogButton(tc.button)
			}
			h.registerDone()
			if got := h.u.register.message.Text; got != tc.msg {
				t.Errorf("message %q, want %q", got, tc.msg)
			}
			if !tc.admin && (strings.Contains(h.u.register.message.Text, "chaeyoung") || strings.Contains(h.dialogText(), "chaeyoung")) {
				t.Error("a person who is not an administrator was told the registered name")
			}
			if got := h.dir.user("chae") != nil; got != tc.stored {
				t.Errorf("stored %v, want %v", got, tc.stored)
			}
			// The bar says whether the templates were stored: a refused
			// registration showed a full bar reading "Done".
			bar := h.u.register.progress
			wantBar, full := "Not registered", false
			if tc.stored {
				wantBar, full = "Done", true
			}
			if got := bar.TextFormatter(); got != wantBar || (bar.Value == bar.Max) != full {
				t.Errorf("progress bar %q at %v of %v, want %q, full %v", got, bar.Value, bar.Max, wantBar, full)
			}
			h.dir.mu.Lock()
			allowed := strings.Join(h.dir.allowed, ",")
			h.dir.mu.Unlock()
			if want := map[bool]string{true: "chae", false: ""}[tc.stored]; allowed != want {
				t.Errorf("registered with Allow: %q, want %q", allowed, want)
			}
			if !strings.Contains(h.log.String(), `msg="register refused: face already registered" user=chae registered_as=chaeyoung`) {
				t.Errorf("the refusal is not logged:\n%s", h.log.String())
			}
			// Refused at the first good frame: no step ever ended.
			early := !tc.admin && !tc.blind
			if got := !strings.Contains(h.log.String(), `msg="registration step"`); got != early {
				t.Errorf("refused before the first step ended: %v, want %v\n%s", got, early, h.log.String())
			}
		})
	}
}

func TestRegisterRefusesSwitchedFace(t *testing.T) {
	idols := loadIdols(t)
	joy := idol(t, idols, "Joy (Red Velvet)")[0]
	elkie := idol(t, idols, "Elkie (CLC)")[0]
	joyFrame, elkieFrame := loadPhoto(t, "joy.jpg"), loadPhoto(t, "elkie.jpg")
	h := newHarness(t, joyFrame, Options{})
	h.eng.script(joyFrame, joy)
	h.eng.script(elkieFrame, elkie)

	test.Type(h.u.register.name, "joy")
	test.Tap(h.u.register.button)
	h.waitFor("a first good frame", func() bool { return h.u.register.progress.Value >= 1 })
	h.cam.show(elkieFrame)
	h.waitFor("the refusal", func() bool { return h.u.register.message.Text == "Keep the same face in view" })
	h.cam.show(joyFrame)
	h.registerDone()
	u := h.dir.user("joy")
	if u == nil {
		t.Fatalf("not registered: %q", h.u.register.message.Text)
	}
	for i := range u.templates {
		if recognition.Distance(&u.templates[i], &joy) > 0.1 {
			t.Errorf("template %d is not joy's face", i)
		}
	}
}

// blurred is img out of focus: shrunk eightfold and blown up again.
func blurred(img *image.RGBA) *image.RGBA {
	b := img.Rect
	small := image.NewRGBA(image.Rect(0, 0, b.Dx()/8, b.Dy()/8))
	xdraw.ApproxBiLinear.Scale(small, small.Rect, img, b, xdraw.Src, nil)
	out := image.NewRGBA(b)
	xdraw.BiLinear.Scale(out, b, small, small.Rect, xdraw.Src, nil)
	return out
}
