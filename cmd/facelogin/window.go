package main

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"time"

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
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		usage(e.stderr)
		fmt.Fprintf(e.stderr, "\nWindow and kiosk options:\n")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
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
	settings := app.LoadSettings(a.Preferences(), app.Settings{CameraSource: "0", Threshold: recognition.DefaultThreshold, ModelsDir: modelsDir("")})
	if *cameraFlag != "" {
		settings.CameraSource = *cameraFlag
	}
	if *modelsFlag != "" {
		settings.ModelsDir = *modelsFlag
	}

	// dlib reads the models in ~2 s, the window needs ~1 s to show its
	// first frame (BenchmarkWindowColdStart): read them meanwhile. Missing
	// files still stop the program before a window opens.
	if err := modelsPresent(settings.ModelsDir); err != nil {
		_, err = openEngine(settings.ModelsDir, false) // explains it in plain words
		return err
	}
	eng := loadEngine(settings.ModelsDir, log)
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
		return explainStoreError(err)
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

	src, err := camera.ParseSource(settings.CameraSource)
	if err != nil {
		return fail(exitUsage, err, "camera %q: %v", redact.URL(settings.CameraSource), err)
	}
	cam, err := camera.Open(ctx, src, camera.Options{Width: *width, Height: *height, FPS: *fps, Logger: log})
	if err != nil {
		return fail(exitInput, err, "camera %q: %v", src, err)
	}
	defer cam.Close()
	log.Info("camera", "source", src)

	deps := app.Deps{Camera: cameraSource{cam}, Engine: eng}
	opts := app.Options{Defaults: settings, Logger: log}
	if *kiosk {
		deps.Users = appdir.New(dir, "kiosk")
		runKiosk(a, deps, opts, st.Station(), pinFile)
		return eng.Err()
	}
	deps.Users = appdir.New(dir, "window")
	app.New(a, deps, opts).ShowAndRun()
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

// lazyEngine is the engine while dlib reads the models in the background:
// Recognize waits for them. If they cannot be read, every Recognize fails
// (the window says face detection failed) and runWindow returns the reason
// when the window closes.
type lazyEngine struct {
	ready chan struct{}
	eng   *dlib.Engine
	err   error
}

func loadEngine(dir string, log *slog.Logger) *lazyEngine {
	l := &lazyEngine{ready: make(chan struct{})}
	go func() {
		defer close(l.ready)
		if l.eng, l.err = openEngine(dir, false); l.err != nil {
			log.Error("models failed", "dir", dir, "err", l.err)
			return
		}
		log.Info("models loaded", "dir", dir)
	}()
	return l
}

func (l *lazyEngine) Recognize(img image.Image) ([]recognition.Face, error) {
	<-l.ready
	if l.err != nil {
		return nil, l.err
	}
	return l.eng.Recognize(img)
}

// Err waits for the models and returns why they could not be read.
func (l *lazyEngine) Err() error {
	<-l.ready
	return l.err
}

// Close waits for the models, then frees them.
func (l *lazyEngine) Close() {
	<-l.ready
	if l.eng != nil {
		l.eng.Close()
	}
}

// cameraSource adapts camera.Camera to the window's FrameSource.
type cameraSource struct{ c *camera.Camera }

func (s cameraSource) Latest() (image.Image, uint64, bool) {
	f, ok := s.c.Latest()
	if !ok {
		return nil, 0, false
	}
	return f.Image, f.Seq, true
}

func (s cameraSource) Status() app.CameraStatus {
	st := s.c.Status()
	if st.State == camera.StateRunning {
		return app.CameraStatus{OK: true, Message: fmt.Sprintf("%s %s", s.c.Source(), st)}
	}
	msg := st.String()
	if st.State == camera.StateReconnecting && !st.RetryAt.IsZero() {
		msg = fmt.Sprintf("camera unavailable (%v) — retrying in %s", st.Err, time.Until(st.RetryAt).Round(time.Second))
	}
	return app.CameraStatus{OK: false, Message: msg}
}

var (
	_ app.Engine = (*dlib.Engine)(nil)
	_ app.Engine = (*lazyEngine)(nil)
)
