package app

import (
	"image"
	"image/color"
	"strings"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
)

// shownFrame is the image the preview displays.
func (h *harness) shownFrame() *image.RGBA {
	img, _ := h.u.preview.image.Image.(*image.RGBA)
	return img
}

func TestPreviewDrawsOverlayOnLiveFrames(t *testing.T) {
	idols := loadIdols(t)
	elkie := idol(t, idols, "Elkie (CLC)")
	frame := loadPhoto(t, "elkie.jpg")
	h := newHarness(t, frame, Options{})
	faces := h.eng.script(frame, elkie[3])
	h.dir.add("elkie", elkie[:3]...)
	pts := faces[0].Landmarks

	h.waitFor("a frame with the overlay", func() bool {
		img := h.shownFrame()
		return img != nil && img.Rect == frame.Rect && img.RGBAAt(pts[8].X, pts[8].Y) == landmarkColor
	})
	img := h.shownFrame()
	for i, p := range pts {
		if got := img.RGBAAt(p.X, p.Y); got != landmarkColor {
			t.Errorf("displayed frame, landmark %d at %v: %v, want %v", i, p, got, landmarkColor)
		}
	}
	r := faces[0].Rect
	if got := img.RGBAAt(r.Min.X+r.Dx()/3, r.Min.Y); got != knownColor {
		t.Errorf("recognised face box: %v, want green %v", got, knownColor)
	}
	if frame.RGBAAt(pts[8].X, pts[8].Y) == landmarkColor {
		t.Error("the overlay was drawn into the camera's own frame")
	}
	if d := h.u.det.latest(); len(d.labels) != 1 || !d.labels[0].Known || !strings.HasPrefix(d.labels[0].Text, "elkie 0.") {
		t.Errorf("face label %+v, want elkie with a distance", d.labels)
	}

	// The window itself shows the overlay: the painted canvas holds
	// cyan contour pixels (the painter scales smoothly, so allow blending).
	h.u.win.Resize(h.u.win.Canvas().Size())
	shot := h.u.win.Canvas().Capture()
	n := 0
	b := shot.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if c := color.RGBAModel.Convert(shot.At(x, y)).(color.RGBA); c.R < 90 && c.G > 170 && c.B > 200 {
				n++
			}
		}
	}
	if n < 50 {
		t.Errorf("window capture has %d cyan pixels, want the landmark contours", n)
	}
}

func TestPreviewUnknownFaceAndDescriptorStrip(t *testing.T) {
	idols := loadIdols(t)
	d := idol(t, idols, "Luda (WJSN)")[0]
	frame := loadPhoto(t, "luda.jpg")
	h := newHarness(t, frame, Options{})
	h.eng.jitter = 0
	faces := h.eng.script(frame, d)

	h.waitFor("the descriptor strip", func() bool { return h.u.preview.strip.has })
	if h.u.preview.strip.d != d {
		t.Fatal("strip does not show the face's descriptor")
	}
	for i, v := range d {
		c := cellColor(v)
		switch {
		case v > 0.05 && !(c.R == 0xff && c.B < 0xff):
			t.Errorf("cell %d (%.3f) is %v, want red", i, v, c)
		case v < -0.05 && !(c.B == 0xff && c.R < 0xff):
			t.Errorf("cell %d (%.3f) is %v, want blue", i, v, c)
		}
	}
	// The rendered strip: cell i spans 2 px at its minimum size.
	px := h.u.preview.strip.pixel(2*40, 0, 2*recognition.DescriptorLen, 18)
	if px != cellColor(d[40]) {
		t.Errorf("strip pixel of cell 40: %v, want %v", px, cellColor(d[40]))
	}

	h.waitFor("an unknown face on screen", func() bool {
		img := h.shownFrame()
		r := faces[0].Rect
		return img != nil && img.RGBAAt(r.Min.X+r.Dx()/3, r.Min.Y) == unknownColor
	})
	if l := h.u.det.latest().labels; len(l) != 1 || l[0].Known || l[0].Text != "unknown" {
		t.Errorf("labels %+v, want one unknown", l)
	}
}

func TestPreviewShowsCameraStatus(t *testing.T) {
	h := newHarness(t, loadPhoto(t, "joy.jpg"), Options{})
	h.waitFor("live status", func() bool { return h.u.preview.status.Text == "fake camera 640×480" })
	h.cam.setStatus(CameraStatus{Message: "camera unplugged — retrying in 2s"})
	h.waitFor("unplugged status", func() bool {
		return h.u.preview.status.Text == "camera unplugged — retrying in 2s"
	})
	if h.u.preview.status.Importance != widget.DangerImportance {
		t.Errorf("status importance %v, want danger", h.u.preview.status.Importance)
	}
}

// gatedEngine holds every call until the test lets it go, and records
// calls that overlap.
type gatedEngine struct {
	*fakeEngine
	entered            chan struct{} // a value per call begun (while there is room)
	release            chan struct{} // a value lets one call finish; closed, all
	inFlight, overlaps atomic.Int32
}

func (e *gatedEngine) Recognize(img image.Image) ([]recognition.Face, error) {
	if e.inFlight.Add(1) > 1 {
		e.overlaps.Add(1)
	}
	defer e.inFlight.Add(-1)
	select {
	case e.entered <- struct{}{}:
	default:
	}
	<-e.release
	return e.fakeEngine.Recognize(img)
}

// TestPreviewNotHeldUpBySlowEngine: while the engine is busy with a frame
// the preview goes on showing new frames, and the detector never starts a
// second call before the first returned. The engine is held by the test, so
// what is counted are events, not rates: a loaded machine cannot fail it.
func TestPreviewNotHeldUpBySlowEngine(t *testing.T) {
	idols := loadIdols(t)
	frame := loadPhoto(t, "joy.jpg")
	eng := &gatedEngine{fakeEngine: newFakeEngine(), entered: make(chan struct{}, 16), release: make(chan struct{})}
	eng.script(frame, idol(t, idols, "Joy (Red Velvet)")[0])
	h := newHarnessOn(t, test.NewTempApp(t), frame, eng, newFakeDirectory(), Options{})
	t.Cleanup(func() { close(eng.release) }) // before the harness stops the window

	for call := range 3 {
		<-eng.entered
		if got := h.u.Stats().Detections; got != uint64(call) {
			t.Fatalf("%d detections finished while call %d is held", got, call+1)
		}
		shown := h.u.Stats().Displayed
		h.waitFor("new frames while the engine is busy", func() bool { return h.u.Stats().Displayed >= shown+10 })
		if n := eng.overlaps.Load(); n != 0 || eng.inFlight.Load() != 1 {
			t.Fatalf("call %d: %d overlapping calls, %d in flight", call+1, n, eng.inFlight.Load())
		}
		eng.release <- struct{}{}
	}
	h.waitFor("the third detection", func() bool { return h.u.Stats().Detections == 3 })
	if d := h.u.det.latest(); len(d.faces) != 1 || len(d.labels) != 1 {
		t.Errorf("latest detection %+v", d)
	}
}
