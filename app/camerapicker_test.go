package app

import (
	"context"
	"fmt"
	"image"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// fakeSwitcher lists two cameras and records the switches asked of it.
type fakeSwitcher struct {
	mu    sync.Mutex
	asked []string
	fail  map[string]error
}

func (f *fakeSwitcher) Cameras() ([]CameraDevice, error) {
	return []CameraDevice{
		{Name: "Integrated Camera (/dev/video0)", Source: "/dev/video0", Index: 0},
		{Name: "USB Camera (/dev/video2)", Source: "/dev/video2", Index: 2},
	}, nil
}

func (f *fakeSwitcher) SwitchCamera(_ context.Context, source string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, source)
	return f.fail[source]
}

func (f *fakeSwitcher) switches() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.asked)
}

// TestSettingsCameraPicker: the settings list the cameras present by name
// (the one in use chosen, "0" being /dev/video0), plus "File or URL…";
// saving another camera switches to it at once and keeps it; a camera that
// cannot be opened is explained and the camera in use stays, also in the
// saved settings.
func TestSettingsCameraPicker(t *testing.T) {
	a := test.NewTempApp(t)
	sw := &fakeSwitcher{fail: map[string]error{
		"missing.mp4":                 fmt.Errorf("camera: open missing.mp4: %w", fs.ErrNotExist),
		"notes.txt":                   fmt.Errorf("%w: opencv cannot open it", ErrCameraUnreadable),
		"rtsp://admin:secret@cam.lan": fmt.Errorf("%w: scheme", ErrBadCameraSource),
	}}
	start := Settings{CameraSource: "0", Threshold: DefaultThreshold}
	h := newHarnessWith(t, a, image.NewRGBA(image.Rect(0, 0, 640, 480)), newFakeEngine(), newFakeDirectory(),
		Options{Settings: &start}, func(d *Deps) { d.Switcher = sw })
	st := h.u.settings
	h.u.tabs.Select(h.u.tabs.Items[len(h.u.tabs.Items)-1])
	p := st.camera
	h.waitFor("the cameras", func() bool { return len(p.devices) == 2 })
	if want := []string{"Integrated Camera (/dev/video0)", "USB Camera (/dev/video2)", otherCamera()}; !slices.Equal(p.choice.Options, want) {
		t.Errorf("choices %q", p.choice.Options)
	}
	if p.choice.Selected != "Integrated Camera (/dev/video0)" || p.entry.Visible() || p.source() != "/dev/video0" {
		t.Errorf("camera in use shown as %q (entry shown %v)", p.choice.Selected, p.entry.Visible())
	}

	save := func(wantMsg string) {
		t.Helper()
		test.Tap(st.save)
		h.waitFor("the switch", func() bool { return !st.switching })
		if wantMsg != "" && st.message.Text != wantMsg {
			t.Errorf("message %q, want %q", st.message.Text, wantMsg)
		}
	}
	p.choice.SetSelected("USB Camera (/dev/video2)")
	save("Saved. Now using the camera “/dev/video2”.")
	if got := a.Preferences().String(PrefCameraSource); got != "/dev/video2" {
		t.Errorf("saved camera %q", got)
	}

	p.choice.SetSelected(otherCamera())
	if !p.entry.Visible() {
		t.Fatal("no entry for a file or URL")
	}
	for _, c := range []struct{ source, says string }{
		{"missing.mp4", "There is no file “missing.mp4”. The camera in use is unchanged."},
		{"notes.txt", "“notes.txt” can't be played — is it a video file or an image sequence? The camera in use is unchanged."},
		{"rtsp://admin:secret@cam.lan", "“rtsp://admin:xxxxx@cam.lan” is not a camera"},
	} {
		p.entry.SetText(c.source)
		save("") // checked below
		if !strings.HasPrefix(st.message.Text, c.says) || st.message.Importance != widget.DangerImportance {
			t.Errorf("%s: message %q, want %q", c.source, st.message.Text, c.says)
		}
		if got := a.Preferences().String(PrefCameraSource); got != "/dev/video2" {
			t.Errorf("%s: saved camera %q after a failed switch", c.source, got)
		}
	}
	p.entry.SetText("")
	test.Tap(st.save)
	if st.message.Text != "Choose a camera, or type the video file or stream URL to use." {
		t.Errorf("empty source: %q", st.message.Text)
	}
	want := []string{"/dev/video2", "missing.mp4", "notes.txt", "rtsp://admin:secret@cam.lan"}
	if got := sw.switches(); !slices.Equal(got, want) {
		t.Errorf("switches %q, want %q", got, want)
	}
	// Saving with the camera in use chosen again does not reopen it.
	p.choice.SetSelected("USB Camera (/dev/video2)")
	save("Saved.")
	if got := sw.switches(); len(got) != len(want) {
		t.Errorf("the camera in use was reopened: %q", got)
	}
}
