package app

import (
	"context"
	"errors"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"facelogin/internal/adminpin"
	"facelogin/internal/testkit"
	live "facelogin/recognition/liveness"
	"facelogin/store"
)

// interceptApp is a test app whose windows remember their close intercept,
// so a test can ask to close a window the way a window manager does
// (Alt-F4, the close button).
type interceptApp struct {
	fyne.App
	win *interceptWindow
}

func (a *interceptApp) NewWindow(title string) fyne.Window {
	a.win = &interceptWindow{Window: a.App.NewWindow(title)}
	return a.win
}

type interceptWindow struct {
	fyne.Window
	intercept func()
	closed    bool
}

func (w *interceptWindow) SetCloseIntercept(f func()) {
	w.intercept = f
	w.Window.SetCloseIntercept(f)
}

func (w *interceptWindow) Close() {
	w.closed = true
	w.Window.Close()
}

// requestClose is what the window manager's close does.
func (w *interceptWindow) requestClose() {
	if w.intercept != nil {
		w.intercept()
		return
	}
	w.Close()
}

// kioskHarness is a kiosk on the test driver with the window's fakes.
type kioskHarness struct {
	*harness
	clock    offsetClock
	k        *Kiosk
	win      *interceptWindow
	exits    atomic.Int32
	pinCalls atomic.Int32
}

const testPIN = "2468"

// newKioskHarness starts a kiosk on frame with elkie and sejeong enrolled.
// kopts.CheckPIN nil takes a checker of testPIN; kopts.OnExit is counted.
func newKioskHarness(t *testing.T, frame image.Image, kopts KioskOptions, noPIN bool) *kioskHarness {
	t.Helper()
	return newKioskHarnessWith(t, frame, kopts, noPIN, 0, nil)
}

// newKioskHarnessAt is newKioskHarness with the kiosk's clock offset by
// clock from the start (a kiosk restarted later).
func newKioskHarnessAt(t *testing.T, frame image.Image, kopts KioskOptions, noPIN bool, clock time.Duration) *kioskHarness {
	t.Helper()
	return newKioskHarnessWith(t, frame, kopts, noPIN, clock, nil)
}

// newKioskHarnessWith is newKioskHarnessAt with more dependencies: more, if
// set, adds them to the kiosk's Deps.
func newKioskHarnessWith(t *testing.T, frame image.Image, kopts KioskOptions, noPIN bool, clock time.Duration, more func(*Deps)) *kioskHarness {
	t.Helper()
	return newKioskHarnessLive(t, frame, kopts, noPIN, clock, more, nil)
}

// newKioskHarnessLive is newKioskHarnessWith with the liveness check as
// challenge sets it (nil: off, as a person turns it off in the settings
// behind the PIN; see withChallenge); each of options changes the kiosk's
// Options.
func newKioskHarnessLive(t *testing.T, frame image.Image, kopts KioskOptions, noPIN bool, clock time.Duration, more func(*Deps), challenge func(*shell), options ...func(*Options)) *kioskHarness {
	t.Helper()
	ia := &interceptApp{App: test.NewTempApp(t)}
	ia.Preferences().SetBool(PrefLiveness, false)
	ia.Preferences().SetBool(PrefMirror, false) // as newHarnessDeps
	kh := &kioskHarness{}
	kh.clock.advance(clock)
	h := &harness{t: t, app: ia, cam: newFakeCamera(frame), eng: newFakeEngine(), dir: newFakeDirectory(),
		log: &testkit.LockedBuffer{}, q: make(chan func(), 64)}
	idols := loadIdols(t)
	h.dir.add("elkie", idol(t, idols, "Elkie (CLC)")[:3]...)
	h.dir.add("sejeong", idol(t, idols, "Sejeong (Gugudan)")[:3]...)
	if kopts.CheckPIN == nil && !noPIN {
		kopts.CheckPIN = func(pin string) (bool, error) {
			kh.pinCalls.Add(1)
			return pin == testPIN, nil
		}
	}
	kopts.OnExit = func() { kh.exits.Add(1) }
	done := make(chan struct{})
	post := func(f func()) {
		select {
		case h.q <- f:
		case <-done:
		}
	}
	opts := Options{Logger: slog.New(slog.NewTextHandler(h.log, nil))}
	for _, o := range options {
		o(&opts)
	}
	deps := Deps{Camera: h.cam, Tracker: h.eng, Engine: h.eng, Users: h.dir}
	if more != nil {
		more(&deps)
	}
	kh.k = newKiosk(ia, deps, opts, kopts, post)
	kh.harness, kh.win = h, ia.win
	h.u = kh.k.s
	kh.k.now = kh.clock.now
	if challenge != nil {
		challenge(kh.k.s)
	}
	kh.k.Start()
	t.Cleanup(func() {
		close(done)
		kh.k.Stop()
		if t.Failed() {
			t.Logf("app log:\n%s", h.log.String())
		}
	})
	return kh
}

