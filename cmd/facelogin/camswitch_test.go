package main

import (
	"context"
	"errors"
	"image"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"facelogin/app"
	"facelogin/camera"
	"facelogin/internal/appdir"
	"facelogin/internal/directory"
	"facelogin/internal/testdata"
	"facelogin/internal/testkit"
	"facelogin/internal/uitest"
	"facelogin/recognition"
	"facelogin/store"
)

// noFaces finds no face: switching cameras is about frames.
type noFaces struct{}

func (noFaces) Track(image.Image, time.Duration) (recognition.LandmarkFrame, error) {
	return recognition.LandmarkFrame{}, nil
}

func (noFaces) Describe(image.Image, recognition.TrackedFace) (recognition.Face, error) {
	return recognition.Face{}, errors.New("noFaces: no face to describe")
}

// cameraSpy is the switching camera as the window sees it, noting what the
// preview got: the size and numbers of the frames, the statuses. Its
// camera list waits for release, so the test owns the settings' widgets
// until then.
type cameraSpy struct {
	*switchingCamera
	release chan struct{}

	mu       sync.Mutex
	size     image.Point
	seqs     []uint64
	statuses []app.CameraStatus
}

func (c *cameraSpy) Latest() (app.Frame, bool) {
	f, ok := c.switchingCamera.Latest()
	if ok {
		c.mu.Lock()
		c.size = f.Image.Bounds().Size()
		if n := len(c.seqs); n == 0 || c.seqs[n-1] != f.Seq {
			c.seqs = append(c.seqs, f.Seq)
		}
		c.mu.Unlock()
	}
	return f, ok
}

func (c *cameraSpy) Status() app.CameraStatus {
	st := c.switchingCamera.Status()
	c.mu.Lock()
	c.statuses = append(c.statuses, st)
	c.mu.Unlock()
	return st
}

func (c *cameraSpy) Cameras() ([]app.CameraDevice, error) {
	<-c.release
	return c.switchingCamera.Cameras()
}

func (c *cameraSpy) frameSize() image.Point {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

// saw reports whether the preview was ever given a status that passes ok.
func (c *cameraSpy) saw(ok func(app.CameraStatus) bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.ContainsFunc(c.statuses, ok)
}

// eventually polls cond; the deadline only catches hangs.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func sharedVideo(t *testing.T, name string) string {
	t.Helper()
	td, err := testdata.Find()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(td, "video", name)
}

