package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// inputWatch lies over the kiosk's admin screens and reports mouse or touch
// movement over them (the kiosk's idle lock). It is only Hoverable: taps,
// drags, scrolls and keys reach the widgets below as before. Being the
// topmost Hoverable, it takes the hover highlight of the buttons below.
type inputWatch struct {
	widget.BaseWidget
	onInput func()
}

var _ desktop.Hoverable = (*inputWatch)(nil)

func newInputWatch(onInput func()) *inputWatch {
	w := &inputWatch{onInput: onInput}
	w.ExtendBaseWidget(w)
	return w
}

func (w *inputWatch) MouseIn(*desktop.MouseEvent)    { w.onInput() }
func (w *inputWatch) MouseMoved(*desktop.MouseEvent) { w.onInput() }
func (w *inputWatch) MouseOut()                      { w.onInput() }

func (w *inputWatch) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(&fyne.Container{})
}
