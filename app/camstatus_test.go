package app

import (
	"fmt"
	"image"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestStatusShowsMeasuredFrameRate: the camera status line shows the rate
// at which the camera delivers frames, measured from their numbers and
// capture times (a camera of 40 ms frames: 25 fps), not a nominal rate
// from the camera's description.
func TestStatusShowsMeasuredFrameRate(t *testing.T) {
	cam := newFakeCamera(loadPhoto(t, "joy.jpg"))
	cam.period = 40 * time.Millisecond
	h := newHarnessCam(t, test.NewTempApp(t), cam, newFakeEngine(), newFakeDirectory(), Options{})
	want := "fake camera 640×480 · 25 fps measured"
	h.waitFor(want, func() bool { return h.u.preview.status.Text == want })
	if h.u.preview.status.Importance != widget.MediumImportance {
		t.Errorf("status importance %v, want medium", h.u.preview.status.Importance)
	}
	// A camera that stops drops the figure with the rest of its status.
	h.cam.setStatus(CameraStatus{Message: "camera unplugged — retrying in 2s"})
	h.waitFor("unplugged status", func() bool { return h.u.preview.status.Text == "camera unplugged — retrying in 2s" })
}

// TestRateMeter: the rate is the frames published per second of capture
// time over at least rateWindow; a new stream (its numbers start again)
// starts the measurement over.
func TestRateMeter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var m rateMeter
	for i := range 16 { // 15 fps for a second
		m.sample(Frame{Seq: uint64(100 + i), Time: t0.Add(time.Duration(i) * time.Second / 15)})
	}
	if m.fps != 15 {
		t.Errorf("after a second at 15 fps: %v fps", m.fps)
	}
	m.sample(Frame{Seq: 1, Time: t0.Add(2 * time.Second)})
	if m.fps != 0 {
		t.Errorf("a new stream keeps the old stream's %v fps", m.fps)
	}
	m.sample(Frame{Seq: 31, Time: t0.Add(3 * time.Second)})
	if m.fps != 30 {
		t.Errorf("30 frames in the new stream's first second: %v fps", m.fps)
	}
}

// TestSmallCameraHint: a camera whose pictures are too small for a face
// the registration gate accepts (96×72: a face of at most ~50 px, the
// gate asks 80) gets a warning on the status line; a 640×480 or a 160×120
// camera does not.
func TestSmallCameraHint(t *testing.T) {
	for _, c := range []struct {
		w, h int
		hint bool
	}{{96, 72, true}, {128, 96, true}, {160, 120, false}, {640, 480, false}} {
		h := newHarness(t, image.NewRGBA(image.Rect(0, 0, c.w, c.h)), Options{})
		h.waitFor("live status", func() bool { return strings.HasPrefix(h.u.preview.status.Text, "fake camera 640×480") })
		got := h.u.preview.status.Text
		if hint := strings.Contains(got, "too small"); hint != c.hint {
			t.Errorf("%d×%d camera: status %q, want a hint: %v", c.w, c.h, got, c.hint)
		}
		if !c.hint {
			continue
		}
		for _, s := range []string{fmt.Sprintf("%d×%d", c.w, c.h), "80 pixels"} {
			if !strings.Contains(got, s) {
				t.Errorf("%d×%d camera: status %q does not say %q", c.w, c.h, got, s)
			}
		}
		if h.u.preview.status.Importance != widget.WarningImportance {
			t.Errorf("%d×%d camera: status importance %v, want warning", c.w, c.h, h.u.preview.status.Importance)
		}
	}
}
