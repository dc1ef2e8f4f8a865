package app

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"facelogin/internal/adminpin"
	"facelogin/recognition"
	"facelogin/recognition/decision"
	live "facelogin/recognition/liveness"
)

// KioskOptions tune the kiosk. Zero values take the defaults noted.
type KioskOptions struct {
	// Station is the name shown on screen. The store, not the kiosk,
	// writes the station into the audit log (store.Config.Station), so the
	// two should agree.
	Station string
	// SteadyFrames is how many tracked frames in a row must show the same
	// single face (one track ID) before it is identified; 8 (a quarter of
	// a second at 30 fps). The decision is made from the descriptors of
	// up to kioskDecideFrames of them, spread over the run.
	SteadyFrames int
	// ResultFor is how long "Welcome, NAME" or "Not recognised" stays on
	// screen; 4 s.
	ResultFor time.Duration
	// RepeatAfter: a person just welcomed who stays in view is not
	// welcomed (and logged) again until they leave the picture or this
	// much time has passed; 1 min.
	RepeatAfter time.Duration
	// MaxFailures is the number of failed attempts in a row — refused
	// identifications and failed liveness challenges alike — after which
	// the kiosk stops identifying for Lockout; 5.
	MaxFailures int
	// Lockout is the first lockout window; each further lockout without a
	// success in between doubles it, up to 16 times; 30 s.
	Lockout time.Duration
	// CheckPIN reports whether pin is the administrator PIN. It may be
	// slow (a key-derivation function) and runs on its own goroutine. nil
	// means no PIN is set: the kiosk can then be neither unlocked nor left
	// from the window.
	CheckPIN func(pin string) (bool, error)
	// PINBackoff is the wait after the first wrong PIN, doubled after each
	// further wrong PIN in a row, up to MaxPINBackoff; 1 s and 5 min.
	PINBackoff    time.Duration
	MaxPINBackoff time.Duration
	// PINAttempts keeps the wrong PINs and the back-off across restarts
	// (adminpin.AttemptsFile beside the PIN file); nil keeps them in
	// memory only. A missing or damaged record counts as the longest
	// back-off (adminpin.Resume).
	PINAttempts adminpin.AttemptStore
	// OnExit is called on the UI goroutine when an administrator leaves
	// the kiosk; nil quits the Fyne app.
	OnExit func()
	// AdminIdle: the unlocked administrator screens go back to the kiosk
	// after this long without input (mouse or touch movement over them, a
	// key no field took); 2 min. An administrator who walks away must not
	// leave Settings, Users and Activity open to the next person.
	AdminIdle time.Duration
}

// Kiosk text sizes: readable from a step or two away.
const (
	kioskPromptSize = 44
	kioskTitleSize  = 110
	kioskDetailSize = 40
	kioskSmallSize  = 20
)

// Kiosk colours.
var (
	kioskBack      = color.NRGBA{0x10, 0x10, 0x10, 0xff}
	kioskText      = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	kioskDim       = color.NRGBA{0xa0, 0xa0, 0xa0, 0xff}
	kioskWarn      = color.NRGBA{0xfb, 0xbf, 0x24, 0xff} // prompt: several faces
	kioskWelcome   = color.NRGBA{0x16, 0xa3, 0x4a, 0xff} // result: recognised
	kioskRefused   = color.NRGBA{0xdc, 0x26, 0x26, 0xff} // result: not recognised
	kioskLockedOut = color.NRGBA{0xd9, 0x77, 0x06, 0xff} // result: lockout
	kioskVeil      = color.NRGBA{0x00, 0x00, 0x00, 0xd0} // behind the PIN panel
)

// kioskDecideFrames is how many frames of a steady run the kiosk describes
// and decides from.
const kioskDecideFrames = 4

// Prompts of the scanning screen.
const (
	promptLook       = "Look at the camera"
	promptHold       = "Hold still…"
	promptOneAtATime = "One person at a time, please"
	promptNext       = "Next person, please"
)

