// Package app is the Fyne window of Face Login — a live camera preview with
// face boxes and landmark contours, and the Login, Register, Users and
// Settings screens — and the fullscreen kiosk built on the same parts.
//
// Both are a thin shell (shell.go) around independent screens. Each screen
// is a struct built by newX from only what it uses: the capture helper
// (busy flag, guarded UI calls, tracked goroutines, detections), a small
// interface carved from Directory, the threshold in force. Screens never
// call into each other; a change to the users is published as a userEvent.
// The login decision is a plain function (decideLogin) that the login
// screen and the kiosk share. The engine runs in one place, the detector.
//
// The package talks to the camera, the recognition engine and the user
// store only through the interfaces in deps.go, so it builds and tests
// without cgo.
package app

import (
	"log/slog"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

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
	// Administrator: the screens are an administrator's (the kiosk's,
	// behind its PIN). Register then names the user a face is already
	// registered as and offers to register it anyway (audited); otherwise
	// it only says that the face is registered, so a stranger learns no
	// names.
	Administrator bool
}

// DefaultThreshold is the matching threshold when none is configured:
// recognition's, measured on the labelled photos (dlib's customary 0.6 lets
// lookalikes in).
const DefaultThreshold = recognition.DefaultThreshold

// UI is the main window: the preview beside the screens' tabs.
type UI struct {
	*shell
}

// New builds the main window on a. Nothing runs until Start (or
// ShowAndRun).
func New(a fyne.App, deps Deps, opts Options) *UI {
	return newUI(a, deps, opts, fyne.Do)
}

func newUI(a fyne.App, deps Deps, opts Options, post func(func())) *UI {
	u := &UI{shell: newShell(a, deps, opts, post)}
	split := container.NewHSplit(u.preview.content, u.tabs)
	split.Offset = 0.62
	u.win.SetContent(split)
	u.win.SetOnClosed(u.Stop)
	return u
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// Start starts the preview and detection goroutines. Call it once, from the
// UI goroutine (before or after showing the window).
func (u *UI) Start() { u.start() }

// Stop stops every goroutine of the window (preview, detection, and what
// the screens started) and waits for them. It does not close the camera,
// engine or store; their owner does.
func (u *UI) Stop() { u.stop() }

// ShowAndRun starts the window and runs the Fyne event loop until the
// window closes, then logs how many frames and detections it showed.
func (u *UI) ShowAndRun() {
	u.Start()
	u.showAndRun()
	s := u.Stats()
	args := []any{"displayed", s.Displayed, "detections", s.Detections}
	if first := u.preview.firstShown.Load(); first != 0 {
		// Rates from the first frame on: model loading and camera start
		// are the cold start, measured on their own.
		secs := time.Since(time.Unix(0, first)).Seconds()
		args = append(args, "seconds", round1(secs), "fps", round1(float64(s.Displayed-1)/secs))
	}
	if first := u.det.first.Load(); first != 0 && s.Detections > 1 {
		// The overlay rate from the first detection on: the models may
		// still be loading when the first frame shows.
		secs := time.Since(time.Unix(0, first)).Seconds()
		args = append(args, "detections_per_s", round1(float64(s.Detections-1)/secs))
	}
	u.log.Info("window closed", args...)
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
