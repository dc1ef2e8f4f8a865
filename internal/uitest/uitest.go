// Package uitest helps tests of Fyne screens (app/, cmd/facelogin) find what
// is on screen, on Fyne's test driver.
package uitest

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// Shown lists o and every visible object under it as painted: through the
// widgets' cached renderers, so it sees the cells a table or list shows
// now. Paint the window first (its canvas's Capture) so the renderers
// exist and are laid out. Unlike test.LaidOutObjects it makes no new
// renderers, which would detach widgets such as tables from the ones on
// screen.
func Shown(o fyne.CanvasObject) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		out = append(out, o)
		switch w := o.(type) {
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// Paint paints the window of o's canvas with the test driver, which lays
// out everything on screen.
func Paint(c fyne.Canvas) {
	if wc, ok := c.(test.WindowlessCanvas); ok {
		wc.Capture()
	}
}
