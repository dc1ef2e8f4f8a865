// Package app is the Fyne window of Face Login: a live camera preview with
// face boxes and landmark contours, and the Login, Register, Users and
// Settings screens. It talks to the camera, the recognition engine and the
// user store only through the small interfaces in deps.go, so it builds and
// tests without cgo.
package app

import (
	"context"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
)

// Deps are what the window drives. Camera, Engine and Users are required.
type Deps struct {
	Camera  FrameSource
	Engine  Engine
	Quality QualityGate // nil: a basic one-face-inside-the-frame check
	Users   Directory
}

// Options tune the window. Zero values take the defaults noted.
type Options struct {
	Title string // window title; "Face Login"
	// Defaults are the settings used where the person has saved none
	// (see LoadSettings). Defaults.Threshold 0 means DefaultThreshold.
	Defaults Settings
	// RegisterFrames is the number of good frames a registration stores; 5.
	RegisterFrames int
	// LoginFrames is the number of frames a login decides from; 3.
	LoginFrames int
	// CaptureTimeout bounds one registration or login; 15 s.
	CaptureTimeout time.Duration
	// Poll is how often the preview asks the camera for a new frame; 4 ms.
	Poll time.Duration
	// Logger receives one line per decision (registration, login, user
	// changes) and failures; slog.Default().
	Logger *slog.Logger
	// OnSettingsSaved, if set, is called on the UI goroutine after the
	// person saves settings.
	OnSettingsSaved func(Settings)
}

// DefaultThreshold is the matching threshold when none is configured:
// recognition's, measured on the labelled photos (dlib's customary 0.6 lets
// lookalikes in).
const DefaultThreshold = recognition.DefaultThreshold

// UI is the main window and its screens.
type UI struct {
	app  fyne.App
	win  fyne.Window
	deps Deps
	opts Options
	log  *slog.Logger

	// do runs f on the UI goroutine; fyne.Do, replaced by tests with a
	// queue they drain themselves.
	do func(f func())

	threshold atomic.Uint32 // float32 bits; read by the detection goroutine

	// busy is true while a registration, login or re-enrolment uses the
	// camera. UI goroutine only.
	busy bool

	preview  *preview
	strip    *descriptorStrip
	login    *loginScreen
	register *registerScreen
	users    *usersScreen
	settings *settingsScreen
	tabs     *container.AppTabs

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started bool
	created time.Time // for the first-frame and closing log lines
}

// New builds the main window on a. Nothing runs until Start (or
// ShowAndRun).
func New(a fyne.App, deps Deps, opts Options) *UI {
	var u *UI
	u = newUI(a, deps, opts, func(f func()) {
		// Once Fyne's loop has ended (the app quit on SIGTERM or
		// Quit), fyne.Do runs f at once on the calling goroutine: drop
		// UI work after Stop instead of touching widgets off the UI
		// goroutine.
		if u.ctx.Err() != nil {
			return
		}
		fyne.Do(func() {
			if u.ctx.Err() == nil {
				f()
			}
		})
	})
	return u
}