// probes returns a frame of elkie (a descriptor of hers that is not a
// template), a frame of luda (enrolled nobody) and a frame of both.
func (kh *kioskHarness) probes() (elkie, luda, both *image.RGBA) {
	t := kh.t
	idols := loadIdols(t)
	elkie, luda = loadPhoto(t, "elkie.jpg"), loadPhoto(t, "luda.jpg")
	both = loadPhoto(t, "sejeong.jpg")
	e := idol(t, idols, "Elkie (CLC)")[3]
	l := idol(t, idols, "Luda (WJSN)")[0]
	if m := kh.dir.Identify(&e); m.User != "elkie" || m.Distance > DefaultThreshold-0.05 {
		t.Fatalf("test data: elkie's probe matches %+v", m)
	}
	if m := kh.dir.Identify(&l); m.Distance < DefaultThreshold+0.05 {
		t.Fatalf("test data: luda matches %+v", m)
	}
	kh.eng.script(elkie, e)
	kh.eng.script(luda, l)
	kh.eng.script(both, e, l)
	return elkie, luda, both
}

// offsetClock is real time moved on by the test: waits of minutes or hours
// (lockouts, PIN back-off) end when the test says, and short ones
// (result screens) on their own.
type offsetClock struct{ offset atomic.Int64 }

func (c *offsetClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *offsetClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

func (kh *kioskHarness) resultShown() bool { return kh.k.result.Visible() }

func (kh *kioskHarness) logins() []fakeLogin { return kh.dir.loginLog() }

func TestKioskIsFullscreen(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{Station: "front-door"}, false)
	w := kh.k.Window()
	if !w.FullScreen() || w.Padded() {
		t.Errorf("fullscreen %v, padded %v: want fullscreen, unpadded", w.FullScreen(), w.Padded())
	}
	if w.Content() != kh.k.view {
		t.Error("the kiosk does not show its own view")
	}
	if !strings.Contains(kh.k.station.Text, "front-door") {
		t.Errorf("station line %q", kh.k.station.Text)
	}
	if kh.k.prompt.TextSize < 40 {
		t.Errorf("prompt text size %v: kiosk type must be large", kh.k.prompt.TextSize)
	}
	// Registration and settings are not on screen.
	for _, o := range test.LaidOutObjects(w.Content()) {
		if o == kh.u.register.content || o == kh.u.settings.content || o == kh.u.tabs {
			t.Fatal("registration or settings visible in the kiosk")
		}
	}
}

// TestKioskWelcomesSteadyFace: a face held steady is identified once,
// welcomed and recorded; it is not welcomed again while it stays, and is
// after it left the picture.
func TestKioskWelcomesSteadyFace(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)),
		KioskOptions{Station: "front-door", ResultFor: 300 * time.Millisecond}, false)
	elkie, _, _ := kh.probes()
	empty := image.NewRGBA(image.Rect(0, 0, 640, 480))
	kh.waitFor("the scanning prompt", func() bool { return kh.k.prompt.Text == promptLook })
	kh.cam.show(elkie)
	kh.waitFor("the welcome screen", kh.resultShown)
	if got := kh.k.resultTitle.Text; got != "Welcome, elkie" || kh.k.resultBack.FillColor != kioskWelcome ||
		!strings.HasPrefix(kh.k.resultDetail.Text, "Checked in at ") {
		t.Fatalf("result %q on %v", got, kh.k.resultBack.FillColor)
	}
	if kh.k.resultTitle.TextSize < 60 {
		t.Errorf("welcome text size %v", kh.k.resultTitle.TextSize)
	}
	ls := kh.logins()
	if len(ls) != 1 || ls[0].user != "elkie" || !ls[0].success || ls[0].distance > DefaultThreshold {
		t.Fatalf("logins %+v", ls)
	}
	if !strings.Contains(kh.log.String(), `msg="kiosk identification" station=front-door success=true user=elkie`) {
		t.Errorf("log:\n%s", kh.log.String())
	}
	kh.waitFor("the end of the welcome", func() bool { return !kh.resultShown() })
	kh.waitFor("the next-person prompt", func() bool { return kh.k.prompt.Text == promptNext })
	kh.settle(300 * time.Millisecond)
	if n := len(kh.logins()); n != 1 || kh.resultShown() {
		t.Fatalf("welcomed again while still in view: %d logins", n)
	}
	kh.cam.show(empty)
	kh.waitFor("the scanning prompt", func() bool { return kh.k.prompt.Text == promptLook })
	kh.cam.show(elkie)
	kh.waitFor("the second welcome", func() bool { return len(kh.logins()) == 2 })
	kh.waitFor("the welcome screen", kh.resultShown)
}

