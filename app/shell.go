package app

import (
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"

	"facelogin/internal/onlogin"
	live "facelogin/recognition/liveness"
)

// shell is what the window and the kiosk are both built on, by newShell
// alone: one Fyne window, the goroutines' lifetime with its UI guard, the
// detector (tracker goroutine) with its labeler, the preview, the capture helper the screens share, the user
// events, and the four screens in tabs. The window lays the preview and
// the tabs side by side; the kiosk shows its own view and the tabs only to
// an administrator.
type shell struct {
	app  fyne.App
	win  fyne.Window
	opts Options
	log  *slog.Logger

	tasks   *tasks
	th      *threshold
	adapt   *atomic.Bool // adaptive templates on (the setting, unless --adaptive=false)
	events  *userEvents
	det     *detector
	preview *preview
	capture *capture

	login    *loginScreen
	register *registerScreen
	users    *usersScreen
	activity *activityScreen // nil without Deps.Activity
	settings *settingsScreen
	adaptive *checkSetting // adaptive templates (the setting)
	liveness *checkSetting // the liveness challenge on (the setting)
	mirror   *checkSetting // the mirrored preview (the setting)
	names    *checkSetting // names on the preview (the setting); nil in the kiosk
	// liveConfig is each login's liveness challenge, window and kiosk
	// (challengeConfig; tests fix the steps).
	liveConfig func() live.Config
	tabs       *container.AppTabs
	// split is the preview beside the tabs (the window's, the kiosk's
	// administrator view), set by whoever builds it; see useSplit.
	split *container.Split
	// onLogin is the on-login action the login path runs (runOnLogin).
	onLogin *onLoginAction

	started bool // UI goroutine only
}

// newShell builds the window and its screens on a. post runs a function on
// the UI goroutine (fyne.Do; tests queue it themselves); the shell always
// wraps it in the guard that drops UI work once stopping began.
func newShell(a fyne.App, deps Deps, opts Options, post func(func())) *shell {
	opts.fill()
	if deps.Quality == nil {
		deps.Quality = defaultGate
	}
	s := &shell{app: a, opts: opts, log: opts.Logger, tasks: newTasks(post), events: &userEvents{}}
	s.log.Info("window language", "language", useLanguage(a.Preferences().String(PrefLanguage)))
	saved := LoadSettings(a.Preferences(), opts.Defaults)
	if opts.Settings != nil {
		saved = *opts.Settings
		if saved.OnLoginTimeout <= 0 {
			saved.OnLoginTimeout = onlogin.DefaultTimeout
		}
	}
	s.th = newThreshold(saved.Threshold)
	s.adaptive = newAdaptiveSetting(a.Preferences(), opts.NoAdaptive, s.log)
	s.adapt = s.adaptive.on
	s.liveness = newLivenessSetting(a.Preferences(), opts.NoLiveness, s.log)
	s.liveConfig = challengeConfig
	s.mirror = newMirrorSetting(a.Preferences(), s.log)

	s.win = a.NewWindow(opts.Title)
	s.win.Resize(fyne.NewSize(1100, 640))
	s.det = &detector{camera: deps.Camera, tracker: deps.Tracker, engine: deps.Engine, poll: opts.Poll, log: s.log}
	if !opts.noLabels {
		s.names = newPreviewNamesSetting(a.Preferences(), s.log)
		newLabeler(s.det, deps.Users, s.th, s.names.on)
	}
	s.preview = newPreview(deps.Camera, s.det, s.tasks.do, opts.Poll, s.log)
	s.preview.mirror = s.mirror.on
	s.det.onDescriptor = s.preview.showDescriptor // the descriptor strip
	s.capture = newCapture(s.tasks, s.det)
	register := captureLimits{frames: opts.RegisterFrames, timeout: opts.CaptureTimeout}
	login := captureLimits{frames: opts.LoginFrames, timeout: opts.CaptureTimeout}
	s.login = newLoginScreen(s.capture, deps.Users, s.th, s.adapt, s.events, login, s.log)
	s.register = newRegisterScreen(s.capture, deps.Users, deps.Quality, s.th, s.events, register, s.win, s.log, opts.Administrator)
	s.users = newUsersScreen(s.capture, deps.Users, deps.Quality, s.th, s.events, register, s.win, s.log)
	var rec OnLoginRecorder
	if deps.Activity != nil {
		rec = deps.Activity
	}
	s.onLogin = newOnLoginAction(deps.OnLogin, rec, opts.Station, s.log)
	s.login.action = s.onLogin
	s.login.liveOn = s.liveness.on
	s.login.liveConfig = func() live.Config { return s.liveConfig() }
	s.settings = newSettingsScreen(s.tasks, a.Preferences(), saved, opts.Defaults, deps.Users, s.th, deps.Switcher,
		s.onLogin, opts.OnSettingsSaved, s.log)
	if opts.OnLoginForRun {
		s.settings.onLoginForRun()
	}
	s.tabs = container.NewAppTabs(
		container.NewTabItem(lang.X("tab.login", "Login"), s.login.content),
		container.NewTabItem(lang.X("tab.register", "Register"), s.register.content),
		container.NewTabItem(lang.L("Users"), s.users.content),
	)
	if deps.Activity != nil {
		s.activity = newActivityScreen(s.tasks, deps.Activity, deps.Users, opts.Station, s.win, s.log)
		s.events.subscribe(s.activity.changed)
		s.tabs.Append(container.NewTabItem(lang.L("Activity"), s.activity.content))
	}
	// One scroll for the whole tab: a scroll inside a box gets the box's
	// minimum, one row, and hid the form (TestSettingsTabShowsForm).
	blocks := container.NewVBox(s.settings.content, s.mirror.content)
	if s.names != nil {
		blocks.Add(s.names.content)
	}
	blocks.Add(s.adaptive.content)
	blocks.Add(s.liveness.content)
	blocks.Add(newLanguageSetting(a.Preferences(), s.log).content)
	// Both ways: a pane narrower than the widest setting (a 640×480
	// window) scrolls it sideways rather than cutting it off.
	settingsTab := container.NewScroll(blocks)
	s.tabs.Append(container.NewTabItem(lang.L("Settings"), settingsTab))
	s.tabs.OnSelected = func(t *container.TabItem) {
		s.fitSplit(0)
		switch {
		case t.Content == s.users.content:
			s.users.reload()
		case s.activity != nil && t.Content == s.activity.content:
			s.activity.open()
		case t.Content == settingsTab:
			s.settings.open()
		}
	}
	return s
}