// Kiosk is the fullscreen, unattended window: the live preview with its
// overlays, continuous identification of whoever steps up, and an
// administrator PIN that unlocks the normal screens or leaves the kiosk.
type Kiosk struct {
	s     *shell
	users loginDirectory
	audit KioskRecorder // nil without Deps.Activity
	opts  KioskOptions
	// now is the kiosk's clock for results, lockouts, repeats and PIN
	// back-off: time.Now; tests move it on instead of waiting.
	now func() time.Time

	prompt    *canvas.Text
	promptBox *fyne.Container     // prompt, fitted to the window's width (fitText)
	progress  *widget.ProgressBar // the liveness challenge's, hidden otherwise
	// liveOff says, for as long as it is so, that the liveness check is
	// off: a photo of a registered person can then check in.
	liveOff     *canvas.Text
	station     *canvas.Text
	adminButton *widget.Button
	// camStatus is the public camera line: running or not, never the
	// source (a device path, a file, a host); the admin screens show that.
	camStatus *widget.Label
	scan      fyne.CanvasObject // preview, prompt, station line

	result       *fyne.Container // full-window result, hidden while scanning
	resultBack   *canvas.Rectangle
	resultTitle  *canvas.Text
	resultDetail *canvas.Text
	detailBox    *fyne.Container // resultDetail fitted to the window's width

	pin *pinPanel

	view  *fyne.Container   // what the kiosk shows: scan, result, PIN panel
	admin fyne.CanvasObject // the unlocked screens

	// paused stops identification: the PIN panel is open or an
	// administrator has unlocked the kiosk. Set on the UI goroutine, read
	// by the identification goroutine.
	paused atomic.Bool

	// adminOpen mirrors unlocked for the identification goroutine, which
	// checks the administrator's idle time; lastInput is the newest input
	// on the admin screens (UnixNano of k.now()).
	adminOpen atomic.Bool
	pinOpen   atomic.Bool // the PIN panel is open (identification paused)
	lastInput atomic.Int64
	inputs    *inputWatch // over the admin screens

	// UI goroutine only.
	unlocked     bool
	pinFor       pinPurpose
	pinFailures  int
	pinWaitUntil time.Time
	pinChecking  bool
	pinTimer     *time.Timer // next step of the back-off countdown
}

// NewKiosk builds the kiosk window on a. Nothing runs until Start (or
// ShowAndRun).
func NewKiosk(a fyne.App, deps Deps, opts Options, kopts KioskOptions) *Kiosk {
	return newKiosk(a, deps, opts, kopts, fyne.Do)
}

func newKiosk(a fyne.App, deps Deps, opts Options, kopts KioskOptions, post func(func())) *Kiosk {
	if opts.Title == "" {
		opts.Title = "Face Login kiosk"
	}
	kopts.fill()
	if opts.Station == "" {
		opts.Station = kopts.Station
	}
	opts.Administrator = true // its screens are shown only after the PIN
	opts.noLabels = true      // the preview names nobody (TestKioskPreviewNamesNobody)
	if kopts.OnExit == nil {
		kopts.OnExit = a.Quit
	}
	k := &Kiosk{s: newShell(a, deps, opts, post), users: deps.Users, opts: kopts, now: time.Now}
	if deps.Activity != nil {
		k.audit = deps.Activity
	}
	k.build()
	w := k.s.win
	w.SetContent(k.view)
	w.SetPadded(false)
	w.SetFullScreen(true)
	w.SetCloseIntercept(k.onCloseRequest)
	w.Canvas().SetOnTypedKey(k.onTypedKey)
	return k
}