func TestKioskOnePersonAtATime(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{}, false)
	_, _, both := kh.probes()
	kh.cam.show(both)
	kh.waitFor("the one-at-a-time prompt", func() bool { return kh.k.prompt.Text == promptOneAtATime })
	kh.settle(300 * time.Millisecond)
	if kh.resultShown() || len(kh.logins()) != 0 || kh.k.prompt.Text != promptOneAtATime {
		t.Fatalf("two faces: result %v, logins %+v, prompt %q", kh.resultShown(), kh.logins(), kh.k.prompt.Text)
	}
}

// TestKioskLockout: a stranger is refused and recorded each time; after
// MaxFailures refusals in a row the kiosk stops identifying for the lockout
// window, logs it, counts down, and then identifies again. The lockout is
// an hour of the kiosk's clock, which the test moves on: nothing depends on
// how fast the machine is.
func TestKioskLockout(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{
		ResultFor: 50 * time.Millisecond, MaxFailures: 3, Lockout: time.Hour,
	}, false)
	_, luda, _ := kh.probes()
	kh.cam.show(luda)
	kh.waitFor("a refusal", func() bool { return kh.resultShown() && kh.k.resultTitle.Text == "Not recognised" })
	if kh.k.resultBack.FillColor != kioskRefused {
		t.Errorf("refusal colour %v", kh.k.resultBack.FillColor)
	}
	kh.waitFor("the lockout", func() bool { return kh.resultShown() && kh.k.resultTitle.Text == "Please wait" })
	ls := kh.logins()
	if len(ls) != 3 {
		t.Fatalf("%d attempts recorded before the lockout, want 3: %+v", len(ls), ls)
	}
	for _, l := range ls {
		if l.success || l.user != "" {
			t.Fatalf("a stranger recorded as %+v", l)
		}
	}
	if d := kh.k.resultDetail.Text; !strings.HasPrefix(d, "Too many failed attempts — try again in") {
		t.Errorf("lockout detail %q", d)
	}
	if !strings.Contains(kh.log.String(), `msg="kiosk lockout: too many failed attempts (identification or liveness)"`) ||
		!strings.Contains(kh.log.String(), "failures=3 lockout=1h0m0s") {
		t.Errorf("lockout not logged:\n%s", kh.log.String())
	}
	// The face stays in view: detections go on, identifications do not.
	n := kh.u.det.count.Load()
	kh.waitFor("more detections", func() bool { return kh.u.det.count.Load() >= n+5 })
	if n := len(kh.logins()); n != 3 {
		t.Fatalf("%d attempts recorded during the lockout", n)
	}
	kh.clock.advance(time.Hour)
	kh.waitFor("identification after the lockout", func() bool { return len(kh.logins()) == 4 })
}

// TestKioskRefusalNamesNobody: a stranger, a face halfway between two
// lookalike users and the face of a disabled user are refused with a
// sentence for people that names nobody — on the screen, on the overlay,
// in the log and in the audit log; the disabled user's face gets the
// stranger's sentence, the audit log alone says why.
func TestKioskRefusalNamesNobody(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{ResultFor: 50 * time.Millisecond}, false)
	elkie, luda, _ := kh.probes()
	mid, _ := kh.dir.midpoint("elkie", "sejeong")
	both := loadPhoto(t, "joy.jpg")
	kh.eng.script(both, mid)
	for i, tc := range []struct {
		frame  image.Image
		detail string
		reason string // in the audit log
	}{
		{luda, "Please ask a member of staff", ""},
		{both, "You look like more than one registered person — please ask a member of staff", ""},
		{elkie, "Please ask a member of staff", "user disabled"},
	} {
		if tc.reason == "user disabled" {
			kh.dir.mu.Lock()
			kh.dir.disabled = map[string]bool{"elkie": true}
			kh.dir.mu.Unlock()
		}
		kh.cam.show(tc.frame)
		kh.waitFor("a refusal", func() bool {
			return len(kh.logins()) == i+1 && kh.resultShown() && kh.k.resultTitle.Text == "Not recognised"
		})
		shown := []string{kh.k.resultTitle.Text, kh.k.resultDetail.Text, kh.k.prompt.Text, kh.log.String()}
		for _, lab := range kh.u.det.latest().labels {
			shown = append(shown, lab.Text)
		}
		for _, text := range shown {
			if strings.Contains(text, "elkie") || strings.Contains(text, "sejeong") {
				t.Errorf("%q names a user", text)
			}
		}
		if kh.k.resultDetail.Text != tc.detail {
			t.Errorf("detail %q, want %q", kh.k.resultDetail.Text, tc.detail)
		}
		if l := kh.logins()[i]; l.user != "" || l.success || l.reason != tc.reason {
			t.Errorf("recorded %+v, want reason %q", l, tc.reason)
		}
		kh.waitFor("the end of the refusal", func() bool { return !kh.resultShown() })
	}
}

