package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"time"

	fyneapp "fyne.io/fyne/v2/app"

	"facelogin/app"
	"facelogin/camera"
	"facelogin/internal/directory"
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
	dbFlag := fs.String("db", "", "database DSN (default $FACELOGIN_DB, else the embedded SQLite file)")
	station := fs.String("station", "", "station name for the audit log (default: host name)")
	refresh := fs.Duration("refresh", 5*time.Second, "how often to look for users enrolled at other stations sharing the database")
	kiosk := fs.Bool("kiosk", false, "fullscreen kiosk: identify whoever steps up; registration, settings and leaving need the administrator PIN")
	pinFlag := fs.String("pin-file", "", "administrator PIN file for --kiosk (default $XDG_CONFIG_HOME/facelogin/admin-pin; set with `facelogin admin set-pin`)")
	showVersion := fs.Bool("version", false, "print the version and exit")
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
	dsn, source := store.ResolveDSN(*dbFlag, "")
	st, err := store.Open(ctx, store.Config{DSN: dsn, Station: *station, Logger: log})
	if err != nil {
		return explainStoreError(err)
	}
	defer st.Close()
	log.Info("database", "using", st.Describe(), "from", source)
	dir, err := directory.Open(ctx, st, recognition.ModelID, *refresh)
	if err != nil {
		return explainStoreError(err)
	}
	log.Info("templates loaded", "templates", dir.Templates(), "skipped", dir.Skipped())

	src, err := camera.ParseSource(settings.CameraSource)
	if err != nil {
		return fail(exitUsage, err, "camera %q: %v", settings.CameraSource, err)
	}
	cam, err := camera.Open(ctx, src, camera.Options{Width: *width, Height: *height, FPS: *fps, Logger: log})
	if err != nil {
		return fail(exitInput, err, "camera %q: %v", settings.CameraSource, err)
	}
	defer cam.Close()
	log.Info("camera", "source", settings.CameraSource)

	deps := app.Deps{
		Camera: cameraSource{cam},
		Engine: eng,
		Users:  &appDirectory{dir: dir},
	}
	opts := app.Options{Defaults: settings, Logger: log}
	if *kiosk {
		runKiosk(a, deps, opts, st.Station(), pinFile)
		return eng.Err()
	}
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

// appDirectory adapts the directory to the window's Directory, turning
// store errors into the window's.
type appDirectory struct{ dir *directory.Directory }

func appErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrExists):
		return fmt.Errorf("%w: %v", app.ErrNameTaken, err)
	case errors.Is(err, store.ErrInvalidName):
		return fmt.Errorf("%w: %v", app.ErrInvalidName, err)
	case errors.Is(err, store.ErrNotFound), errors.Is(err, directory.ErrDisabled):
		return fmt.Errorf("%w: %v", app.ErrUnknownUser, err)
	}
	return err
}

func (a *appDirectory) CheckName(ctx context.Context, name string) error {
	return appErr(a.dir.Store().Users.CheckName(ctx, name))
}

func (a *appDirectory) Enroll(ctx context.Context, name string, ds []recognition.Descriptor, q []float32) error {
	_, err := a.dir.Enroll(ctx, name, ds, q)
	return appErr(err)
}

func (a *appDirectory) ReEnroll(ctx context.Context, name string, ds []recognition.Descriptor, q []float32) error {
	return appErr(a.dir.ReEnroll(ctx, name, ds, q))
}

// Identify refuses a disabled user's face instead of passing it on to the
// next most similar person.
func (a *appDirectory) Identify(d *recognition.Descriptor) app.Match {
	m := a.dir.Identify(d)
	if a.dir.Disabled(m.User) {
		inf := float32(math.Inf(1))
		return app.Match{Distance: inf, SecondDistance: inf}
	}
	return app.Match(m)
}

func (a *appDirectory) Verify(ctx context.Context, name string, d *recognition.Descriptor) (float32, error) {
	dist, err := a.dir.Verify(ctx, name, d)
	return dist, appErr(err)
}

func (a *appDirectory) List(ctx context.Context) ([]app.UserInfo, error) {
	us, err := a.dir.Store().Users.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]app.UserInfo, len(us))
	for i, u := range us {
		out[i] = app.UserInfo{Name: u.Username, Templates: u.Templates, LastLogin: u.LastLogin}
	}
	return out, nil
}

func (a *appDirectory) Rename(ctx context.Context, oldName, newName string) error {
	_, err := a.dir.Rename(ctx, oldName, newName)
	return appErr(err)
}

func (a *appDirectory) Delete(ctx context.Context, name string) error {
	return appErr(a.dir.Delete(ctx, name))
}

func (a *appDirectory) RecordLogin(ctx context.Context, name string, dist float32, ok bool) error {
	at := store.LoginAttempt{Success: ok, Username: name, Distance: dist, HasDistance: name != "" && !math.IsInf(float64(dist), 0), Detail: "window"}
	if !ok {
		at.Detail = "not recognised (window)"
	}
	// The event must carry the user's ID: last login (users screen,
	// `users list`) is read from events joined by ID, not by name.
	if name != "" {
		if u, err := a.dir.Store().Users.Get(ctx, name); err == nil {
			at.UserID = u.ID
		}
	}
	return a.dir.RecordLogin(ctx, at)
}

func (a *appDirectory) Backend() string { return a.dir.Store().Describe() }

var (
	_ app.Engine = (*dlib.Engine)(nil)
	_ app.Engine = (*lazyEngine)(nil)
)