// fill sets the defaults of KioskOptions.
func (o *KioskOptions) fill() {
	orDefault(&o.SteadyFrames, 8)
	orDefault(&o.ResultFor, 4*time.Second)
	orDefault(&o.RepeatAfter, time.Minute)
	orDefault(&o.MaxFailures, 5)
	orDefault(&o.Lockout, 30*time.Second)
	orDefault(&o.PINBackoff, time.Second)
	orDefault(&o.MaxPINBackoff, 5*time.Minute)
	orDefault(&o.AdminIdle, 2*time.Minute)
}

func (k *Kiosk) build() {
	p := k.s.preview
	k.prompt = canvas.NewText(lang.L(promptLook), kioskText)
	k.prompt.TextStyle.Bold = true
	k.prompt.Alignment = fyne.TextAlignCenter
	k.promptBox = fitText(k.prompt, kioskPromptSize)
	station := "Face Login"
	if k.opts.Station != "" {
		station = "Face Login · " + k.opts.Station
	}
	k.progress = widget.NewProgressBar()
	k.progress.TextFormatter = func() string { return "" }
	k.progress.Hide()
	k.liveOff = canvas.NewText(lang.L("Liveness check off"), kioskWarn)
	k.liveOff.TextStyle.Bold = true
	k.liveOff.TextSize = kioskSmallSize
	k.liveOff.Alignment = fyne.TextAlignCenter
	k.showLivenessOff()
	k.station = canvas.NewText(station, kioskDim)
	k.station.TextSize = kioskSmallSize
	k.adminButton = &widget.Button{Text: lang.L("Admin"), Importance: widget.LowImportance, OnTapped: func() { k.openPIN(pinUnlock) }}
	// The camera status wraps, so it takes the middle of a border layout
	// (a box would give it no width).
	k.camStatus = widget.NewLabel(lang.L(cameraStarting))
	k.camStatus.Wrapping = fyne.TextWrapWord
	k.camStatus.Alignment = fyne.TextAlignCenter
	p.onStatus = k.showCameraStatus
	bottom := container.NewBorder(nil, nil, k.station, k.adminButton, k.camStatus)
	k.scan = container.NewStack(
		canvas.NewRectangle(kioskBack),
		container.NewBorder(container.NewPadded(container.NewVBox(k.promptBox, k.progress, k.liveOff)), container.NewPadded(bottom), nil, nil, p.image),
	)

	k.resultBack = canvas.NewRectangle(kioskWelcome)
	k.resultTitle = canvas.NewText("", kioskText)
	k.resultTitle.TextStyle.Bold = true
	k.resultTitle.Alignment = fyne.TextAlignCenter
	k.resultDetail = canvas.NewText("", kioskText)
	k.resultDetail.Alignment = fyne.TextAlignCenter
	k.detailBox = fitText(k.resultDetail, kioskDetailSize)
	// A box, not a centre layout: the lines get the window's width to fit
	// (fitText), and the spacers centre them vertically.
	k.result = container.NewStack(k.resultBack, container.NewPadded(container.NewVBox(layout.NewSpacer(),
		fitText(k.resultTitle, kioskTitleSize), k.detailBox, layout.NewSpacer())))
	k.result.Hide()

	k.pin = newPINPanel(k)
	k.view = container.NewStack(k.scan, k.result, k.pin.content)

	back := &widget.Button{Text: lang.L("Back to kiosk"), Icon: theme.ViewRestoreIcon(), OnTapped: k.lock}
	exit := &widget.Button{Text: lang.L("Exit kiosk"), Icon: theme.LogoutIcon(), Importance: widget.DangerImportance, OnTapped: k.exit}
	bar := container.NewHBox(widget.NewLabelWithStyle(lang.L("Administrator mode"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		layout.NewSpacer(), back, exit)
	split := container.NewHSplit(p.content, k.s.tabs)
	k.s.useSplit(split)
	k.inputs = newInputWatch(k.noteInput)
	// The screens scroll below the header: on a small screen (640×480)
	// their minimum size is larger than the window, and the driver grew
	// the window past the screen's top edge with the header and its
	// buttons on it — the administrator could not leave the kiosk.
	k.admin = container.NewStack(container.NewBorder(container.NewPadded(bar), nil, nil, nil, container.NewScroll(split)), k.inputs)
}

// Public camera lines of the kiosk.
const (
	cameraStarting = "Starting camera…"
	cameraRunning  = "Camera running"
	cameraRetrying = "Camera unavailable — retrying"
	cameraFailed   = "Camera unavailable — please tell an administrator"
)

// showCameraStatus shows st on the public status line without its
// details. UI goroutine.
func (k *Kiosk) showCameraStatus(st CameraStatus) {
	text, imp := lang.L(cameraRunning), widget.MediumImportance
	switch {
	case st.OK:
	case st.Starting:
		text = lang.L(cameraStarting)
	case st.Final:
		text, imp = lang.L(cameraFailed), widget.DangerImportance
	default:
		text, imp = lang.L(cameraRetrying), widget.DangerImportance
	}
	k.camStatus.Text, k.camStatus.Importance = text, imp
	k.camStatus.Refresh()
}

// noteInput records input on the admin screens. Any goroutine.
func (k *Kiosk) noteInput() { k.lastInput.Store(k.now().UnixNano()) }

// checkIdle locks the admin screens once nobody has used them for
// AdminIdle, and closes a PIN panel left open as long (identification
// waits while it is open). The identification goroutine calls it every
// tick.
func (k *Kiosk) checkIdle(now time.Time) {
	if k.pinOpen.Load() && now.Sub(time.Unix(0, k.lastInput.Load())) >= k.opts.AdminIdle && k.pinOpen.CompareAndSwap(true, false) {
		k.s.tasks.do(func() {
			if !k.pin.content.Visible() {
				return
			}
			if k.pinChecking || k.now().Sub(time.Unix(0, k.lastInput.Load())) < k.opts.AdminIdle {
				k.pinOpen.Store(true) // typed meanwhile, or checking the PIN
				return
			}
			k.s.log.Info("kiosk: PIN panel closed, nobody typed", "after", k.opts.AdminIdle)
			k.closePIN()
		})
	}
	if !k.adminOpen.Load() || now.Sub(time.Unix(0, k.lastInput.Load())) < k.opts.AdminIdle {
		return
	}
	if !k.adminOpen.CompareAndSwap(true, false) {
		return
	}
	k.s.tasks.do(func() {
		if !k.unlocked {
			return
		}
		if idle := k.now().Sub(time.Unix(0, k.lastInput.Load())); idle < k.opts.AdminIdle {
			k.adminOpen.Store(true) // input came meanwhile
			return
		}
		k.s.log.Info("kiosk locked: administrator idle", "after", k.opts.AdminIdle)
		// A dialog left open (settings, a file chooser) must not stay on
		// top of the kiosk.
		ov := k.s.win.Canvas().Overlays()
		for o := ov.Top(); o != nil; o = ov.Top() {
			ov.Remove(o)
		}
		k.lock()
	})
}

// Window is the kiosk window.
func (k *Kiosk) Window() fyne.Window { return k.s.win }

// Start starts the preview and the identification goroutine. Call it once,
// from the UI goroutine.
func (k *Kiosk) Start() {
	if k.s.start() {
		k.resumePINAttempts()
		k.showLivenessOff()
		k.recordStart()
		k.s.tasks.Go(k.run)
	}
}

// showLivenessOff shows the notice "Liveness check off" while the check
// is off (--liveness=false, or the setting behind the PIN), hides it
// otherwise. UI goroutine.
func (k *Kiosk) showLivenessOff() {
	if k.s.liveness.on.Load() {
		k.liveOff.Hide()
	} else {
		k.liveOff.Show()
	}
}

// recordStart writes a kiosk started with the liveness check off to the
// audit log (kiosk_start): its check-ins then prove nobody was live.
func (k *Kiosk) recordStart() {
	if k.s.liveness.on.Load() {
		return
	}
	why := "the setting"
	if k.s.opts.NoLiveness {
		why = "--liveness=false"
	}
	detail := "liveness check off (" + why + ")"
	k.s.log.Warn("kiosk started with the liveness check off: a photo of a registered person can check in", "station", k.opts.Station, "by", why)
	if k.audit == nil {
		return
	}
	k.s.tasks.Go(func(ctx context.Context) {
		ctx, cancel := recordContext(ctx)
		defer cancel()
		if err := k.audit.RecordKioskStart(ctx, detail); err != nil {
			k.s.log.Error("record kiosk start", "err", err)
		}
	})
}

// Stop stops every goroutine of the kiosk and waits for them.
func (k *Kiosk) Stop() { k.s.stop() }

// ShowAndRun shows the kiosk fullscreen and runs the Fyne event loop until
// an administrator leaves it.
func (k *Kiosk) ShowAndRun() {
	k.Start()
	k.s.showAndRun()
}

// onCloseRequest is the window's close intercept (Alt-F4, the window
// manager's close button): only an administrator may leave.
func (k *Kiosk) onCloseRequest() {
	if k.unlocked {
		k.exit()
		return
	}
	k.s.log.Info("kiosk: close request needs the administrator PIN")
	k.openPIN(pinExit)
}

// onTypedKey sees keys no widget has taken. Escape must not leave the
// kiosk; it is only noted.
func (k *Kiosk) onTypedKey(ev *fyne.KeyEvent) {
	if k.unlocked {
		k.noteInput()
	}
	if ev.Name == fyne.KeyEscape && !k.unlocked {
		k.s.log.Info("kiosk: Escape ignored")
	}
}

// unlock shows the normal screens. UI goroutine.
func (k *Kiosk) unlock() {
	k.unlocked = true
	k.paused.Store(true)
	k.noteInput()
	k.adminOpen.Store(true)
	k.s.log.Info("kiosk unlocked by administrator")
	k.s.win.SetContent(k.admin)
	k.admin.Refresh()
}

// lock returns from the normal screens to the kiosk. UI goroutine.
func (k *Kiosk) lock() {
	k.unlocked = false
	k.adminOpen.Store(false)
	k.s.log.Info("kiosk locked")
	k.showLivenessOff() // the setting may have changed meanwhile
	k.s.win.SetContent(k.view)
	k.view.Refresh()
	k.paused.Store(false)
}

func (k *Kiosk) exit() {
	k.s.log.Info("kiosk left by administrator")
	// From here on the goroutines' UI updates are dropped: once Fyne's
	// loop has ended, fyne.Do would run them on their own goroutines.
	k.s.tasks.interrupt()
	k.opts.OnExit()
}

// setPrompt shows the scanning prompt. UI goroutine.
func (k *Kiosk) setPrompt(text string, col color.Color) {
	k.prompt.Text = text
	k.prompt.Color = col
	k.promptBox.Refresh()
}

// showResult covers the window with a result. UI goroutine.
func (k *Kiosk) showResult(title, detail string, back color.Color) {
	k.resultBack.FillColor = back
	k.resultTitle.Text = title
	k.resultDetail.Text = detail
	k.result.Show()
	k.result.Refresh()
}

func (k *Kiosk) hideResult() { k.result.Hide() }

// kioskState is where the identification loop is.
type kioskState int

const (
	kioskScanning kioskState = iota
	kioskShowing             // a result is on screen
	kioskLocked              // lockout after too many failures
)

// kioskRun is the identification loop's own state; only its goroutine
// touches it.
type kioskRun struct {
	k      *Kiosk
	state  kioskState
	until  time.Time // end of the result or the lockout
	shown  string    // lockout countdown text on screen
	prompt string    // prompt on screen

	streak []sample // the same single face (one track), consecutive detections

	failures int // failed attempts in a row: refused identifications and failed liveness challenges
	lockouts int // lockouts without a success in between

	welcomed      *recognition.Descriptor // last face recognised
	welcomedTrack recognition.TrackID     // its track, while the tracker follows it
	otherTrack    recognition.TrackID     // a later track found to be someone else
	welcomedAt    time.Time
	left          bool // the view was empty since
}

// run identifies people until ctx ends. Its own goroutine.
func (k *Kiosk) run(ctx context.Context) {
	sub, cancel := k.s.capture.subscribe(1)
	defer cancel()
	r := &kioskRun{k: k, prompt: lang.L(promptLook)}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			now := k.now()
			r.tick(now)
			k.checkIdle(now)
		case <-sub.ready:
			if d, ok := sub.take(); ok {
				r.detection(ctx, d)
			}
		}
	}
}