// TestKioskWelcomeEndsFailures: a success in between resets the count.
func TestKioskWelcomeEndsFailures(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{
		ResultFor: 50 * time.Millisecond, MaxFailures: 2, Lockout: time.Minute,
	}, false)
	elkie, luda, _ := kh.probes()
	kh.cam.show(luda)
	kh.waitFor("a refusal", func() bool { return len(kh.logins()) == 1 })
	kh.cam.show(elkie)
	kh.waitFor("a welcome", func() bool { return len(kh.logins()) == 2 })
	kh.cam.show(luda)
	kh.waitFor("a refusal", func() bool { return len(kh.logins()) == 3 })
	kh.waitFor("the refusal screen", func() bool { return kh.resultShown() })
	if kh.k.resultTitle.Text != "Not recognised" {
		t.Fatalf("locked out after one failure following a welcome: %q", kh.k.resultTitle.Text)
	}
}

func TestKioskIgnoresEscape(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{}, false)
	c := kh.k.Window().Canvas()
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	kh.settle(50 * time.Millisecond)
	if kh.win.closed || kh.exits.Load() != 0 || kh.k.Window().Content() != kh.k.view || !kh.k.Window().FullScreen() {
		t.Fatalf("Escape: closed %v, exits %d, fullscreen %v", kh.win.closed, kh.exits.Load(), kh.k.Window().FullScreen())
	}
	if kh.k.pin.content.Visible() {
		t.Error("Escape opened the PIN panel")
	}
	if !strings.Contains(kh.log.String(), "kiosk: Escape ignored") {
		t.Errorf("log:\n%s", kh.log.String())
	}
}

// TestKioskCloseNeedsPIN: a close request (Alt-F4) only asks for the PIN;
// cancelling stays in the kiosk, the right PIN leaves it.
func TestKioskCloseNeedsPIN(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{}, false)
	if kh.win.intercept == nil {
		t.Fatal("no close intercept")
	}
	kh.win.requestClose()
	p := kh.k.pin
	if kh.win.closed || kh.exits.Load() != 0 || !p.content.Visible() || p.title.Text != "Leave the kiosk" {
		t.Fatalf("close request: closed %v, exits %d, PIN panel %v %q", kh.win.closed, kh.exits.Load(), p.content.Visible(), p.title.Text)
	}
	if !kh.k.paused.Load() {
		t.Error("identification goes on behind the PIN panel")
	}
	test.Tap(p.cancel)
	if p.content.Visible() || kh.k.paused.Load() || kh.exits.Load() != 0 {
		t.Fatal("cancel did not return to the kiosk")
	}
	kh.win.requestClose()
	test.Type(p.entry, testPIN)
	test.Tap(p.ok)
	kh.waitFor("the exit", func() bool { return kh.exits.Load() == 1 })
	if kh.k.unlocked {
		t.Error("leaving the kiosk also unlocked it")
	}
}

// TestKioskPINBackoff: wrong PINs lock the entry for a doubling time, shown
// as a countdown; attempts during the wait are not even checked; the right
// PIN then unlocks the normal screens, and Back to kiosk locks them again.
func TestKioskPINBackoff(t *testing.T) {
	const base = time.Hour // of the kiosk's clock, moved on by the test
	// The panel stays open through the hours of back-off (a panel left
	// alone closes: TestKioskPINPanelIdleCloses).
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{PINBackoff: base, MaxPINBackoff: 24 * time.Hour, AdminIdle: 1000 * time.Hour}, false)
	k, p := kh.k, kh.k.pin
	test.Tap(k.adminButton)
	if !p.content.Visible() || p.title.Text != "Administrator" {
		t.Fatal("the Admin button does not ask for the PIN")
	}
	try := func(pin string) {
		t.Helper()
		test.Type(p.entry, pin)
		test.Tap(p.ok)
		kh.waitFor("the PIN check", func() bool { return !k.pinChecking })
	}
	for i, want := range []time.Duration{base, 2 * base, 4 * base} {
		try("1111")
		left := k.pinWaitUntil.Sub(k.now())
		if left > want || left < want-time.Minute {
			t.Fatalf("wrong PIN %d: wait %v, want %v", i+1, left, want)
		}
		if !p.entry.Disabled() || !p.ok.Disabled() || !strings.HasPrefix(p.message.Text, "Wrong PIN — try again in") {
			t.Fatalf("wrong PIN %d: entry disabled %v, message %q", i+1, p.entry.Disabled(), p.message.Text)
		}
		calls := kh.pinCalls.Load()
		p.entry.SetText(testPIN)
		k.submitPIN() // Enter during the wait
		if kh.pinCalls.Load() != calls || k.pinChecking {
			t.Fatalf("a PIN was checked during the back-off")
		}
		p.entry.SetText("")
		kh.clock.advance(want)
		kh.waitFor("the end of the back-off", func() bool { return !p.entry.Disabled() })
		if p.message.Text != "Wrong PIN — try again" {
			t.Errorf("after the wait: %q", p.message.Text)
		}
		if k.Window().Canvas().Focused() != p.entry {
			t.Error("the PIN entry is not focused after the wait")
		}
	}
	if !strings.Contains(kh.log.String(), `msg="kiosk: wrong administrator PIN"`) || !strings.Contains(kh.log.String(), "failures=3") {
		t.Errorf("wrong PINs not logged:\n%s", kh.log.String())
	}
	if k.unlocked || kh.exits.Load() != 0 {
		t.Fatal("a wrong PIN unlocked or left the kiosk")
	}
	try(testPIN)
	if !k.unlocked || k.Window().Content() != k.admin || p.content.Visible() {
		t.Fatalf("right PIN: unlocked %v", k.unlocked)
	}
	if k.pinFailures != 0 {
		t.Errorf("failures kept after the right PIN: %d", k.pinFailures)
	}
	var tabs []string
	for _, it := range kh.u.tabs.Items {
		tabs = append(tabs, it.Text)
	}
	if strings.Join(tabs, ",") != "Login,Register,Users,Settings" {
		t.Errorf("unlocked tabs %v", tabs)
	}
	if !k.paused.Load() {
		t.Error("the kiosk identifies while unlocked")
	}
	// Closing the unlocked window leaves without another PIN.
	var back *widget.Button
	for _, o := range test.LaidOutObjects(k.admin) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Back to kiosk" {
			back = b
		}
	}
	if back == nil {
		t.Fatal("no Back to kiosk button")
	}
	test.Tap(back)
	if k.unlocked || k.Window().Content() != k.view || k.paused.Load() {
		t.Fatal("Back to kiosk did not lock")
	}
}

