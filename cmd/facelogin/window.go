package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	fyneapp "fyne.io/fyne/v2/app"

	"facelogin/app"
	"facelogin/camera"
	"facelogin/internal/appdir"
	"facelogin/internal/directory"
	"facelogin/internal/redact"
	"facelogin/recognition"
	"facelogin/recognition/dlib"
	"facelogin/store"
)

// appID is the Fyne application ID (FyneApp.toml); preferences live under it.
const appID = "io.facelogin.app"

// runWindow opens the window: camera, models and database from flags, then
// saved settings, then defaults.
// parseWindowFlags parses the window's options and refuses words left
// after them: `facelogin --db X users list` must not open the window
// instead of running the command, which comes first.
func parseWindowFlags(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil || fs.NArg() == 0 {
		return err
	}
	return fail(exitUsage, nil, "unexpected %q after the window's options: a command comes first, its options after it (facelogin %s --db …)",
		strings.Join(fs.Args(), " "), fs.Arg(0))
}

func runWindow(e *env, args []string) error {
	fs := newFlags(e, "")
	cameraFlag := fs.String("camera", "", "camera: device index, /dev/videoN, video file, image sequence (dir/%03d.jpg) or stream URL (default: saved setting, else 0)")
	width := fs.Int("width", 640, "camera frame width")
	height := fs.Int("height", 480, "camera frame height")
	fps := fs.Float64("fps", 0, "camera frame rate (0: the source's own)")
	modelsFlag := fs.String("models", "", "models directory (default: saved setting, $FACELOGIN_MODELS, ~/.local/share/facelogin/models)")
	db := addDBFlags(fs)
	station := fs.String("station", "", "station name for the audit log (default: host name)")
	refresh := fs.Duration("refresh", 5*time.Second, "how often to look for users enrolled at other stations sharing the database")
	kiosk := fs.Bool("kiosk", false, "fullscreen kiosk: identify whoever steps up; registration, settings and leaving need the administrator PIN")
	pinFlag := fs.String("pin-file", "", "administrator PIN file for --kiosk (default $XDG_CONFIG_HOME/facelogin/admin-pin; set with `facelogin admin set-pin`)")
	onLogin := addOnLoginFlags(fs)
	adaptive := fs.Bool("adaptive", true, "store adaptive templates from live logins (false turns them off for this run; the Settings screen can turn them off for good)")
	liveness := fs.Bool("liveness", true, "the blink and head-turn challenge before each login (false turns it off for this run — a photo can then log in; for tests and evaluations)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		usage(e.stderr)
		fmt.Fprintf(e.stderr, "\nWindow and kiosk options:\n")
		fs.PrintDefaults()
	}
	if err := parseWindowFlags(fs, args); err != nil {
		return err
	}
	if *showVersion {
		return cmdVersion(e, nil)
	}
	// SIGINT/SIGTERM are the program's from here on, so that a signal
	// while the settings, models and database are opened ends it through
	// the same path as later (without a handler Go would exit 143 at once).
	signalled, stopSignals := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stopSignals()
	var pinFile string
	if *kiosk {
		var err error
		if pinFile, err = kioskPINFile(*pinFlag); err != nil {
			return err
		}
	}
	// Command-line mistakes (a kiosk without a PIN) first, then the
	// display, before the models or the database are touched.
	if err := checkDisplay(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	slog.SetDefault(log)

	a := fyneapp.NewWithID(appID)
	defaults := app.Settings{CameraSource: "0", Threshold: recognition.DefaultThreshold, ModelsDir: modelsDir("")}
	settings := app.LoadSettings(a.Preferences(), defaults)
	if *cameraFlag != "" {
		settings.CameraSource = *cameraFlag
	}
	if *modelsFlag != "" {
		settings.ModelsDir = *modelsFlag
	}
	if err := onLogin.apply(&settings); err != nil {
		return err
	}
	runner, err := onLogin.runner(settings, log)
	if err != nil {
		return err
	}

	// dlib reads the tracker's model in ~1.7 s and go-face's in ~2 s, the
	// window needs ~1 s to show its first frame
	// (BenchmarkWindowColdStart): read them meanwhile. Missing files still
	// stop the program before a window opens.
	if err := modelsPresent(settings.ModelsDir); err != nil {
		_, err = openEngine(settings.ModelsDir, false) // explains it in plain words
		return err
	}
	// Whole descriptors overlap on the window's cores instead of OpenBLAS
	// threads (dlib.SetBLASThreads): the same descriptors, half the CPU.
	// Set before any model loads, while nothing else calls BLAS.
	dlib.SetBLASThreads(1)
	eng := loadModels(settings.ModelsDir, log)
	defer eng.Close()
	// The window stops waiting for models still being read when its loop
	// ends (closed, quit, SIGTERM: Fyne runs OnStopped before ShowAndRun
	// returns, and before the window's goroutines are waited for) or on a
	// signal before the window runs, which would otherwise kill the
	// program without closing the database.
	a.Lifecycle().SetOnStopped(eng.abandon)
	// A signal ends the window's loop whenever it comes. Fyne quits on
	// SIGINT/SIGTERM itself only once its loop runs, and the window's own
	// handler listens only from then too: a signal in between (opening the
	// camera, building the screens: seconds on a loaded machine) was
	// taken by this handler alone and the window never closed. fyne.Do
	// queues the quit until the loop runs; a quit of a loop that has ended
	// does nothing. The driver's Quit, as Fyne's own signal handler calls
	// it: the app's Quit closes every window first, and a window destroyed
	// while GLFW still delivered its mouse events crashed in
	// glfw.(*Window).SetInputMode (a tester's run, 1 in 39).
	context.AfterFunc(signalled, func() {
		eng.abandon()
		fyne.Do(a.Driver().Quit)
	})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg, source, err := db.config(e)
	if err != nil {
		return err
	}
	cfg.Station, cfg.Logger = *station, log
	st, err := store.Open(ctx, cfg)
	if err != nil {
		return explainOpenError(err, source)
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("database close", "err", err)
			return
		}
		log.Info("database closed")
	}()
	log.Info("database", "using", st.Describe(), "from", source)
	dir, err := directory.Open(ctx, st, recognition.ModelID, *refresh)
	if err != nil {
		return explainStoreError(err)
	}
	log.Info("templates loaded", "templates", dir.Templates(), "skipped", dir.Skipped())
	if path, n, err := useBackground(dir); err != nil {
		return err
	} else if path != "" {
		log.Info("background set", "people", n, "file", path)
	}

	cam, err := openWindowCamera(ctx, settings.CameraSource, camera.Options{Width: *width, Height: *height, FPS: *fps, Logger: log}, log)
	if err != nil {
		return err
	}
	defer cam.Close()

	if signalled.Err() != nil {
		log.Info("stopping on signal", "signal", "before the window opened")
		return nil
	}
	deps := app.Deps{Camera: cam, Switcher: cam, Tracker: eng, Engine: eng, Activity: appdir.NewActivity(st.Events), OnLogin: runner}
	opts := app.Options{Defaults: defaults, Settings: &settings, Station: st.Station(), Logger: log, NoAdaptive: !*adaptive, NoLiveness: !*liveness,
		OnLoginForRun: onLogin.forRun()}
	if *kiosk {
		deps.Users = appdir.New(dir, "kiosk")
		runKiosk(a, deps, opts, st.Station(), pinFile)
		return eng.Err()
	}
	deps.Users = appdir.New(dir, "window")
	u := app.New(a, deps, opts)
	fitToScreen(a, u.Window(), log)
	holdWindow(log)
	u.ShowAndRun()
	return eng.Err()
}