func newUI(a fyne.App, deps Deps, opts Options, do func(func())) *UI {
	if opts.Title == "" {
		opts.Title = "Face Login"
	}
	if opts.Defaults.Threshold <= 0 {
		opts.Defaults.Threshold = DefaultThreshold
	}
	if opts.RegisterFrames <= 0 {
		opts.RegisterFrames = 5
	}
	if opts.LoginFrames <= 0 {
		opts.LoginFrames = 3
	}
	if opts.CaptureTimeout <= 0 {
		opts.CaptureTimeout = 15 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = 4 * time.Millisecond
	}
	if deps.Quality == nil {
		deps.Quality = defaultGate
	}
	u := &UI{app: a, deps: deps, opts: opts, log: opts.Logger, do: do, created: time.Now()}
	if u.log == nil {
		u.log = slog.Default()
	}
	u.ctx, u.cancel = context.WithCancel(context.Background())
	s := LoadSettings(a.Preferences(), opts.Defaults)
	u.setThreshold(s.Threshold)

	u.win = a.NewWindow(opts.Title)
	u.strip = newDescriptorStrip()
	u.preview = newPreview(u)
	u.login = newLoginScreen(u)
	u.register = newRegisterScreen(u)
	u.users = newUsersScreen(u)
	u.settings = newSettingsScreen(u, s)
	u.tabs = container.NewAppTabs(
		container.NewTabItem("Login", u.login.content),
		container.NewTabItem("Register", u.register.content),
		container.NewTabItem("Users", u.users.content),
		container.NewTabItem("Settings", u.settings.content),
	)
	u.tabs.OnSelected = func(t *container.TabItem) {
		if t.Content == u.users.content {
			u.users.reload()
		}
	}
	split := container.NewHSplit(u.preview.content, u.tabs)
	split.Offset = 0.62
	u.win.SetContent(split)
	u.win.Resize(fyne.NewSize(1100, 640))
	u.win.SetOnClosed(u.Stop)
	return u
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// Start starts the preview and detection goroutines. Call it once, from the
// UI goroutine (before or after showing the window).
func (u *UI) Start() {
	if u.started {
		return
	}
	u.started = true
	u.preview.start(u.ctx, &u.wg)
}

// Stop stops every goroutine of the window and waits for them. It does not
// close the camera, engine or store; their owner does.
func (u *UI) Stop() {
	u.cancel()
	u.wg.Wait()
}

// ShowAndRun starts the window and runs the Fyne event loop until the
// window closes, then logs how many frames and detections it showed.
func (u *UI) ShowAndRun() {
	u.Start()
	defer u.stopOnSignal()()
	u.win.ShowAndRun()
	u.Stop()
	s := u.Stats()
	args := []any{"displayed", s.Displayed, "detections", s.Detections}
	if first := u.preview.firstShown.Load(); first != 0 {
		// Rates from the first frame on: model loading and camera start
		// are the cold start, measured on their own.
		secs := time.Since(time.Unix(0, first)).Seconds()
		args = append(args, "seconds", round1(secs), "fps", round1(float64(s.Displayed-1)/secs))
	}
	if first := u.preview.firstDetected.Load(); first != 0 && s.Detections > 1 {
		// The overlay rate from the first detection on: the models may
		// still be loading when the first frame shows.
		secs := time.Since(time.Unix(0, first)).Seconds()
		args = append(args, "detections_per_s", round1(float64(s.Detections-1)/secs))
	}
	u.log.Info("window closed", args...)
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// stopOnSignal cancels the window's goroutines as soon as SIGINT or SIGTERM
// arrives. Fyne quits its loop on these signals without closing the window
// (so no OnClosed → Stop), and once the loop has ended fyne.Do runs
// functions at once on the calling goroutine: without this, the preview and
// detection goroutines would refresh widgets off the UI goroutine while Fyne
// tears the window down. Cancelling first makes u.do drop that work. The
// returned function stops listening.
func (u *UI) stopOnSignal() (stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			u.cancel()
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
	Displayed  uint64 // frames shown in the preview
	Detections uint64 // engine calls finished
}

// Stats returns the counters so far. Safe from any goroutine.
func (u *UI) Stats() Stats {
	return Stats{Displayed: u.preview.displayed.Load(), Detections: u.preview.detections.Load()}
}

func (u *UI) setThreshold(t float32) { u.threshold.Store(math.Float32bits(t)) }

// currentThreshold is the matching threshold in force. Any goroutine.
func (u *UI) currentThreshold() float32 { return math.Float32frombits(u.threshold.Load()) }

// beginCapture claims the camera for a registration, login or re-enrolment.
// UI goroutine only.
func (u *UI) beginCapture() bool {
	if u.busy {
		return false
	}
	u.setBusy(true)
	return true
}

// endCapture releases the camera. UI goroutine only.
func (u *UI) endCapture() { u.setBusy(false) }

func (u *UI) setBusy(b bool) {
	u.busy = b
	for _, btn := range []*widget.Button{u.login.button, u.register.button} {
		if b {
			btn.Disable()
		} else {
			btn.Enable()
		}
	}
	u.users.updateButtons()
}
