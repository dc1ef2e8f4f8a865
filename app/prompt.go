package app

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// promptLabel is a screen's instruction of the moment ("Turn your head to
// your right →"): large, bold, centred, and wrapped at word boundaries to
// the width of its pane. A canvas.Text does not wrap: its minimum width is
// its whole line, so a long prompt (the Spanish ones are about a third
// longer) widened the tabs beside the preview and shrank the preview
// (TestPromptKeepsPreviewSize).
//
// Set Text, then call Refresh (as with canvas.Text). UI goroutine.
type promptLabel struct {
	widget.BaseWidget
	Text string

	seg *widget.TextSegment
	rt  *widget.RichText
	box *container.ThemeOverride // rt in promptTheme

	// widthOf, if set, is an object as wide as the prompt will be (a
	// sibling in its column): the prompt wraps at its width before its
	// first layout, so its minimum height counts every line. Without it
	// a prompt shown for the first time is wrapped only when laid out,
	// after its column has given it one line's height, and its second
	// line ran over what lies below (the Spanish "Gira la cabeza hacia tu
	// derecha →" over the progress bar: TestLoginPromptWrapsAboveProgress).
	widthOf fyne.CanvasObject

	// reserve, if set, are the texts the prompt may show: its minimum
	// height is the tallest of them wrapped at its width, whatever it
	// shows, so what lies below it stays put when the prompt changes (the
	// Register buttons moved between y≈240 and 277 as the prompt wrapped
	// or not, and a tap on "Finish now" landed on empty space), and no
	// layout pass has to follow a change of text (a second line drawn
	// under the progress bar when the driver did not lay the column out
	// again). Set it before the prompt is shown.
	reserve []string
	// meas wraps the reserve texts to measure them; reserved is the
	// height found at width reservedAt.
	meas       *promptRich
	reservedAt float32
	reserved   float32

	// onChange, if set, is called when Refresh shows a new non-empty
	// text (UI goroutine): a status line about the previous prompt is
	// stale then.
	onChange func()
}

// promptRich is a prompt's rich text in its theme.
type promptRich struct {
	seg *widget.TextSegment
	rt  *widget.RichText
	box *container.ThemeOverride // rt in promptTheme
}

// promptSize is the theme size name of a prompt's text (promptTheme).
const promptSize fyne.ThemeSizeName = "facelogin-prompt"

// newPromptLabel is an empty prompt of text size size (px).
func newPromptLabel(size float32) *promptLabel {
	p := &promptLabel{}
	t := newPromptRich(size)
	p.seg, p.rt, p.box = t.seg, t.rt, t.box
	p.ExtendBaseWidget(p)
	return p
}

// newPromptRich is an empty prompt text of size size (px).
func newPromptRich(size float32) *promptRich {
	p := &promptRich{}
	p.seg = &widget.TextSegment{Style: widget.RichTextStyle{
		Alignment: fyne.TextAlignCenter,
		ColorName: theme.ColorNameForeground,
		SizeName:  theme.SizeNameHeadingText,
		TextStyle: fyne.TextStyle{Bold: true},
	}}
	p.rt = widget.NewRichText(p.seg)
	p.rt.Wrapping = fyne.TextWrapWord
	// The first refresh sizes the segment by the app's theme (it links the
	// segment to rt only afterwards): with a size every theme has. From
	// then on rt's theme, promptTheme, sizes it.
	p.rt.Refresh()
	p.seg.Style.SizeName = promptSize
	p.box = container.NewThemeOverride(p.rt, promptTheme{size: size})
	return p
}

// heightAt is the height of text wrapped at width w.
func (p *promptRich) heightAt(text string, w float32) float32 {
	if p.box.Size().Width != w {
		p.box.Resize(fyne.NewSize(w, p.box.Size().Height))
	}
	p.seg.Text = text
	p.rt.Refresh()
	return p.box.MinSize().Height
}