// splitOffset is the preview's share of the width beside the tabs, and
// minPreviewShare the least the Activity screen leaves it.
const (
	splitOffset     = 0.62
	minPreviewShare = 0.35
)

// useSplit takes split (the preview leading, the tabs trailing) as the one
// whose tabs' side the Activity screen widens.
func (s *shell) useSplit(split *container.Split) {
	split.Offset = splitOffset
	s.split = split
	if s.activity != nil {
		s.activity.onNeed = s.fitSplit
	}
}

// fitSplit gives the tabs extra more pixels while the Activity screen is
// shown, so its table shows every column whole (the preview keeps at
// least minPreviewShare of the width), and the preview its usual share
// back when another tab is. UI goroutine.
func (s *shell) fitSplit(extra float32) {
	if s.split == nil {
		return
	}
	off := splitOffset
	if t := s.tabs.Selected(); s.activity != nil && t != nil && t.Content == s.activity.content {
		off = s.split.Offset
		// The split's layout gives the trailing side (1-Offset) of the
		// width less its divider: the two sides' widths add up to it.
		if avail := s.split.Leading.Size().Width + s.split.Trailing.Size().Width; extra > 0 && avail > 0 {
			off = max(minPreviewShare, min(off, 1-float64((s.split.Trailing.Size().Width+extra)/avail)))
		}
	}
	if s.split.Offset != off {
		s.split.SetOffset(off)
	}
}

// fill sets the defaults of Options.
func (o *Options) fill() {
	if o.Title == "" {
		o.Title = "Face Login"
	}
	orDefault(&o.Defaults.Threshold, DefaultThreshold)
	orDefault(&o.RegisterFrames, 5)
	orDefault(&o.LoginFrames, 3)
	orDefault(&o.CaptureTimeout, 15*time.Second)
	orDefault(&o.Poll, 4*time.Millisecond)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// orDefault sets *v to def unless it is positive: the zero value of an
// option means its default.
func orDefault[T int | float32 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// start starts the preview, tracker and label goroutines once. UI
// goroutine.
func (s *shell) start() bool {
	if s.started {
		return false
	}
	s.started = true
	s.tasks.Go(s.preview.displayLoop)
	s.tasks.Go(s.det.run)
	if s.det.labels != nil {
		s.tasks.Go(s.det.labels.run)
	}
	return true
}

// stop stops every goroutine the shell or a screen started and waits for
// them. It does not close the camera, engine or store; their owner does.
func (s *shell) stop() { s.tasks.stop() }

// showAndRun shows the window and runs Fyne's event loop until it ends,
// then stops every goroutine.
func (s *shell) showAndRun() {
	defer s.stopOnSignal()()
	s.win.ShowAndRun()
	s.stop()
	s.log.Info("every goroutine stopped")
}

// stopOnSignal begins stopping as soon as SIGINT or SIGTERM arrives. Fyne
// quits its loop on these signals without closing the window (so no
// OnClosed → Stop), and once the loop has ended fyne.Do runs functions at
// once on the calling goroutine: interrupting first makes the guard drop
// that work. The returned function stops listening.
func (s *shell) stopOnSignal() (stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case v := <-sig:
			s.log.Info("stopping on signal", "signal", v.String())
			s.tasks.interrupt()
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
	}
}

// Stats are counters for measuring the window.
type Stats struct {
	Displayed uint64 // frames shown in the preview
	// Overlaid counts the frames shown with their own landmarks (the
	// tracker's result for that very frame): the overlay refresh.
	Overlaid    uint64
	Tracked     uint64 // tracker calls finished
	Descriptors uint64 // descriptors computed (labels and decisions)
}

// Stats returns the counters so far. Safe from any goroutine.
func (s *shell) Stats() Stats {
	return Stats{Displayed: s.preview.displayed.Load(), Overlaid: s.preview.overlaid.Load(),
		Tracked: s.det.count.Load(), Descriptors: s.det.described.Load()}
}
