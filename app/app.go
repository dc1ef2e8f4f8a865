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
// screen and the kiosk share.
//
// The models run in one place, the detector (detect.go), on two paths: the
// fast one, a Tracker, gives every camera frame its faces, 68 landmarks and
// track IDs on one goroutine, and the preview draws each frame with its own
// landmarks; the slow one, Engine.Describe, computes the descriptor of one
// tracked face of one frame only when asked — by the labeler (labels.go:
// once per track and every 1.5 s, for the names on the overlay), by a
// registration, a login or the kiosk (for the face and frame they decide
// about). The per-frame stream screens follow, with its timestamps, is
// documented at detection and capture.follow.
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

	"facelogin/internal/onlogin"
	"facelogin/recognition"
)

// Deps are what the window drives. All but Quality are required.
type Deps struct {
	Camera  FrameSource
	Tracker Tracker     // landmarks and track IDs of every frame
	Engine  Engine      // descriptors of tracked faces, on demand
	Quality QualityGate // nil: a basic one-face-inside-the-frame check
	Users   Directory
	// Switcher changes the camera while the window runs; nil: a camera
	// chosen in the settings is used from the next start.
	Switcher CameraSwitcher
	// Activity is the audit log: the Activity screen reads it and the
	// on-login action writes its results to it. nil: no Activity screen.
	Activity ActivityLog
	// OnLogin is the on-login command in force at start (from --on-login
	// or the settings); nil: none.
	OnLogin *onlogin.Runner
}

// Options tune the window. Zero values take the defaults noted.
type Options struct {
	Title string // window title; "Face Login"
	// Defaults are the settings used where the person has saved none
	// (see LoadSettings). Defaults.Threshold 0 means DefaultThreshold.
	Defaults Settings
	// Settings are the settings in force at start, as the owner resolved
	// them (command-line flags over saved settings over Defaults); nil
	// loads the saved ones.
	Settings *Settings
	// Station names this station: the on-login command's
	// FACELOGIN_STATION and a choice of the Activity screen's station
	// filter. The kiosk takes KioskOptions.Station when this is empty.
	Station string
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
	// NoAdaptive turns adaptive templates off for this run, whatever the
	// setting says (--adaptive=false).
	NoAdaptive bool
	// NoLiveness turns the liveness challenge off for this run, whatever
	// the setting says (--liveness=false: tests, evaluations).
	NoLiveness bool
	// OnLoginForRun: the on-login command and time limit in Settings came
	// from the command line (--on-login, --on-login-timeout) for this run.
	// The Settings screen shows them read-only and never saves them; a
	// save keeps the saved ones.
	OnLoginForRun bool
	// noLabels: the preview names nobody (the kiosk: whoever stands at it,
	// or holds up a photo, must not learn who the face is enrolled as
	// before a decision lets them in).
	noLabels bool
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
	u.useSplit(split)
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
// window closes, then logs how many frames it showed, tracked and showed
// with their own landmarks, and their rates.
func (u *UI) ShowAndRun() {
	u.Start()
	u.showAndRun()
	s := u.Stats()
	args := []any{"displayed", s.Displayed, "tracked", s.Tracked, "overlaid", s.Overlaid, "descriptors", s.Descriptors}
	// Rates from the first event of each kind on: model loading and camera
	// start are the cold start, measured on their own.
	args = appendRate(args, "fps", u.preview.firstShown.Load(), s.Displayed)
	args = appendRate(args, "tracked_per_s", u.det.first.Load(), s.Tracked)
	// The overlay refresh: frames shown with their own landmarks per
	// second, from the first such frame.
	args = appendRate(args, "overlay_hz", u.preview.firstOverlay.Load(), s.Overlaid)
	u.log.Info("window closed", args...)
}

// appendRate appends key=(n−1)/seconds since first (UnixNano), if there
// were at least two events.
func appendRate(args []any, key string, first int64, n uint64) []any {
	if first == 0 || n < 2 {
		return args
	}
	secs := time.Since(time.Unix(0, first)).Seconds()
	if key == "fps" {
		args = append(args, "seconds", round1(secs))
	}
	return append(args, key, round1(float64(n-1)/secs))
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