// openWindowCamera opens the window's camera, or explains why not: a
// source that is not one (exit 2), a file OpenCV cannot read (exit 3, at
// once: a file does not heal, unlike a device not plugged in yet, which
// the window retries).
func openWindowCamera(ctx context.Context, source string, opts camera.Options, log *slog.Logger) (*switchingCamera, error) {
	src, err := camera.ParseSource(source)
	if err != nil {
		return nil, fail(exitUsage, err, "camera %q: %v", redact.URL(source), err)
	}
	cam, err := openSwitchingCamera(ctx, src, opts, log)
	if errors.Is(err, camera.ErrCannotOpen) {
		return nil, videoError(src, err) // in the words of `facelogin liveness --camera`
	}
	if err != nil {
		return nil, fail(exitInput, err, "camera %q: %v", src, err)
	}
	log.Info("camera", "source", src)
	return cam, nil
}

func modelsPresent(dir string) error {
	for _, f := range recognition.ModelFiles() {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return err
		}
	}
	return nil
}

// lazyModels are the window's models while dlib reads them in the
// background: first the tracker's (dlib's HOG detector and shape
// predictor, for the landmarks of every frame), then go-face's engine (for
// descriptors). Track waits for the first, Describe for the second; both
// are called on goroutines that may wait (the tracker's, the labeler's, a
// login's), never on the one that shows the picture. If a model cannot be
// read, every call fails with the reason (the window shows it) and
// runWindow returns it, explained, when the window closes.
//
// Reading the models takes up to ~20 s on a loaded machine and dlib cannot
// be interrupted, so nothing that ends the program waits for it: abandon
// (the window closing, a signal) makes the calls still waiting fail with
// errModelsAbandoned, and Close leaves a load in progress to free what it
// read when it ends (or to the process's exit).
type lazyModels struct {
	dir                       string
	trackerReady, engineReady chan struct{}
	abandoned                 chan struct{}
	abandonOnce               sync.Once
	lm                        *dlib.Landmarker
	tracker                   *dlib.Tracker
	eng                       *dlib.Engine
	trackerErr, engineErr     error

	mu            sync.Mutex
	loaded, freed bool // guarded by mu: the loading ended; Close freed the models or asked the loader to
}