func (r *kioskRun) say(text string, col color.Color) {
	if text == r.prompt {
		return
	}
	r.prompt = text
	r.k.s.tasks.do(func() { r.k.setPrompt(text, col) })
}

// tick ends results and lockouts and counts a lockout down.
func (r *kioskRun) tick(now time.Time) {
	k := r.k
	switch r.state {
	case kioskShowing:
		if !now.Before(r.until) {
			r.state = kioskScanning
			k.s.tasks.do(k.hideResult)
		}
	case kioskLocked:
		if !now.Before(r.until) {
			r.state = kioskScanning
			k.s.log.Info("kiosk lockout over")
			k.s.tasks.do(k.hideResult)
			return
		}
		text := lang.L("Too many failed attempts — try again in {{.Wait}}", map[string]any{"Wait": waitText(r.until.Sub(now))})
		if text != r.shown {
			r.shown = text
			k.s.tasks.do(func() {
				k.resultDetail.Text = text
				k.detailBox.Refresh()
			})
		}
	}
}

// detection handles one tracked frame.
func (r *kioskRun) detection(ctx context.Context, d detection) {
	k := r.k
	faces := d.track.Faces
	if len(faces) == 0 && d.err == nil {
		r.left = true
	}
	if r.state != kioskScanning {
		return
	}
	if k.paused.Load() {
		r.streak = r.streak[:0]
		return
	}
	switch {
	case d.err != nil:
		r.streak = r.streak[:0]
		r.say(rejectionAdvice(d.err), kioskWarn)
		return
	case len(faces) == 0:
		r.streak = r.streak[:0]
		r.say(lang.L(promptLook), kioskText)
		return
	case len(faces) > 1:
		r.streak = r.streak[:0]
		r.say(lang.L(promptOneAtATime), kioskWarn)
		return
	}
	face := faces[0]
	if r.stillThere(d, face) {
		r.streak = r.streak[:0]
		r.say(lang.L(promptNext), kioskText)
		return
	}
	if n := len(r.streak); n > 0 && r.streak[n-1].face.ID != face.ID {
		r.streak = r.streak[:0] // someone else stepped in
	}
	r.streak = append(r.streak, sample{det: d, face: face})
	if len(r.streak) < k.opts.SteadyFrames {
		r.say(lang.L(promptHold), kioskText)
		return
	}
	r.identify(ctx, k.s.th.get())
}

