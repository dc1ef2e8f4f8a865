package app

import (
	"context"
	"image"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"facelogin/internal/onlogin"
	"facelogin/internal/testkit"
	"facelogin/internal/uitest"
	"facelogin/recognition/decision"
	"facelogin/store"
)

// appendCheckin is the README's example action: it appends a line per
// check-in to the CSV file it is given.
func appendCheckin(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../internal/onlogin/testdata/append-checkin.sh")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newRunner(t *testing.T, timeout time.Duration, argv ...string) *onlogin.Runner {
	t.Helper()
	r, err := onlogin.New(argv, timeout)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// onLoginEvents are the on_login events of the audit log, newest first.
func onLoginEvents(t *testing.T, st *store.Store) []store.Event {
	t.Helper()
	var evs []store.Event
	err := st.Events.Each(context.Background(), store.EventQuery{Kinds: []store.EventKind{store.EventOnLogin}}, func(ev store.Event) error {
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestRunOnLogin: the on-login action runs a real process for a successful
// live login only, with the login in its environment, and its result goes
// to the audit log — also when it fails, times out, or the window closes
// while it runs.
func TestRunOnLogin(t *testing.T) {
	st, _ := activityStore(t)
	logBuf := &testkit.LockedBuffer{}
	a := newOnLoginAction(nil, storeLog{st.Events}, "hall", slog.New(slog.NewTextHandler(logBuf, nil)))
	ctx := context.Background()
	at := time.Date(2026, 11, 30, 8, 15, 0, 0, time.UTC)
	live := onlogin.Decision{Success: true, Live: true, User: "ann", Distance: 0.3125, At: at}

	// No action set: nothing runs.
	if _, ran := a.runOnLogin(ctx, live); ran {
		t.Fatal("ran without an action")
	}

	csvPath := filepath.Join(t.TempDir(), "checkins.csv")
	a.set(newRunner(t, 0, appendCheckin(t), csvPath))
	for _, d := range []onlogin.Decision{
		{Success: false, Live: true, User: "ann", Distance: 0.5, At: at}, // refused
		{Success: true, Live: false, User: "ann", Distance: 0.3, At: at}, // a photo
		{Success: true, Live: true, User: "", At: at},                    // nobody
	} {
		if res, ran := a.runOnLogin(ctx, d); ran {
			t.Errorf("ran for %+v: %+v", d, res)
		}
	}
	if _, err := os.Stat(csvPath); !os.IsNotExist(err) {
		t.Fatalf("the command ran for a refused or non-live login: %v", err)
	}
	if evs := onLoginEvents(t, st); len(evs) != 0 {
		t.Fatalf("recorded %+v for attempts that must not run", evs)
	}

	res, ran := a.runOnLogin(ctx, live)
	if !ran || !res.OK() {
		t.Fatalf("live login: ran %v, %+v", ran, res)
	}
	rows := readCSV(t, csvPath)
	want := [][]string{{"time", "user", "station", "distance"}, {at.Local().Format(time.RFC3339), "ann", "hall", "0.3125"}}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("checkins.csv %q, want %q", rows, want)
	}

	// A failing command, one that outlives its time, and one the closing
	// window stops: each result is in the log.
	a.set(newRunner(t, 0, "/bin/sh", "-c", "echo relay offline >&2; exit 3"))
	if res, _ := a.runOnLogin(ctx, live); res.ExitCode != 3 {
		t.Errorf("failing command: %+v", res)
	}
	a.set(newRunner(t, 200*time.Millisecond, "/bin/sleep", "30"))
	if res, _ := a.runOnLogin(ctx, live); !res.TimedOut {
		t.Errorf("slow command: %+v", res)
	}
	closing, cancel := context.WithCancel(ctx)
	cancel()
	if res, _ := a.runOnLogin(closing, live); !res.Cancelled {
		t.Errorf("command of a closing window: %+v", res)
	}
	evs := onLoginEvents(t, st)
	var details []string
	for _, ev := range evs {
		details = append(details, ev.Detail)
		if ev.Username != "ann" || ev.Station != "hall" {
			t.Errorf("event %+v: want ann at hall", ev)
		}
	}
	if len(details) != 4 || details[3] != "exit 0" || details[2] != "exit 3: relay offline" ||
		!strings.HasPrefix(details[1], "timed out after 2") || !strings.HasSuffix(details[0], ": the app was closing") {
		t.Errorf("on_login details, newest first: %q", details)
	}
	if !strings.Contains(logBuf.String(), `msg="on-login action failed" user=ann result="exit 3: relay offline"`) {
		t.Errorf("log:\n%s", logBuf.String())
	}
}

// TestSettingsOnLogin: the settings show the on-login command in force and
// its time limit; a saved change is checked, applies at once and persists;
// a command that cannot run is refused in words and changes nothing.
func TestSettingsOnLogin(t *testing.T) {
	a := test.NewTempApp(t)
	script := appendCheckin(t)
	csvPath := filepath.Join(t.TempDir(), "in.csv")
	command := onlogin.FormatArgv([]string{script, csvPath})
	start := Settings{CameraSource: "0", Threshold: DefaultThreshold, OnLogin: "/bin/true", OnLoginTimeout: 3 * time.Second}
	runner := newRunner(t, 3*time.Second, "/bin/true")
	h := newHarnessWith(t, a, image.NewRGBA(image.Rect(0, 0, 640, 480)), newFakeEngine(), newFakeDirectory(),
		Options{Settings: &start}, func(d *Deps) { d.OnLogin = runner })
	st := h.u.settings
	if st.onLogin.command.Text != "/bin/true" || st.onLogin.timeout.Text != "3" || h.u.onLogin.get() != runner {
		t.Fatalf("shown %q %q", st.onLogin.command.Text, st.onLogin.timeout.Text)
	}

	refused := []struct{ command, timeout, says string }{
		{"bin/open-door", "10", "Not saved. The on-login command can't be used: program \"bin/open-door\": give an absolute path"},
		{`["/bin/true", 3]`, "10", "Not saved. The on-login command can't be used: "},
		{"/nonexistent/open-door", "10", "Not saved. The on-login program can't be run: "},
		{"no-such-program-facelogin", "10", "Not saved. The on-login program can't be run: program \"no-such-program-facelogin\""},
		{"/bin/true", "0", "Not saved. The on-login time limit must be a number of seconds from 1 to 600."},
		{"/bin/true", "ten", "Not saved. The on-login time limit must be a number of seconds from 1 to 600."},
	}
	for _, c := range refused {
		st.onLogin.command.SetText(c.command)
		st.onLogin.timeout.SetText(c.timeout)
		test.Tap(st.save)
		if !strings.HasPrefix(st.message.Text, c.says) || st.message.Importance != widget.DangerImportance {
			t.Errorf("%s / %s: message %q, want %q…", c.command, c.timeout, st.message.Text, c.says)
		}
		if h.u.onLogin.get() != runner || a.Preferences().String(PrefOnLogin) != "" {
			t.Errorf("%s: a refused command changed the action or the saved settings", c.command)
		}
	}
	if strings.Contains(st.message.Text, "facelogin") && strings.Contains(st.message.Text, "onlogin:") {
		t.Errorf("programmer words in %q", st.message.Text)
	}

	st.onLogin.command.SetText(" " + command + " ")
	st.onLogin.timeout.SetText("2.5")
	test.Tap(st.save)
	if st.message.Text != "Saved." {
		t.Fatalf("message %q", st.message.Text)
	}
	r := h.u.onLogin.get()
	if r == nil || !slices.Equal(r.Argv(), []string{script, csvPath}) {
		t.Fatalf("action in force %v", r)
	}
	if p := a.Preferences(); p.String(PrefOnLogin) != command || p.Float(PrefOnLoginTimeout) != 2.5 {
		t.Errorf("saved %q %v", p.String(PrefOnLogin), p.Float(PrefOnLoginTimeout))
	}
	if res, ran := h.u.onLogin.runOnLogin(context.Background(), onlogin.Decision{Success: true, Live: true, User: "ann"}); !ran || !res.OK() {
		t.Errorf("the saved action does not run: %+v", res)
	}
	if _, err := os.Stat(csvPath); err != nil {
		t.Errorf("the saved action did not run: %v", err)
	}

	// The next start shows the saved command; emptying it turns it off.
	h.u.stop()
	saved := LoadSettings(a.Preferences(), Settings{})
	if saved.OnLogin != command || saved.OnLoginTimeout != 2500*time.Millisecond {
		t.Errorf("loaded %q %v", saved.OnLogin, saved.OnLoginTimeout)
	}
	h2 := newHarnessOn(t, a, image.NewRGBA(image.Rect(0, 0, 640, 480)), newFakeEngine(), newFakeDirectory(), Options{})
	st2 := h2.u.settings
	if st2.onLogin.command.Text != command || st2.onLogin.timeout.Text != "2.5" {
		t.Errorf("after restart %q %q", st2.onLogin.command.Text, st2.onLogin.timeout.Text)
	}
	// Started without the runner (cmd could not start the saved program):
	// the settings say it is off.
	if !strings.Contains(st2.message.Text, "on-login command could not be started and is off") {
		t.Errorf("message %q", st2.message.Text)
	}
	st2.onLogin.command.SetText("")
	test.Tap(st2.save)
	if h2.u.onLogin.get() != nil || a.Preferences().String(PrefOnLogin) != "" {
		t.Error("emptying the command did not turn the action off")
	}
}

// TestKioskActivityAndOnLoginAdminOnly: in the kiosk, the Activity screen
// and the on-login settings exist only behind the administrator PIN, and
// the audit log is not read before.
func TestKioskActivityAndOnLoginAdminOnly(t *testing.T) {
	st, path := activityStore(t)
	seedEvents(t, path, activityWeek(testkit.Madrid(t)))
	cl := &countingLog{ActivityLog: storeLog{st.Events}}
	kh := newKioskHarnessWith(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), KioskOptions{Station: "hall"}, false, 0,
		func(d *Deps) { d.Activity = cl })
	k := kh.k
	if k.s.activity == nil {
		t.Fatal("no Activity screen in the kiosk")
	}
	hidden := func(when string) {
		uitest.Paint(k.Window().Canvas())
		for _, o := range uitest.Shown(k.Window().Content()) {
			if o == k.s.activity.content || o == k.s.settings.onLogin.command || o == k.s.tabs {
				t.Fatalf("%s: the Activity screen or the on-login setting is on screen", when)
			}
		}
	}
	hidden("scanning")
	test.Tap(k.adminButton)
	hidden("PIN panel open")
	test.Type(k.pin.entry, "1357")
	test.Tap(k.pin.ok)
	kh.waitFor("the wrong PIN's answer", func() bool { return !k.pinChecking })
	hidden("after a wrong PIN")
	if n := cl.pages.Load() + cl.counts.Load() + cl.summaries.Load() + cl.walks.Load(); n != 0 {
		t.Fatalf("the audit log was read %d times before the PIN", n)
	}

	kh.clock.advance(time.Hour) // past the wrong PIN's back-off
	kh.waitFor("the PIN entry", func() bool { return !k.pin.entry.Disabled() })
	test.Type(k.pin.entry, testPIN)
	test.Tap(k.pin.ok)
	kh.waitFor("the unlock", func() bool { return k.unlocked })
	var tabs []string
	for _, it := range k.s.tabs.Items {
		tabs = append(tabs, it.Text)
		if it.Text == "Activity" {
			k.s.tabs.Select(it)
		}
	}
	if !slices.Contains(tabs, "Activity") {
		t.Fatalf("unlocked tabs %q", tabs)
	}
	kh.waitFor("the first page", func() bool { return len(k.s.activity.rows) > 0 && k.s.activity.cancels[0] == nil })
	found := false
	uitest.Paint(k.Window().Canvas())
	for _, o := range uitest.Shown(k.Window().Content()) {
		found = found || o == k.s.activity.table
	}
	if !found {
		t.Error("the Activity table is not on screen in administrator mode")
	}
	for _, it := range k.s.tabs.Items {
		if it.Text == "Settings" {
			k.s.tabs.Select(it)
		}
	}
	uitest.Paint(k.Window().Canvas())
	if !slices.Contains(uitest.Shown(k.Window().Content()), fyne.CanvasObject(k.s.settings.onLogin.command)) {
		t.Error("the on-login setting is not on screen in administrator mode")
	}

	// Back to the kiosk: hidden again.
	test.Tap(findButton(t, k.admin, "Back to kiosk"))
	hidden("locked again")
}

// findButton is the button labelled text under o.
func findButton(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	for _, c := range uitest.Shown(o) {
		if b, ok := c.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no %q button", text)
	return nil
}

// checkinRows are the data rows the README's example action wrote to path.
func checkinRows(t *testing.T, path string) [][]string {
	t.Helper()
	return readCSV(t, path)[1:]
}

// TestLoginRunsOnLoginAction: the window's Log in runs the on-login action
// (a real process: the README's CSV example) after an accepted login, with
// the user, station and distance of the decision, and never after a
// refused one.
func TestLoginRunsOnLoginAction(t *testing.T) {
	f := newLoginFixture(t, Options{Station: "hall"})
	h := f.h
	csvPath := filepath.Join(t.TempDir(), "checkins.csv")
	h.u.onLogin.set(newRunner(t, 10*time.Second, appendCheckin(t), csvPath))

	h.cam.show(f.ludaFrame)
	h.login("")
	if h.u.login.result.Text != "Not recognised" {
		t.Fatalf("stranger: result %q", h.u.login.result.Text)
	}
	h.cam.show(f.elkieFrame)
	h.login("")
	if h.u.login.result.Text != "Welcome, elkie" {
		t.Fatalf("elkie: result %q", h.u.login.result.Text)
	}
	h.waitFor("the on-login action's result", func() bool { return strings.Contains(h.log.String(), `msg="on-login action`) })
	h.u.stop() // waits for every goroutine, a stray action included
	rows := checkinRows(t, csvPath)
	if len(rows) != 1 || rows[0][1] != "elkie" || rows[0][2] != "hall" {
		t.Fatalf("check-ins %q: want one, elkie's at hall (none for the stranger)", rows)
	}
	if _, err := time.Parse(time.RFC3339, rows[0][0]); err != nil {
		t.Errorf("FACELOGIN_TIME %q: %v", rows[0][0], err)
	}
	if d, err := strconv.ParseFloat(rows[0][3], 32); err != nil || math.Abs(d-float64(h.u.login.gauge.distance)) > 1e-4 {
		t.Errorf("FACELOGIN_DISTANCE %q, the decision's distance %.4f", rows[0][3], h.u.login.gauge.distance)
	}
	if !strings.Contains(h.log.String(), `msg="on-login action" user=elkie result="exit 0"`) {
		t.Errorf("log:\n%s", h.log.String())
	}
}

// TestKioskRunsOnLoginAction: the kiosk's welcome runs the on-login action
// with the kiosk's station; its refusals never do.
func TestKioskRunsOnLoginAction(t *testing.T) {
	kh := newKioskHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)),
		KioskOptions{Station: "front-door", ResultFor: 50 * time.Millisecond, MaxFailures: 100}, false)
	csvPath := filepath.Join(t.TempDir(), "checkins.csv")
	kh.k.s.onLogin.set(newRunner(t, 10*time.Second, appendCheckin(t), csvPath))
	elkie, luda, _ := kh.probes()
	kh.cam.show(luda)
	kh.waitFor("two refusals", func() bool { return len(kh.logins()) >= 2 })
	kh.cam.show(elkie)
	kh.waitFor("the welcome", func() bool { return kh.resultShown() && kh.k.resultTitle.Text == "Welcome, elkie" })
	kh.waitFor("the on-login action's result", func() bool { return strings.Contains(kh.log.String(), `msg="on-login action`) })
	kh.k.Stop()
	if !strings.Contains(kh.log.String(), `msg="on-login action" user=elkie result="exit 0"`) {
		t.Errorf("log:\n%s", kh.log.String())
	}
	rows := checkinRows(t, csvPath)
	if len(rows) != 1 || rows[0][1] != "elkie" || rows[0][2] != "front-door" {
		t.Fatalf("check-ins %q: want one, elkie's at front-door (none for the stranger)", rows)
	}
}