// TestKioskPausedWhileUnlocked: nobody is identified while an administrator
// uses the normal screens.
func TestKioskPausedWhileUnlocked(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{}, false)
	elkie, _, _ := kh.probes()
	test.Tap(kh.k.adminButton)
	test.Type(kh.k.pin.entry, testPIN)
	test.Tap(kh.k.pin.ok)
	kh.waitFor("the unlock", func() bool { return kh.k.unlocked })
	kh.cam.show(elkie)
	kh.settle(500 * time.Millisecond)
	if n := len(kh.logins()); n != 0 {
		t.Fatalf("%d identifications while unlocked", n)
	}
	kh.win.requestClose()
	if kh.exits.Load() != 1 {
		t.Fatal("closing the unlocked kiosk did not leave it")
	}
}

func TestKioskWithoutPIN(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{}, true)
	kh.win.requestClose()
	p := kh.k.pin
	if !p.content.Visible() || !p.entry.Disabled() || !strings.Contains(p.message.Text, "facelogin admin set-pin") {
		t.Fatalf("no PIN set: panel %v, entry disabled %v, %q", p.content.Visible(), p.entry.Disabled(), p.message.Text)
	}
	if kh.exits.Load() != 0 {
		t.Fatal("left the kiosk without a PIN")
	}
}

func TestWaitText(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{300 * time.Millisecond, "1 s"},
		{time.Second, "1 s"},
		{59*time.Second + time.Millisecond, "1 min"},
		{125 * time.Second, "2 min 5 s"},
	} {
		t.Run(c.d.String(), func(t *testing.T) {
			if got := waitText(c.d); got != c.want {
				t.Errorf("waitText(%v) = %q, want %q", c.d, got, c.want)
			}
		})
	}
}