// stillThere reports whether face is the person just welcomed, who has not
// left the picture since (nor stayed longer than RepeatAfter): the same
// track, or — after the tracker lost and found them again under a new ID —
// a face whose descriptor is within the threshold of the welcomed one. A
// new track is described once for this.
func (r *kioskRun) stillThere(d detection, face recognition.TrackedFace) bool {
	k := r.k
	if r.welcomed == nil || r.left || k.now().Sub(r.welcomedAt) >= k.opts.RepeatAfter {
		return false
	}
	switch face.ID {
	case r.welcomedTrack:
		return true
	case r.otherTrack:
		return false
	}
	desc, err := k.s.capture.describe(d, face)
	if err != nil {
		return true // not clear enough to tell: wait for a better frame
	}
	if recognition.Distance(&desc, r.welcomed) <= k.s.th.get() {
		r.welcomedTrack = face.ID
		return true
	}
	r.otherTrack = face.ID
	return false
}

// identify decides who the steady face is from the descriptors of a few
// frames of its run (each computed from its own frame, all at once),
// records it and shows the result. With the liveness check on, the person
// first answers the challenge, and the decision is made from frames of the
// same tracked face after it.
func (r *kioskRun) identify(ctx context.Context, th float32) {
	k := r.k
	if k.s.liveness.on.Load() {
		r.challenge(ctx, th)
		return
	}
	release := k.s.det.hold()
	defer release()
	run := r.streak
	r.streak = r.streak[:0]
	picks := spread(len(run), kioskDecideFrames)
	chosen := make([]sample, len(picks))
	for j, i := range picks {
		chosen[j] = run[i]
	}
	ds, lastErr := k.s.capture.describeAll(chosen)
	if 2*len(ds) < len(picks) {
		// Mostly unclear frames, or the engine failed: no decision, no record.
		k.s.log.Info("kiosk: no decision", "station", k.opts.Station, "described", len(ds), "of", len(picks), "err", lastErr)
		r.say(rejectionAdvice(lastErr), kioskWarn)
		return
	}
	r.decide(ctx, loginInput{Descriptors: ds, Base: th, Adapt: k.s.adapt.Load()}, run[len(run)-1].face.ID, nil)
}

