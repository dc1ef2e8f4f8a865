package app

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
)

func TestDistanceGauge(t *testing.T) {
	test.NewTempApp(t)
	for _, tc := range []struct {
		distance, threshold float32
		fill                color.Color
		text                string
	}{
		{0.30, 0.50, knownColor, "distance 0.300 (threshold 0.500)"},
		{0.70, 0.50, unknownColor, "distance 0.700 (threshold 0.500)"},
		{0.376, 0.375, unknownColor, "distance 0.376 (threshold 0.375)"},
	} {
		g := newDistanceGauge()
		if g.Visible() {
			t.Fatal("an empty gauge is shown")
		}
		r := test.TempWidgetRenderer(t, g).(*gaugeRenderer)
		g.Resize(fyne.NewSize(200, 40))
		g.Set(tc.distance, tc.threshold)
		if !g.Visible() {
			t.Fatal("a gauge with a distance is hidden")
		}
		if r.fill.FillColor != tc.fill {
			t.Errorf("%.2f: fill %v, want %v", tc.distance, r.fill.FillColor, tc.fill)
		}
		if w := r.fill.Size().Width; w != 200*tc.distance/gaugeMax {
			t.Errorf("%.2f: fill %v wide of 200", tc.distance, w)
		}
		if x := r.mark.Position().X + 1; x != 200*tc.threshold/gaugeMax {
			t.Errorf("threshold mark at %v", x)
		}
		if r.text.Text != tc.text {
			t.Errorf("text %q, want %q", r.text.Text, tc.text)
		}
		if g.Clear(); g.Visible() {
			t.Error("a cleared gauge is shown")
		}
	}
}

func TestDescriptorStripRenders(t *testing.T) {
	test.NewTempApp(t)
	var d recognition.Descriptor
	for i := range d {
		d[i] = 0.2
		if i%2 == 1 {
			d[i] = -0.2
		}
	}
	s := newDescriptorStrip()
	w := test.NewTempWindow(t, s)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(256, 18))
	s.SetDescriptor(d)
	img := w.Canvas().Capture()
	y := img.Bounds().Dy() / 2
	// Cells are 2 px wide: x=4 is cell 2 (positive), x=6 cell 3 (negative).
	red := color.RGBAModel.Convert(img.At(4, y)).(color.RGBA)
	blue := color.RGBAModel.Convert(img.At(6, y)).(color.RGBA)
	if !(red.R > 200 && red.B < 100) || !(blue.B > 200 && blue.R < 100) {
		t.Errorf("cells render as %v and %v, want red then blue", red, blue)
	}
}

// TestScreensNameNoHeading: the tab names the screen; Login and Register
// do not repeat it as a heading, and Login shows no empty gauge.
func TestScreensNameNoHeading(t *testing.T) {
	h := newHarness(t, loadPhoto(t, "joy.jpg"), Options{})
	for _, tc := range []struct {
		name    string
		content fyne.CanvasObject
	}{{"Login", h.u.login.content}, {"Register", h.u.register.content}} {
		for _, o := range tc.content.(*fyne.Container).Objects {
			if l, ok := o.(*widget.Label); ok && l.Text == tc.name {
				t.Errorf("%s repeats its tab name as a heading", tc.name)
			}
		}
	}
	if h.u.login.gauge.Visible() {
		t.Error("Login shows the distance gauge before any login")
	}
}
