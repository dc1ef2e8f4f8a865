package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"facelogin/recognition"
)

// stripScale is the descriptor value drawn at full colour. dlib descriptor
// components rarely leave ±0.25.
const stripScale = 0.25

// descriptorStrip shows a 128-d descriptor as 128 cells side by side, blue
// for negative, white for zero, red for positive values.
type descriptorStrip struct {
	widget.BaseWidget
	d      recognition.Descriptor
	has    bool
	raster *canvas.Raster
}

func newDescriptorStrip() *descriptorStrip {
	s := &descriptorStrip{}
	s.raster = canvas.NewRasterWithPixels(s.pixel)
	s.ExtendBaseWidget(s)
	return s
}

// SetDescriptor shows d. UI goroutine.
func (s *descriptorStrip) SetDescriptor(d recognition.Descriptor) {
	s.d, s.has = d, true
	s.Refresh()
}

func (s *descriptorStrip) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(s.raster)
}

func (s *descriptorStrip) MinSize() fyne.Size {
	return fyne.NewSize(recognition.DescriptorLen*2, 18)
}

func (s *descriptorStrip) Refresh() {
	s.raster.Refresh()
	s.BaseWidget.Refresh()
}

func (s *descriptorStrip) pixel(x, _, w, _ int) color.Color {
	if !s.has || w <= 0 {
		return color.NRGBA{0x80, 0x80, 0x80, 0x40}
	}
	i := x * recognition.DescriptorLen / w
	return cellColor(s.d[i])
}

// cellColor maps a descriptor value to white→blue (negative) or white→red
// (positive).
func cellColor(v float32) color.NRGBA {
	t := v / stripScale
	t = max(-1, min(1, t))
	fade := func(t float32) uint8 { return uint8(255 * (1 - t)) }
	if t < 0 {
		f := fade(-t)
		return color.NRGBA{f, f, 0xff, 0xff}
	}
	f := fade(t)
	return color.NRGBA{0xff, f, f, 0xff}
}