// challenge runs the liveness challenge on the steady face, showing its
// prompts, then decides from frames of the same face; a failed challenge
// is a failed attempt (towards the lockout) with its reason on screen.
func (r *kioskRun) challenge(ctx context.Context, th float32) {
	k := r.k
	r.streak = r.streak[:0]
	cfg := k.s.liveConfig()
	ctx, cancel := context.WithTimeout(ctx, challengeTimeout(cfg)+k.s.opts.CaptureTimeout)
	defer cancel()
	res, samples, err := k.s.capture.challenge(ctx, cfg, kioskDecideFrames, func(st live.Status) {
		if k.paused.Load() {
			cancel() // the PIN panel opened: no decision
			return
		}
		k.s.tasks.do(func() { k.showChallenge(st) })
	})
	k.s.tasks.do(k.hideChallenge)
	r.prompt = "" // the prompt is redrawn after the result
	switch {
	case err == nil && !res.Live:
		why := refuseLiveness(ctx, k.users, "", res, k.s.log, "kiosk identification", "station", k.opts.Station)
		r.refused(lang.L("Not a live face"), capitalize(why))
		return
	case err != nil:
		// The face left, the camera stopped, an administrator opened the
		// PIN panel or the kiosk is stopping: no decision, no record.
		k.s.log.Info("kiosk: no decision", "station", k.opts.Station, "err", err)
		return
	}
	ds, _ := descriptors(samples)
	in := loginInput{Descriptors: ds, Base: th, Adapt: k.s.adapt.Load(), Liveness: livenessPassed, Steps: stepsOf(res)}
	r.decide(ctx, in, samples[len(samples)-1].face.ID, &res)
}

