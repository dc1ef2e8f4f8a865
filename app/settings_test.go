package app

import (
	"image"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

func TestSettingsPersisted(t *testing.T) {
	a := test.NewTempApp(t)
	frame := loadPhoto(t, "joy.jpg")
	var saved []Settings
	defaults := Settings{CameraSource: "0", ModelsDir: "/usr/share/facelogin/models"}
	h := newHarnessOn(t, a, frame, newFakeEngine(), newFakeDirectory(), Options{
		Defaults:        defaults,
		OnSettingsSaved: func(s Settings) { saved = append(saved, s) },
	})
	st := h.u.settings
	if st.camera.source() != "0" || st.models.Text != defaults.ModelsDir || st.threshold.Value != float64(DefaultThreshold) {
		t.Fatalf("defaults not shown: camera %q models %q threshold %v", st.camera.source(), st.models.Text, st.threshold.Value)
	}
	if st.database.Text != "fake directory (memory)" {
		t.Errorf("database %q", st.database.Text)
	}

	st.camera.entry.SetText("")
	test.Type(st.camera.entry, "/dev/video2")
	st.models.SetText("/opt/models")
	st.threshold.SetValue(0.42)
	if st.thresholdLabel.Text != "0.420" {
		t.Errorf("threshold label %q", st.thresholdLabel.Text)
	}
	test.Tap(st.save)

	if !strings.Contains(st.message.Text, "next start") {
		t.Errorf("message %q should say when the camera change applies", st.message.Text)
	}
	want := Settings{CameraSource: "/dev/video2", Threshold: 0.42, ModelsDir: "/opt/models", OnLoginTimeout: 10 * time.Second}
	if len(saved) != 1 || saved[0] != want {
		t.Errorf("OnSettingsSaved got %+v, want %+v", saved, want)
	}
	if h.u.th.get() != 0.42 {
		t.Errorf("threshold in force %v", h.u.th.get())
	}
	p := a.Preferences()
	if p.String(PrefCameraSource) != "/dev/video2" || p.String(PrefModelsDir) != "/opt/models" || p.Float(PrefThreshold) != float64(float32(0.42)) {
		t.Errorf("preferences: %q %q %v", p.String(PrefCameraSource), p.String(PrefModelsDir), p.Float(PrefThreshold))
	}

	// A new window on the same app (the next start) shows the saved values.
	h.u.stop()
	h2 := newHarnessOn(t, a, frame, newFakeEngine(), newFakeDirectory(), Options{Defaults: defaults})
	st2 := h2.u.settings
	if st2.camera.source() != "/dev/video2" || st2.models.Text != "/opt/models" || st2.thresholdLabel.Text != "0.420" {
		t.Errorf("after restart: camera %q models %q threshold %q", st2.camera.source(), st2.models.Text, st2.thresholdLabel.Text)
	}
	if got := LoadSettings(p, defaults); got != want {
		t.Errorf("LoadSettings %+v, want %+v", got, want)
	}
}

func TestLoadSettingsIgnoresBadThreshold(t *testing.T) {
	for _, v := range []float64{-1, 0, 0.05, 3} {
		a := test.NewTempApp(t)
		a.Preferences().SetFloat(PrefThreshold, v)
		if got := LoadSettings(a.Preferences(), Settings{Threshold: 0.5}).Threshold; got != 0.5 {
			t.Errorf("saved threshold %v loads as %v, want the default", v, got)
		}
	}
}

func TestSettingsSaveKeepsDefaultThreshold(t *testing.T) {
	h := newHarness(t, loadPhoto(t, "joy.jpg"), Options{})
	if h.u.settings.thresholdLabel.Text != "0.375" {
		t.Errorf("threshold shown as %q", h.u.settings.thresholdLabel.Text)
	}
	test.Tap(h.u.settings.save)
	if got := h.u.th.get(); got != DefaultThreshold {
		t.Errorf("saving untouched settings moved the threshold to %v", got)
	}
}

// TestSettingsTabShowsForm: in a 1280×800 window the Settings tab shows its
// whole form — camera, threshold, database, models, the on-login command,
// Save — and every scroll in it is a real view, not a one-row strip (a
// tester found everything but the camera hidden in a 40-pixel strip: a
// scroll inside a box gets the box's minimum height).
func TestSettingsTabShowsForm(t *testing.T) {
	h := newHarness(t, image.NewRGBA(image.Rect(0, 0, 640, 480)), Options{})
	h.u.win.Resize(fyne.NewSize(1280, 800))
	tab := h.u.tabs.Items[len(h.u.tabs.Items)-1]
	h.u.tabs.Select(tab)
	h.settle(0)
	var walk func(o fyne.CanvasObject)
	scrolls := 0
	walk = func(o fyne.CanvasObject) {
		switch c := o.(type) {
		case *container.Scroll:
			scrolls++
			if c.Size().Height < 300 {
				t.Errorf("a scroll in Settings is %v high in a 1280×800 window: a strip, not a view", c.Size().Height)
			}
			walk(c.Content)
		case *fyne.Container:
			for _, ch := range c.Objects {
				walk(ch)
			}
		}
	}
	walk(tab.Content)
	if scrolls == 0 {
		t.Error("the Settings tab does not scroll: a small screen could not reach Save")
	}
	st := h.u.settings
	for name, o := range map[string]fyne.CanvasObject{"models": st.models, "on-login command": st.onLogin.command, "Save": st.save} {
		if !o.Visible() || o.Size().Height < 10 {
			t.Errorf("%s: size %v, not shown", name, o.Size())
		}
	}
}