// TestKioskPINBackoffSurvivesRestart: wrong PINs are recorded beside the
// PIN file before they are checked, so a restarted kiosk (or one whose
// power was cut during the check) keeps the back-off; a deleted record
// resumes as the longest back-off, not as a fresh start; the right PIN
// clears it.
func TestKioskPINBackoffSurvivesRestart(t *testing.T) {
	const base = time.Hour // of the kiosk's clock, moved on by the test
	pinPath := filepath.Join(t.TempDir(), "admin-pin")
	if err := adminpin.SaveAttempts(pinPath, adminpin.Attempts{}); err != nil { // as `admin set-pin` leaves it
		t.Fatal(err)
	}
	record := adminpin.AttemptsFile(pinPath)
	kopts := KioskOptions{PINBackoff: base, MaxPINBackoff: 24 * time.Hour, PINAttempts: record, AdminIdle: 1000 * time.Hour}
	var offset time.Duration // the clock carried from one kiosk to the next
	start := func() *kioskHarness {
		return newKioskHarnessAt(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), kopts, false, offset)
	}
	kh := start()
	k, p := kh.k, kh.k.pin
	test.Tap(k.adminButton)
	for range 2 {
		test.Type(p.entry, "1111")
		test.Tap(p.ok)
		kh.waitFor("the PIN check", func() bool { return !k.pinChecking })
		kh.clock.advance(base * 4)
		kh.waitFor("the end of the back-off", func() bool { return !p.entry.Disabled() })
	}
	// The third wrong PIN: its back-off (4 h) is running when the kiosk
	// restarts.
	test.Type(p.entry, "1111")
	test.Tap(p.ok)
	kh.waitFor("the PIN check", func() bool { return !k.pinChecking })
	a, err := record.Load()
	if err != nil || a.Failures != 3 || a.NextAt.Sub(kh.clock.now()) < 4*base-time.Minute {
		t.Fatalf("record after 3 wrong PINs: %+v, %v", a, err)
	}
	offset = time.Duration(kh.clock.offset.Load()) + base // an hour later
	kh.k.Stop()

	kh = start()
	k, p = kh.k, kh.k.pin
	if k.pinFailures != 3 || k.pinWaitUntil.Sub(kh.clock.now()) < 3*base-time.Minute {
		t.Fatalf("after the restart: %d failures, wait %v", k.pinFailures, k.pinWaitUntil.Sub(kh.clock.now()))
	}
	test.Tap(k.adminButton)
	calls := kh.pinCalls.Load()
	p.entry.SetText(testPIN)
	k.submitPIN()
	if kh.pinCalls.Load() != calls || !p.entry.Disabled() || !strings.HasPrefix(p.message.Text, "Wrong PIN — try again in 1") {
		t.Fatalf("after the restart a PIN was checked during the back-off (entry disabled %v, %q)", p.entry.Disabled(), p.message.Text)
	}

	// Deleting the record buys no fresh tries.
	offset = time.Duration(kh.clock.offset.Load()) + 4*base // the old wait is over
	kh.k.Stop()
	if err := os.Remove(adminpin.AttemptsPath(pinPath)); err != nil {
		t.Fatal(err)
	}
	kh = start()
	k = kh.k
	if k.pinFailures != (adminpin.Backoff{First: base, Max: 24 * time.Hour}).Saturated() || k.pinWaitUntil.Sub(kh.clock.now()) < 24*time.Hour-time.Minute {
		t.Fatalf("deleted record: %d failures, wait %v", k.pinFailures, k.pinWaitUntil.Sub(kh.clock.now()))
	}
	if !strings.Contains(kh.log.String(), "record of wrong administrator PINs was missing or damaged") {
		t.Errorf("deleted record not logged:\n%s", kh.log.String())
	}

	// After the wait, the right PIN clears the record.
	kh.clock.advance(24 * time.Hour)
	test.Tap(k.adminButton)
	kh.waitFor("the end of the back-off", func() bool { return !k.pin.entry.Disabled() })
	test.Type(k.pin.entry, testPIN)
	test.Tap(k.pin.ok)
	kh.waitFor("the unlock", func() bool { return k.unlocked })
	if a, err := record.Load(); err != nil || a.Failures != 0 {
		t.Fatalf("record after the right PIN: %+v, %v", a, err)
	}
}

// TestKioskPINCountedBeforeCheck: a wrong PIN is on record while it is
// being checked, so cutting the power during the check does not forget it.
func TestKioskPINCountedBeforeCheck(t *testing.T) {
	pinPath := filepath.Join(t.TempDir(), "admin-pin")
	record := adminpin.AttemptsFile(pinPath)
	if err := record.Save(adminpin.Attempts{}); err != nil {
		t.Fatal(err)
	}
	checking, release := make(chan struct{}), make(chan struct{})
	kopts := KioskOptions{PINAttempts: record, CheckPIN: func(pin string) (bool, error) {
		close(checking)
		<-release
		return false, nil
	}}
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), kopts, false)
	defer close(release)
	test.Tap(kh.k.adminButton)
	test.Type(kh.k.pin.entry, "906417")
	test.Tap(kh.k.pin.ok)
	<-checking
	if a, err := record.Load(); err != nil || a.Failures != 1 {
		t.Fatalf("record during the check: %+v, %v", a, err)
	}
}

// TestKioskTrackLostAndFound: when the tracker loses the person just
// welcomed and finds them again under a new track ID (no empty picture in
// between), the kiosk recognises them by their descriptor and does not
// welcome them again; someone else stepping up is identified.
func TestKioskTrackLostAndFound(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{ResultFor: 50 * time.Millisecond}, false)
	elkie, luda, _ := kh.probes()
	again := image.NewRGBA(elkie.Rect) // the same face, another frame: a new track
	copy(again.Pix, elkie.Pix)
	kh.eng.script(again, idol(t, loadIdols(t), "Elkie (CLC)")[3])
	kh.cam.show(elkie)
	kh.waitFor("the welcome", func() bool { return len(kh.logins()) == 1 })
	kh.waitFor("the next-person prompt", func() bool { return kh.k.prompt.Text == promptNext })
	calls := len(kh.eng.describeCalls())
	kh.cam.show(again)
	kh.waitFor("the new track described", func() bool { return len(kh.eng.describeCalls()) > calls })
	kh.settle(300 * time.Millisecond)
	if n := len(kh.logins()); n != 1 || kh.k.prompt.Text != promptNext {
		t.Fatalf("the person welcomed was welcomed again on a new track: %d logins, prompt %q", n, kh.k.prompt.Text)
	}
	// Once by the kiosk, once by the labeler for the overlay's name (and
	// again by the labeler only after its refresh of 1.5 s).
	if n := len(kh.eng.describeCalls()) - calls; n > 2 {
		t.Errorf("the new track was described %d times, want once by the kiosk and once for its label", n)
	}
	kh.cam.show(luda)
	kh.waitFor("luda's identification", func() bool { return len(kh.logins()) == 2 })
	if l := kh.logins()[1]; l.success {
		t.Errorf("luda recorded as %+v", l)
	}
}