// decide decides, records and shows a login of the face with track id;
// lres is the passed challenge before it (nil with the check off), whose
// descriptor from before its first step must be the accepted user's too
// (confirmBefore): else the login is a failed challenge.
func (r *kioskRun) decide(ctx context.Context, in loginInput, id recognition.TrackID, lres *live.Result) {
	k := r.k
	res, err := decideLogin(k.users, in)
	if err != nil {
		// Not a refusal the decision explains: nobody is let in.
		k.s.log.Error("kiosk identification", "station", k.opts.Station, "err", err)
		res = loginResult{Decision: decision.Decision{Reason: decision.TooFar, Frames: len(in.Descriptors)}, Liveness: in.Liveness}
	}
	if lres != nil {
		if swapped, ok := confirmBefore(k.users, in, res, *lres); !ok {
			why := refuseLiveness(ctx, k.users, "", swapped, k.s.log, "kiosk identification", "station", k.opts.Station)
			r.prompt = "" // the prompt is redrawn after the result
			r.refused(lang.L("Not a live face"), capitalize(why))
			return
		}
	}
	concludeLogin(ctx, k.users, in, res, k.s.log, "kiosk identification", []any{"station", k.opts.Station}, "liveness", in.Liveness.String())
	r.prompt = "" // the prompt is redrawn after the result
	now := k.now()
	if res.Accepted() {
		k.s.onLogin.afterLogin(k.s.tasks, res, now)
		r.failures, r.lockouts = 0, 0
		ds := in.Descriptors
		r.welcomed, r.welcomedAt, r.left = &ds[len(ds)/2], now, false
		r.welcomedTrack, r.otherTrack = id, 0
		r.state, r.until = kioskShowing, now.Add(k.opts.ResultFor)
		name := res.User
		at := now.Format("15:04")
		k.s.tasks.do(func() {
			k.showResult(lang.L("Welcome, {{.Name}}", map[string]any{"Name": name}), lang.L("Checked in at {{.Time}}", map[string]any{"Time": at}), kioskWelcome)
		})
		return
	}
	r.refused(lang.L("Not recognised"), refusalAdvice(res, "", true))
}

