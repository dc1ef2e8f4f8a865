package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	if err := parse(fs, args); err != nil || fs.NArg() == 0 {
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

	src, err := camera.ParseSource(settings.CameraSource)
	if err != nil {
		return fail(exitUsage, err, "camera %q: %v", redact.URL(settings.CameraSource), err)
	}
	cam, err := openSwitchingCamera(ctx, src, camera.Options{Width: *width, Height: *height, FPS: *fps, Logger: log}, log)
	if err != nil {
		return fail(exitInput, err, "camera %q: %v", src, err)
	}
	defer cam.Close()
	log.Info("camera", "source", src)

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
	u.ShowAndRun()
	return eng.Err()
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
type lazyModels struct {
	dir                       string
	trackerReady, engineReady chan struct{}
	lm                        *dlib.Landmarker
	tracker                   *dlib.Tracker
	eng                       *dlib.Engine
	trackerErr, engineErr     error
}

func loadModels(dir string, log *slog.Logger) *lazyModels {
	l := &lazyModels{dir: dir, trackerReady: make(chan struct{}), engineReady: make(chan struct{})}
	go func() {
		defer close(l.engineReady)
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

// Track is the Tracker's: one goroutine only (the window's detector).
func (l *lazyModels) Track(img image.Image, at time.Duration) (recognition.LandmarkFrame, error) {
	<-l.trackerReady
	if l.trackerErr != nil {
		return recognition.LandmarkFrame{}, l.trackerErr
	}
	return l.tracker.Track(img, at)
}

// Describe is the Engine's.
func (l *lazyModels) Describe(img image.Image, face recognition.TrackedFace) (recognition.Face, error) {
	<-l.engineReady
	if l.engineErr != nil {
		return recognition.Face{}, l.engineErr
	}
	return l.eng.Describe(img, face)
}

// Err waits for the models and returns why they could not be read, in
// plain words, with the models' exit code.
func (l *lazyModels) Err() error {
	<-l.engineReady
	if err := errors.Join(l.trackerErr, l.engineErr); err != nil {
		return explainModels(l.dir, err)
	}
	return nil
}

// Close waits for the models, then frees them. The window's goroutines
// have stopped: nobody tracks or describes any more.
func (l *lazyModels) Close() {
	<-l.engineReady
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
