package app

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// distanceGauge shows a match distance against the threshold: a bar filled
// up to the distance (green at or under the threshold, red above) with a
// mark at the threshold and the numbers written beside it. It is hidden
// until it has a distance to show.
type distanceGauge struct {
	widget.BaseWidget
	distance, threshold float32
	has                 bool
}

// gaugeMax is the distance at the right end of the bar; descriptors of
// different people rarely lie further apart.
const gaugeMax = 1.0

func newDistanceGauge() *distanceGauge {
	g := &distanceGauge{}
	g.ExtendBaseWidget(g)
	g.Hide()
	return g
}

// Set shows distance against threshold. UI goroutine.
func (g *distanceGauge) Set(distance, threshold float32) {
	g.distance, g.threshold, g.has = distance, threshold, true
	g.Show()
	g.Refresh()
}

// Clear empties and hides the gauge. UI goroutine.
func (g *distanceGauge) Clear() {
	g.has = false
	g.Hide()
}

// Text is the gauge's caption.
func (g *distanceGauge) Text() string {
	if !g.has {
		return lang.L("distance —")
	}
	// Three decimals: the default threshold is 0.375, and "0.38" next to
	// a refused 0.376 reads like a bug.
	return lang.L("distance {{.Distance}} (threshold {{.Threshold}})", map[string]any{"Distance": fmt.Sprintf("%.3f", g.distance), "Threshold": fmt.Sprintf("%.3f", g.threshold)})
}

func (g *distanceGauge) CreateRenderer() fyne.WidgetRenderer {
	r := &gaugeRenderer{
		g:     g,
		track: canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)),
		fill:  canvas.NewRectangle(color.Transparent),
		mark:  canvas.NewRectangle(theme.Color(theme.ColorNameForeground)),
		text:  canvas.NewText("", theme.Color(theme.ColorNameForeground)),
	}
	r.text.TextSize = theme.CaptionTextSize()
	r.Refresh()
	return r
}

type gaugeRenderer struct {
	g                 *distanceGauge
	track, fill, mark *canvas.Rectangle
	text              *canvas.Text
}

const gaugeBarHeight = 14

func (r *gaugeRenderer) Layout(size fyne.Size) {
	r.track.Move(fyne.NewPos(0, 0))
	r.track.Resize(fyne.NewSize(size.Width, gaugeBarHeight))
	frac := func(v float32) float32 { return max(0, min(1, v/gaugeMax)) }
	r.fill.Move(fyne.NewPos(0, 0))
	r.fill.Resize(fyne.NewSize(size.Width*frac(r.g.distance), gaugeBarHeight))
	r.mark.Move(fyne.NewPos(size.Width*frac(r.g.threshold)-1, -3))
	r.mark.Resize(fyne.NewSize(2, gaugeBarHeight+6))
	r.text.Move(fyne.NewPos(0, gaugeBarHeight+4))
	r.text.Resize(fyne.NewSize(size.Width, r.text.MinSize().Height))
}

func (r *gaugeRenderer) MinSize() fyne.Size {
	return fyne.NewSize(160, gaugeBarHeight+4+r.text.MinSize().Height)
}

func (r *gaugeRenderer) Refresh() {
	r.text.Text = r.g.Text()
	r.mark.Hidden = !r.g.has
	r.fill.Hidden = !r.g.has
	if r.g.distance <= r.g.threshold {
		r.fill.FillColor = knownColor
	} else {
		r.fill.FillColor = unknownColor
	}
	r.track.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.mark.FillColor = theme.Color(theme.ColorNameForeground)
	r.text.Color = theme.Color(theme.ColorNameForeground)
	r.Layout(r.g.Size())
	canvas.Refresh(r.g)
}

func (r *gaugeRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.track, r.fill, r.mark, r.text}
}

func (r *gaugeRenderer) Destroy() {}
