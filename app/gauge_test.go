package app

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

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
		r := test.TempWidgetRenderer(t, g).(*gaugeRenderer)
		g.Resize(fyne.NewSize(200, 40))
		g.Set(tc.distance, tc.threshold)
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