// errModelsAbandoned is what Track and Describe return once the window
// stopped waiting for models that were still being read.
var errModelsAbandoned = fmt.Errorf("models: the window stopped before the models were read: %w", app.ErrStopping)

func loadModels(dir string, log *slog.Logger) *lazyModels {
	l := &lazyModels{dir: dir, trackerReady: make(chan struct{}), engineReady: make(chan struct{}), abandoned: make(chan struct{})}
	go func() {
		defer l.loadEnded()
		defer close(l.engineReady)
		holdModels()
		l.loadTracker(log)
		start := time.Now()
		if l.eng, l.engineErr = dlib.Open(dir, dlib.DefaultOptions); l.engineErr != nil {
			log.Error("models failed", "dir", dir, "err", l.engineErr)
			return
		}
		log.Info("models loaded", "dir", dir, "engine_ms", time.Since(start).Milliseconds())
	}()
	return l
}

// holdModelsEnv names a file that the window's model loading opens for
// reading before it starts: a named pipe nobody writes to makes the load
// last until the program ends, as a load of ~20 s on a busy machine does,
// without depending on the machine's speed (TestModelsNeverRead). Unset,
// nothing waits.
const holdModelsEnv = "FACELOGIN_TEST_HOLD_MODELS"

// holdWindowEnv names a file that the window opens for reading just before
// its loop runs: a test sends a signal while it waits there, between the
// program's signal check and the loop (TestModelsNeverRead). Unset,
// nothing waits.
const holdWindowEnv = "FACELOGIN_TEST_HOLD_WINDOW"

func holdWindow(log *slog.Logger) {
	if p := os.Getenv(holdWindowEnv); p != "" {
		log.Info("window held before its loop", "file", p)
		if f, err := os.Open(p); err == nil {
			f.Close()
		}
	}
}

func holdModels() {
	if p := os.Getenv(holdModelsEnv); p != "" {
		if f, err := os.Open(p); err == nil {
			f.Close()
		}
	}
}

func (l *lazyModels) loadTracker(log *slog.Logger) {
	defer close(l.trackerReady)
	start := time.Now()
	if l.lm, l.trackerErr = dlib.OpenLandmarker(l.dir); l.trackerErr != nil {
		log.Error("models failed", "dir", l.dir, "err", l.trackerErr)
		return
	}
	if l.tracker, l.trackerErr = l.lm.NewTracker(dlib.TrackerOptions{}); l.trackerErr != nil {
		log.Error("models failed", "dir", l.dir, "err", l.trackerErr)
		return
	}
	log.Info("tracker loaded", "dir", l.dir, "ms", time.Since(start).Milliseconds())
}