// TestAfterLoginGate: an accepted login runs the action unless its
// liveness check failed; a refused one never does.
func TestAfterLoginGate(t *testing.T) {
	tk := newTasks(func(f func()) { f() })
	a := newOnLoginAction(nil, nil, "hall", slog.New(slog.DiscardHandler))
	csvPath := filepath.Join(t.TempDir(), "checkins.csv")
	a.set(newRunner(t, 10*time.Second, appendCheckin(t), csvPath))
	at := time.Now()
	accepted := func(user string, l liveness) loginResult {
		return loginResult{Decision: decision.Decision{User: user, Distance: 0.3, Reason: decision.Accepted, Frames: 3}, Liveness: l}
	}
	refused := func(user string, l liveness) loginResult {
		return loginResult{Decision: decision.Decision{User: user, Distance: 0.5, Reason: decision.TooFar, Frames: 3}, Liveness: l}
	}
	for _, res := range []loginResult{
		refused("ann", livenessNotChecked),
		refused("ann", livenessPassed),
		accepted("bob", livenessFailed),
		accepted("cid", livenessPassed),
		accepted("dee", livenessNotChecked), // not checked: the liveness setting off
		{Decision: decision.Decision{User: "eve", Distance: 0.3, Reason: decision.Accepted, Frames: 3}, Disabled: true, Liveness: livenessPassed},
	} {
		a.afterLogin(tk, res, at)
		tk.wg.Wait() // one at a time: the CSV file is appended to in order
	}
	tk.stop()
	var users []string
	for _, r := range checkinRows(t, csvPath) {
		users = append(users, r[1])
	}
	if !slices.Equal(users, []string{"cid", "dee"}) {
		t.Errorf("the action ran for %q, want cid and dee", users)
	}
}