// TestKioskDeadEngine: with an engine that cannot make descriptors the
// kiosk says so, records nothing and keeps running.
func TestKioskDeadEngine(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{}, false)
	elkie, _, _ := kh.probes()
	kh.eng.mu.Lock()
	kh.eng.descErr = errors.New("recognition engine closed")
	kh.eng.mu.Unlock()
	kh.cam.show(elkie)
	kh.waitFor("the failure on screen", func() bool { return kh.k.prompt.Text == "Face recognition failed — see the log" })
	n := kh.u.det.count.Load()
	kh.waitFor("more tracked frames", func() bool { return kh.u.det.count.Load() >= n+20 })
	if len(kh.logins()) != 0 || kh.resultShown() {
		t.Fatalf("decided without descriptors: logins %+v", kh.logins())
	}
}

// TestKioskPreviewNamesNobody: the kiosk's preview draws boxes and
// landmarks but no names — a tester saw it label a photo held up to it
// "ana 0.04" throughout the liveness challenge that then refused it. Who a
// face is enrolled as shows only in a welcome.
func TestKioskPreviewNamesNobody(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{ResultFor: 50 * time.Millisecond}, false)
	elkie, _, _ := kh.probes()
	if kh.u.det.labels != nil {
		t.Fatal("the kiosk runs a labeler")
	}
	kh.cam.show(elkie)
	kh.waitFor("the face tracked", func() bool {
		d := kh.u.det.latest()
		return len(d.track.Faces) == 1
	})
	if labs := kh.u.det.latest().labels; len(labs) != 0 {
		t.Errorf("the kiosk's overlay labels %+v", labs)
	}
}

// TestKioskAdminIdleLocks: the unlocked admin screens go back to the kiosk
// after AdminIdle without input, and input over them puts that off. The
// kiosk's clock is moved on; nothing waits two minutes.
func TestKioskAdminIdleLocks(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{}, false)
	k := kh.k
	if k.opts.AdminIdle != 2*time.Minute {
		t.Fatalf("default idle lock %v, want 2 min", k.opts.AdminIdle)
	}
	test.Tap(k.adminButton)
	test.Type(k.pin.entry, testPIN)
	test.Tap(k.pin.ok)
	kh.waitFor("the unlock", func() bool { return k.unlocked })

	kh.clock.advance(time.Minute + 50*time.Second)
	k.inputs.MouseMoved(&desktop.MouseEvent{}) // the administrator is still there
	kh.clock.advance(time.Minute)
	kh.settle(300 * time.Millisecond)
	if !k.unlocked {
		t.Fatal("locked 1 min after the last input")
	}
	kh.clock.advance(time.Minute + time.Second)
	kh.waitFor("the idle lock", func() bool { return !k.unlocked })
	if kh.win.Content() != k.view || k.paused.Load() {
		t.Fatalf("after the idle lock: content is the kiosk %v, identification paused %v", kh.win.Content() == k.view, k.paused.Load())
	}
	if !strings.Contains(kh.log.String(), "administrator idle") {
		t.Error("the idle lock is not logged")
	}
}

// TestKioskCameraStatusIsNeutral: the public status line says whether the
// camera runs, never its source (a device path, a file, a host); the admin
// screens keep the details.
func TestKioskCameraStatusIsNeutral(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{}, false)
	k := kh.k
	for _, c := range []struct {
		st   CameraStatus
		want string
	}{
		{CameraStatus{OK: true, Message: "/home/kiosk/secret/cam.mp4 running 640x480 @ 30 fps"}, "Camera running"},
		{CameraStatus{Message: "camera unavailable (rtsp://10.0.0.7/live: timeout) — retrying in 2s"}, "Camera unavailable — retrying"},
		{CameraStatus{Message: "failed after 3 attempts: open /dev/video7", Final: true}, "Camera unavailable — please tell an administrator"},
	} {
		kh.cam.setStatus(c.st)
		kh.waitFor(c.want, func() bool { return k.camStatus.Text == c.want })
		var texts []string
		for _, o := range allObjects(k.scan) {
			switch o := o.(type) {
			case *widget.Label:
				texts = append(texts, o.Text)
			case *canvas.Text:
				texts = append(texts, o.Text)
			}
		}
		shown := strings.Join(texts, "\n")
		for _, secret := range []string{"/home/kiosk", "rtsp://", "/dev/video7"} {
			if strings.Contains(shown, secret) {
				t.Fatalf("the public kiosk shows %q:\n%s", secret, shown)
			}
		}
		if !strings.HasPrefix(k.s.preview.status.Text, c.st.Message) {
			t.Errorf("admin status %q, want the details %q", k.s.preview.status.Text, c.st.Message)
		}
	}
}