// refused counts a failed attempt — not recognised, or not live — and
// shows title and detail, or starts a lockout after MaxFailures in a row.
func (r *kioskRun) refused(title, detail string) {
	k := r.k
	now := k.now()
	r.failures++
	if r.failures < k.opts.MaxFailures {
		r.state, r.until = kioskShowing, now.Add(k.opts.ResultFor)
		k.s.tasks.do(func() { k.showResult(title, detail, kioskRefused) })
		return
	}
	r.lockouts++
	wait := k.opts.Lockout << min(r.lockouts-1, 4)
	k.s.log.Warn("kiosk lockout: too many failed attempts (identification or liveness)", "station", k.opts.Station,
		"failures", r.failures, "lockout", wait)
	r.failures = 0
	r.state, r.until = kioskLocked, now.Add(wait)
	r.shown = lang.L("Too many failed attempts — try again in {{.Wait}}", map[string]any{"Wait": waitText(wait)})
	text := r.shown
	k.s.tasks.do(func() { k.showResult(lang.L("Please wait"), text, kioskLockedOut) })
}

// showChallenge shows a liveness challenge's status on the scanning
// screen: the prompt (with its arrow) large, and the progress bar. UI
// goroutine.
func (k *Kiosk) showChallenge(st live.Status) {
	text, col := promptText(st), kioskText
	if st.Hint != nil {
		text, col = capitalize(liveReason(st.Hint)), kioskWarn
	}
	k.setPrompt(text, col)
	k.progress.Show()
	k.progress.SetValue(st.Overall)
}

func (k *Kiosk) hideChallenge() { k.progress.Hide() }

// capitalize upper-cases the first letter of a reason, for a line of its
// own.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// spread picks up to k indexes of 0..n-1, evenly spread, the last one
// included.
func spread(n, k int) []int {
	if k <= 1 && n > 0 {
		return []int{n - 1}
	}
	if n <= k {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, k)
	for i := range out {
		out[i] = n - 1 - (k-1-i)*(n-1)/(k-1)
	}
	return out
}

// waitText is a countdown for people: "3 s", "2 min 5 s".
func waitText(d time.Duration) string {
	s := int(math.Ceil(d.Seconds()))
	if s < 60 {
		return fmt.Sprintf("%d s", s)
	}
	if s%60 == 0 {
		return fmt.Sprintf("%d min", s/60)
	}
	return fmt.Sprintf("%d min %d s", s/60, s%60)
}