// TestOnLoginForRunNotSaved: an on-login command given on the command line
// (--on-login) is for that run: Settings shows it read-only, and saving the
// other settings keeps the saved command — the next start without the flag
// does not run it (found by a tester: one Save made it permanent).
func TestOnLoginForRunNotSaved(t *testing.T) {
	a := test.NewTempApp(t)
	a.Preferences().SetString(PrefOnLogin, "/bin/false")
	a.Preferences().SetFloat(PrefOnLoginTimeout, 7)
	start := Settings{CameraSource: "0", Threshold: DefaultThreshold, OnLogin: "/bin/true", OnLoginTimeout: 3 * time.Second}
	runner := newRunner(t, 3*time.Second, "/bin/true")
	h := newHarnessWith(t, a, image.NewRGBA(image.Rect(0, 0, 640, 480)), newFakeEngine(), newFakeDirectory(),
		Options{Settings: &start, OnLoginForRun: true}, func(d *Deps) { d.OnLogin = runner })
	st := h.u.settings
	if st.onLogin.command.Text != "/bin/true" || !st.onLogin.command.Disabled() || !st.onLogin.timeout.Disabled() {
		t.Fatalf("shown %q, disabled %v: want the run's command, read-only", st.onLogin.command.Text, st.onLogin.command.Disabled())
	}
	if !strings.Contains(st.onLogin.help.Text, "--on-login for this run only") {
		t.Errorf("help %q does not say the command is for this run", st.onLogin.help.Text)
	}
	st.threshold.SetValue(0.4)
	test.Tap(st.save)
	if st.message.Text != "Saved." {
		t.Fatalf("message %q", st.message.Text)
	}
	p := a.Preferences()
	if p.String(PrefOnLogin) != "/bin/false" || p.Float(PrefOnLoginTimeout) != 7 {
		t.Errorf("saved on-login %q %v: the run's command was saved over the saved one", p.String(PrefOnLogin), p.Float(PrefOnLoginTimeout))
	}
	if math.Abs(p.Float(PrefThreshold)-0.4) > 1e-6 {
		t.Errorf("saved threshold %v, want 0.4", p.Float(PrefThreshold))
	}
	if h.u.onLogin.get() != runner {
		t.Error("saving changed the action in force for this run")
	}
}