// allObjects is every object of the container tree under o that is shown
// (widgets are not opened: a label's text is its Text).
func allObjects(o fyne.CanvasObject) []fyne.CanvasObject {
	out := []fyne.CanvasObject{o}
	switch c := o.(type) {
	case *fyne.Container:
		for _, ch := range c.Objects {
			if ch.Visible() {
				out = append(out, allObjects(ch)...)
			}
		}
	}
	return out
}

// TestKioskPINPanelIdleCloses: a PIN panel opened and left (identification
// waits while it is open) closes after AdminIdle without typing, and the
// kiosk identifies again; typing puts it off.
func TestKioskPINPanelIdleCloses(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{}, false)
	k := kh.k
	test.Tap(k.adminButton)
	if !k.pin.content.Visible() || !k.paused.Load() {
		t.Fatal("the PIN panel did not open")
	}
	kh.clock.advance(time.Minute + 50*time.Second)
	test.Type(k.pin.entry, "1")
	kh.clock.advance(time.Minute)
	kh.settle(300 * time.Millisecond)
	if !k.pin.content.Visible() {
		t.Fatal("closed 1 min after a key was typed")
	}
	kh.clock.advance(time.Minute + time.Second)
	kh.waitFor("the PIN panel to close", func() bool { return !k.pin.content.Visible() })
	if k.paused.Load() || k.unlocked || k.pin.entry.Text != "" {
		t.Fatalf("after the idle close: paused %v, unlocked %v, entry %q", k.paused.Load(), k.unlocked, k.pin.entry.Text)
	}
}

// TestKioskLivenessOff: a kiosk whose liveness check is off says so on
// its scanning screen for as long as it is ("Liveness check off", in
// Spanish too), and its start is in the audit log with why the check is
// off; with the check on there is neither. The notice follows the
// setting when an administrator changes it behind the PIN. (Its Spanish:
// TestKioskInSpanish.)
func TestKioskLivenessOff(t *testing.T) {
	for _, tc := range []struct {
		name      string
		challenge func(*shell)
		forced    bool
		detail    string // of the kiosk_start event, "" for none
	}{
		{"--liveness=false", nil, true, "liveness check off (--liveness=false)"},
		{"setting off", nil, false, "liveness check off (the setting)"},
		{"on", withChallenge(live.TurnLeft, live.Blink), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := activityStore(t)
			kh := newKioskHarnessLive(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{Station: "hall"}, false, 0,
				func(d *Deps) { d.Activity = storeLog{st.Events} }, tc.challenge,
				func(o *Options) { o.NoLiveness = tc.forced })
			k := kh.k
			if shown := k.liveOff.Visible(); shown != (tc.detail != "") || k.liveOff.Text != "Liveness check off" {
				t.Fatalf("notice %q shown %v, want shown %v", k.liveOff.Text, shown, tc.detail != "")
			}
			if shown := shownTexts(k.s.win); tc.detail != "" && !slices.Contains(shown, "Liveness check off") {
				t.Errorf("the notice is not on the scanning screen: %q", shown)
			}
			starts := func() []store.Event {
				evs, err := st.Events.List(context.Background(), store.EventFilter{Kinds: []store.EventKind{store.EventKioskStart}})
				if err != nil {
					t.Fatal(err)
				}
				return evs
			}
			if tc.detail == "" {
				kh.u.stop() // every goroutine has ended: a record would be written
				if evs := starts(); len(evs) != 0 {
					t.Errorf("kiosk_start events with the check on: %+v", evs)
				}
				return
			}
			kh.waitFor("the kiosk_start event", func() bool { return len(starts()) > 0 })
			if evs := starts(); len(evs) != 1 || evs[0].Detail != tc.detail || evs[0].Station != "hall" || evs[0].Username != "" {
				t.Errorf("kiosk_start events %+v, want one with %q", evs, tc.detail)
			}
			if tc.forced {
				return
			}
			// An administrator turns the check on behind the PIN, then
			// goes back to the kiosk: the notice goes.
			k.unlock()
			k.s.liveness.check.SetChecked(true)
			k.lock()
			if k.liveOff.Visible() {
				t.Error("the notice stays after the check was turned on")
			}
		})
	}
}