// loadEnded frees the models at once if Close came while they were read.
func (l *lazyModels) loadEnded() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.loaded = true
	if l.freed {
		l.free()
	}
}

// wait waits for ready (trackerReady or engineReady) unless the models
// were abandoned before it closed.
func (l *lazyModels) wait(ready chan struct{}) error {
	select {
	case <-ready:
		return nil
	default:
	}
	select {
	case <-ready:
		return nil
	case <-l.abandoned:
		return errModelsAbandoned
	}
}

// done reports whether ready has closed, without waiting.
func done(ready chan struct{}) bool {
	select {
	case <-ready:
		return true
	default:
		return false
	}
}

// Track is the Tracker's: one goroutine only (the window's detector).
func (l *lazyModels) Track(img image.Image, at time.Duration) (recognition.LandmarkFrame, error) {
	if err := l.wait(l.trackerReady); err != nil {
		return recognition.LandmarkFrame{}, err
	}
	if l.trackerErr != nil {
		return recognition.LandmarkFrame{}, l.trackerErr
	}
	return l.tracker.Track(img, at)
}

// Describe is the Engine's.
func (l *lazyModels) Describe(img image.Image, face recognition.TrackedFace) (recognition.Face, error) {
	if err := l.wait(l.engineReady); err != nil {
		return recognition.Face{}, err
	}
	if l.engineErr != nil {
		return recognition.Face{}, l.engineErr
	}
	return l.eng.Describe(img, face)
}

// abandon stops waiting for the models: calls waiting for them, and those
// to come, fail with errModelsAbandoned until the models are read. Safe
// from any goroutine, any number of times.
func (l *lazyModels) abandon() { l.abandonOnce.Do(func() { close(l.abandoned) }) }

// Err returns why the models could not be read, in plain words, with the
// models' exit code. It waits for them unless they were abandoned (the
// window closed first): a load still in progress then has nothing to say.
func (l *lazyModels) Err() error {
	_ = l.wait(l.engineReady)
	var errs []error
	if done(l.trackerReady) {
		errs = append(errs, l.trackerErr)
	}
	if done(l.engineReady) {
		errs = append(errs, l.engineErr)
	}
	if err := errors.Join(errs...); err != nil {
		return explainModels(l.dir, err)
	}
	return nil
}

// Close abandons the models and frees them, at once if they have been
// read, else when the loading ends. The window's goroutines have stopped:
// nobody tracks or describes any more.
func (l *lazyModels) Close() {
	l.abandon()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.freed {
		return
	}
	l.freed = true
	if l.loaded {
		l.free()
	}
}

func (l *lazyModels) free() {
	if l.tracker != nil {
		l.tracker.Close()
	}
	if l.lm != nil {
		l.lm.Close()
	}
	if l.eng != nil {
		l.eng.Close()
	}
}

// cameraSource adapts camera.Camera to the window's FrameSource.
type cameraSource struct{ c *camera.Camera }

func (s cameraSource) Latest() (app.Frame, bool) {
	f, ok := s.c.Latest()
	if !ok {
		return app.Frame{}, false
	}
	return app.Frame{Image: f.Image, Seq: f.Seq, Time: f.Time}, true
}

func (s cameraSource) Status() app.CameraStatus {
	st := s.c.Status()
	if st.State == camera.StateRunning {
		return app.CameraStatus{OK: true, Message: cameraStatusText(fmt.Sprint(s.c.Source()), st)}
	}
	msg := cameraStatusText(fmt.Sprint(s.c.Source()), st)
	if st.State == camera.StateReconnecting && !st.RetryAt.IsZero() {
		msg = lang.L("camera unavailable ({{.Err}}) — retrying in {{.In}}", map[string]any{"Err": fmt.Sprint(st.Err), "In": time.Until(st.RetryAt).Round(time.Second).String()})
	}
	return app.CameraStatus{OK: false, Message: msg, Starting: st.State == camera.StateStarting,
		Final: st.State == camera.StateFailed || st.State == camera.StateEnded || st.State == camera.StateClosed}
}

var (
	_ app.Engine  = (*dlib.Engine)(nil)
	_ app.Tracker = (*dlib.Tracker)(nil)
	_ app.Engine  = (*lazyModels)(nil)
	_ app.Tracker = (*lazyModels)(nil)
)