// TestCameraSwitchInWindow: in a running window (Fyne's test driver, the
// real camera package), the camera chosen in the settings replaces the one
// in use without a restart: the preview goes on showing frames, now the
// other video's (d0 is 512×512, d6 480×480), with frame numbers still
// growing; the old camera is closed; the choice is saved. A device that is
// not there sends no picture: the switch is refused with the reason, the
// camera in use goes on, and the saved choice stays. The
// window is touched only inside fyne.DoAndWait, on uitest.SerialApp's one
// UI goroutine, so the test runs under -race.
func TestCameraSwitchInWindow(t *testing.T) {
	d0, d6 := sharedVideo(t, "d0.mp4"), sharedVideo(t, "d6.mp4")
	const missingDevice = "/dev/video97"
	if _, err := os.Stat(missingDevice); err == nil {
		t.Fatalf("%s exists on this machine: pick another missing device", missingDevice)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &testkit.LockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	defer func() {
		if t.Failed() {
			t.Logf("log:\n%s", logs.String())
		}
	}()
	src, _ := camera.ParseSource(d0)
	sc, err := openSwitchingCamera(ctx, src, camera.Options{Logger: log, BackoffMin: 50 * time.Millisecond, BackoffMax: time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	sc.firstFrame = time.Second // a missing device is given up after 1 s, not 10
	spy := &cameraSpy{switchingCamera: sc, release: make(chan struct{})}
	released := false
	release := func() {
		if !released {
			released = true
			close(spy.release)
		}
	}
	defer release()

	st, err := store.Open(ctx, store.Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "w.db"), Key: make([]byte, 32), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir, err := directory.Open(ctx, st, recognition.ModelID, 0)
	if err != nil {
		t.Fatal(err)
	}
	a := uitest.SerialApp(t)
	settings := app.Settings{CameraSource: d0, Threshold: recognition.DefaultThreshold}
	ui := app.New(a, app.Deps{Camera: spy, Switcher: spy, Tracker: noFaces{}, Engine: noFaces{}, Users: appdir.New(dir, "window"),
		Activity: appdir.NewActivity(st.Events)}, app.Options{Settings: &settings, Logger: log})
	w := ui.Window()
	fyne.DoAndWait(func() {
		w.Resize(fyne.NewSize(1100, 700))
		ui.Start()
	})
	stopped := false
	defer func() {
		if !stopped {
			release()
			ui.Stop()
		}
	}()
	eventually(t, "d0's frames", func() bool { return spy.frameSize() == image.Pt(512, 512) && ui.Stats().Displayed > 0 })

	// The settings, as a person opens them.
	var entry *widget.Entry
	var save *widget.Button
	fyne.DoAndWait(func() {
		uitest.Paint(w.Canvas())
		var tabs *container.AppTabs
		for _, o := range uitest.Shown(w.Content()) {
			if t, ok := o.(*container.AppTabs); ok {
				tabs = t
			}
		}
		if tabs == nil {
			return
		}
		tabs.SelectIndex(len(tabs.Items) - 1)
		uitest.Paint(w.Canvas())
		for _, o := range uitest.Shown(tabs.Selected().Content) {
			switch x := o.(type) {
			case *widget.Entry:
				if x.Text == d0 {
					entry = x
				}
			case *widget.Button:
				if x.Text == "Save" {
					save = x
				}
			}
		}
	})
	if entry == nil || save == nil {
		t.Fatal("no settings tab with the camera entry and Save button")
	}

	switchTo := func(source string) *camera.Camera {
		t.Helper()
		old := sc.current()
		fyne.DoAndWait(func() {
			entry.SetText(source)
			test.Tap(save)
		})
		// The settings save the camera once it is in use, last.
		eventually(t, "the saved camera "+source, func() bool { return a.Preferences().String(app.PrefCameraSource) == source })
		if got := sc.current().Source().CommandLine(); got != source {
			t.Fatalf("camera in use %q, want %q", got, source)
		}
		if s := old.Status().State; s != camera.StateClosed {
			t.Errorf("the previous camera %s is %v, want closed", old.Source(), s)
		}
		return old
	}

	shown := ui.Stats().Displayed
	switchTo(d6)
	eventually(t, "d6's frames on screen", func() bool {
		return spy.frameSize() == image.Pt(480, 480) && ui.Stats().Displayed > shown+10
	})

	inUse := sc.current()
	fyne.DoAndWait(func() {
		entry.SetText(missingDevice)
		test.Tap(save)
	})
	labels := func() string {
		var texts []string
		fyne.DoAndWait(func() {
			uitest.Paint(w.Canvas())
			for _, o := range uitest.Shown(w.Content()) {
				if l, ok := o.(*widget.Label); ok {
					texts = append(texts, l.Text)
				}
			}
		})
		return strings.Join(texts, "\n")
	}
	eventually(t, "the refusal of "+missingDevice, func() bool { return strings.Contains(labels(), "the camera sent no pictures") })
	if all := labels(); strings.Contains(all, "Now using the camera “"+missingDevice) || !strings.Contains(all, "The camera in use is unchanged.") {
		t.Errorf("the settings claim the switch or do not say the camera is unchanged:\n%s", all)
	}
	if sc.current() != inUse || inUse.Status().State != camera.StateRunning {
		t.Fatalf("the camera in use was replaced or stopped (%v)", inUse.Status())
	}
	if spy.saw(func(s app.CameraStatus) bool { return strings.Contains(s.Message, missingDevice) }) {
		t.Error("the preview was given the refused camera's status: the switch was made before it sent a picture")
	}
	shown = ui.Stats().Displayed
	eventually(t, "d6's frames still on screen", func() bool {
		return spy.frameSize() == image.Pt(480, 480) && ui.Stats().Displayed > shown+10
	})

	release()
	ui.Stop()
	stopped = true

	// Frame numbers grew across the switches.
	spy.mu.Lock()
	seqs := append([]uint64(nil), spy.seqs...)
	spy.mu.Unlock()
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("frame number %d after %d", seqs[i], seqs[i-1])
		}
	}
	// The next start opens the camera saved.
	if got := app.LoadSettings(a.Preferences(), app.Settings{CameraSource: "0"}).CameraSource; got != d6 {
		t.Errorf("saved camera %q, want %q (the one in use)", got, d6)
	}
}

// TestSwitchingCameraRefusals: a source that cannot be opened is refused
// with the app's error for it, and the camera in use goes on; a closed
// switching camera switches no more.
func TestSwitchingCameraRefusals(t *testing.T) {
	d0 := sharedVideo(t, "d0.mp4")
	dir := t.TempDir()
	notVideo := filepath.Join(dir, "notes.avi")
	if err := os.WriteFile(notVideo, []byte("not a video"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, _ := camera.ParseSource(d0)
	log := slog.New(slog.DiscardHandler)
	sc, err := openSwitchingCamera(ctx, src, camera.Options{}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	inUse := sc.current()
	for _, c := range []struct {
		source string
		is     error
	}{
		{"", app.ErrBadCameraSource},
		{"-3", app.ErrBadCameraSource},
		{filepath.Join(dir, "missing.mp4"), fs.ErrNotExist},
		{notVideo, app.ErrCameraUnreadable},
	} {
		if err := sc.SwitchCamera(ctx, c.source); !errors.Is(err, c.is) {
			t.Errorf("%q: %v, want %v", c.source, err, c.is)
		}
		if sc.current() != inUse {
			t.Fatalf("%q replaced the camera in use", c.source)
		}
	}
	// Still playing.
	last, _ := sc.Latest()
	seq := last.Seq
	f, err := inUse.Wait(ctx, seq)
	if err != nil || f.Seq <= seq {
		t.Errorf("the camera in use stopped: %v", err)
	}
	// The same source again is no switch.
	if err := sc.SwitchCamera(ctx, d0); err != nil || sc.current() != inUse {
		t.Errorf("switching to the camera in use: %v", err)
	}
	if err := sc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sc.SwitchCamera(ctx, sharedVideo(t, "d6.mp4")); !errors.Is(err, camera.ErrClosed) {
		t.Errorf("switch after Close: %v", err)
	}
}