// MinSize is the size of Text wrapped at the width of widthOf (if set)
// or at the width the prompt has, at least as high as the tallest of
// reserve.
func (p *promptLabel) MinSize() fyne.Size {
	if p.widthOf != nil {
		if w := p.widthOf.Size().Width; w > 0 && p.box.Size().Width != w {
			p.box.Resize(fyne.NewSize(w, p.box.Size().Height))
		}
	}
	min := p.BaseWidget.MinSize()
	min.Height = max(min.Height, p.reservedHeight(p.box.Size().Width))
	return min
}

// reservedHeight is the height of the tallest of reserve wrapped at
// width w (0 before the prompt has a width).
func (p *promptLabel) reservedHeight(w float32) float32 {
	if len(p.reserve) == 0 || w <= 0 {
		return 0
	}
	if w == p.reservedAt {
		return p.reserved
	}
	if p.meas == nil {
		p.meas = newPromptRich(p.size())
	}
	h := float32(0)
	for _, s := range p.reserve {
		h = max(h, p.meas.heightAt(s, w))
	}
	p.reservedAt, p.reserved = w, h
	return h
}

// size is the prompt's text size (px).
func (p *promptLabel) size() float32 { return p.box.Theme.Size(promptSize) }

func (p *promptLabel) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.box)
}

// Refresh shows Text.
func (p *promptLabel) Refresh() {
	if p.seg.Text != p.Text {
		p.seg.Text = p.Text
		p.rt.Refresh()
		if p.onChange != nil && p.Text != "" {
			p.onChange()
		}
	}
	p.BaseWidget.Refresh()
}

// promptTheme is the app's theme with one more size, promptSize: rich
// text takes its sizes from the theme by name only.
type promptTheme struct{ size float32 }

// appTheme is the app's own theme (theme.Current, asked inside the
// override, would answer the override itself).
func appTheme() fyne.Theme {
	if a := fyne.CurrentApp(); a != nil && a.Settings().Theme() != nil {
		return a.Settings().Theme()
	}
	return theme.DefaultTheme()
}

func (t promptTheme) Size(n fyne.ThemeSizeName) float32 {
	if n == promptSize {
		return t.size
	}
	return appTheme().Size(n)
}

func (promptTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return appTheme().Color(n, v)
}

func (promptTheme) Font(s fyne.TextStyle) fyne.Resource { return appTheme().Font(s) }

func (promptTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return appTheme().Icon(n) }

// fitText is a container that shows one line of text as large as maxSize
// (px) or smaller, so the whole line fits the width it is given: a
// canvas.Text's minimum width is its whole line, so a long kiosk line at
// kiosk size (the Spanish welcome, "Please ask a member of staff" at
// 640×480) ran off the window's right edge and pushed the Admin button out
// of it (TestKioskFitsSmallScreen). Its minimum height is the line's at
// maxSize, so its place does not move when the text shrinks; its minimum
// width is the line's at fitMinSize.
//
// Change t's Text, then Refresh the container (not t: the container
// re-measures).
func fitText(t *canvas.Text, maxSize float32) *fyne.Container {
	t.TextSize = maxSize
	return container.New(fitTextLayout{max: maxSize}, t)
}

// fitMinSize is the smallest text size fitText shrinks to (px).
const fitMinSize = 12

// fitTextLayout lays out fitText's canvas.Text.
type fitTextLayout struct{ max float32 }

func (l fitTextLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	t := objs[0].(*canvas.Text)
	return fyne.NewSize(fyne.MeasureText(t.Text, fitMinSize, t.TextStyle).Width,
		fyne.MeasureText("Åg", l.max, t.TextStyle).Height)
}

func (l fitTextLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	t := objs[0].(*canvas.Text)
	t.TextSize = l.max
	if w := fyne.MeasureText(t.Text, l.max, t.TextStyle).Width; w > size.Width {
		// Text width is close to linear in its size; floor, then one
		// step down if rounding left it a pixel too wide.
		s := float32(math.Floor(float64(l.max * size.Width / w)))
		for s > fitMinSize && fyne.MeasureText(t.Text, s, t.TextStyle).Width > size.Width {
			s--
		}
		t.TextSize = max(s, fitMinSize)
	}
	t.Move(fyne.NewPos(0, 0))
	t.Resize(size)
}
